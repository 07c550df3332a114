"""Blinding follows a reading into what is made of it (exports, SEG and SR files, SEG
lists and imports, datasets), and a project reading reaches the PACS only through
review, naming its reader as the SEG's creator and its reviewer. SQLite and PostgreSQL,
over real HTTP with real users; the PACS is a real Orthanc."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pydicom
import pytest
from tests.helpers import poll
from tests.integration.project_support import (
    create_project,
    next_task,
    painted_reading,
    review,
    submit,
)
from tests.integration.support import disc, put_mask, upload_series, wait_job
from tests.integration.test_projects import Team, start_team
from tests.orthanc import Orthanc
from tests.unit.seg_encode_cases import dciodvfy_errors

from segdicom.config import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def team(database_url: str, tmp_path: Path) -> Iterator[Team]:
    found = start_team(
        Settings(data_dir=tmp_path / "data", dicom_port=0, database_url=database_url)
    )
    yield found
    for client in found.http.values():
        client.close()
    found.server.stop()


@dataclass
class Exported:
    """Alice's painted reading of a blinded case (Bob reads it too) and its local export."""

    project_id: int
    series_uid: str
    study_uid: str
    annotation_id: int
    export: dict[str, object]


def alice_exports_her_reading(team: Team) -> Exported:
    admin, alice, bob = team.http["root"], team.http["alice"], team.http["bob"]
    series_uid = upload_series(admin, "ct_philips_phantom")
    project = create_project(admin, "blinded exports", readers_per_case=2)
    admin.post(f"/api/projects/{project['id']}/cases", json={"series_uids": [series_uid]})
    mine, theirs = next_task(alice, project["id"]), next_task(bob, project["id"])
    assert mine and theirs and mine["case_id"] == theirs["case_id"]
    aid = mine["annotation_id"]
    version = alice.get(f"/api/annotations/{aid}").json()["version"]
    put_mask(alice, aid, 1, 3, disc(512, 512, 200, 200, 30), version)
    made = alice.post(
        f"/api/annotations/{aid}/exports", json={"destination": "local", "measurements": True}
    )
    assert made.status_code == 201, made.text
    study_uid = alice.get(f"/api/series/{series_uid}").json()["study_uid"]
    return Exported(project["id"], series_uid, study_uid, aid, made.json())


def test_an_annotator_neither_lists_nor_downloads_nor_imports_another_readers_seg(
    team: Team,
) -> None:
    made = alice_exports_her_reading(team)
    eid, sop = made.export["id"], made.export["sop_instance_uid"]
    seg_series, sr_series = (
        made.export["series_instance_uid"],
        made.export["sr_series_instance_uid"],
    )
    segs = f"/api/series/{made.series_uid}/segs"
    series_list = f"/api/studies/{made.study_uid}/series"
    for name in ("bob", "carol"):  # the other reader of the case, and an annotator who is not
        other = team.http[name]
        assert eid not in [e["id"] for e in other.get("/api/exports").json()]
        listed = other.get("/api/exports", params={"annotation_id": made.annotation_id})
        assert listed.status_code == 200 and listed.json() == []
        for path in (f"/api/exports/{eid}", f"/api/exports/{eid}/file", f"/api/exports/{eid}/sr"):
            refused = other.get(path)
            assert refused.status_code == 403, (path, refused.text)
            assert "blinded" in refused.json()["detail"]
        assert other.post(f"/api/exports/{eid}/retry").status_code == 403
        assert other.get(segs, params={"source": "local"}).json() == []
        shown = {s["series_uid"] for s in other.get(series_list, params={"source": "local"}).json()}
        assert shown == {made.series_uid}
        imported = other.post("/api/annotations/import", json={"sop_instance_uid": sop})
        assert imported.status_code == 403, imported.text
        assert sop in imported.json()["detail"] and "blinded" in imported.json()["detail"]
        reading = f"/api/annotations/{made.annotation_id}"
        assert other.get(f"{reading}/statistics").status_code == 403
        assert other.get(f"{reading}/comments").status_code == 403
        assert other.post(f"{reading}/comments", json={"text": "hi"}).status_code == 403
    # Alice sees her own; Rita (reviewer) sees every reading.
    for name in ("alice", "rita"):
        client = team.http[name]
        assert eid in [e["id"] for e in client.get("/api/exports").json()]
        assert client.get(f"/api/exports/{eid}/file").status_code == 200
        assert client.get(f"/api/exports/{eid}/sr").status_code == 200
        [seg] = client.get(segs, params={"source": "local"}).json()
        assert seg["sop_instance_uid"] == sop and seg["content_creator"] == "alice^"
        shown = {
            s["series_uid"] for s in client.get(series_list, params={"source": "local"}).json()
        }
        assert shown == {made.series_uid, seg_series, sr_series}


def test_an_annotator_downloads_only_their_own_datasets(team: Team) -> None:
    made = alice_exports_her_reading(team)
    rita, alice = team.http["rita"], team.http["alice"]
    started = rita.post("/api/datasets", json={"format": "nifti", "series_uids": [made.series_uid]})
    assert started.status_code == 202, started.text
    job = wait_job(rita, started.json()["job_id"])
    assert job["state"] == "done", job
    dataset = f"/api/datasets/{job['result']['dataset_id']}"
    for annotator in (team.http["bob"], alice):  # Rita's dataset may hold any reading
        refused = annotator.get(f"{dataset}/file")
        assert refused.status_code == 403 and "rita" in refused.json()["detail"]
        assert annotator.get(dataset).status_code == 403
    assert rita.get(f"{dataset}/file").status_code == 200
    assert team.http["root"].get(dataset).status_code == 200
    agreement = f"/api/projects/{made.project_id}/agreement.csv"
    assert team.http["bob"].get(agreement).status_code == 403


# -- the way to the PACS ------------------------------------------------------------


@pytest.fixture
def pacs_team(database_url: str, tmp_path: Path, orthanc: Orthanc) -> Iterator[Team]:
    settings = Settings(
        data_dir=tmp_path / "data",
        dicom_port=0,
        database_url=database_url,
        dicomweb_url=orthanc.dicomweb_url,
        outbox_interval=0.2,
        outbox_max_backoff=1.0,
    )
    found = start_team(settings)
    yield found
    for client in found.http.values():
        client.close()
    found.server.stop()


def pacs_export(client: httpx.Client, annotation_id: int) -> httpx.Response:
    body = {"destination": "pacs", "measurements": True}
    return client.post(f"/api/annotations/{annotation_id}/exports", json=body)


def test_a_project_reading_reaches_the_pacs_only_after_approval_naming_reader_and_reviewer(
    pacs_team: Team, orthanc: Orthanc, tmp_path: Path
) -> None:
    team = pacs_team
    admin, alice, rita = team.http["root"], team.http["alice"], team.http["rita"]
    task, _ = painted_reading(admin, alice, "reviewed, sent by hand", review_required=True)
    aid = task["annotation_id"]

    early = pacs_export(alice, aid)
    assert early.status_code == 409, early.text
    assert "in_progress" in early.json()["detail"] and "approved" in early.json()["detail"]
    local = alice.post(f"/api/annotations/{aid}/exports", json={"destination": "local"})
    assert local.status_code == 201, local.text  # her own download stays allowed
    submit(alice, task["id"])
    submitted = pacs_export(rita, aid)
    assert submitted.status_code == 409 and "submitted" in submitted.json()["detail"]
    seg_series = local.json()["series_instance_uid"]
    assert orthanc.instances_of_series(seg_series) == []

    review(rita, task["id"], "approve")
    assert pacs_export(alice, aid).status_code == 403  # reviewers and admins send it
    sent = pacs_export(rita, aid)
    assert sent.status_code == 201, sent.text
    export = sent.json()
    assert (export["created_by"], export["content_creator"], export["approved_by"]) == (
        "rita",
        "alice",
        "rita",
    )
    poll(lambda: admin.get(f"/api/exports/{export['id']}").json()["status"] == "sent", "SEG sent")
    assert orthanc.instances_of_series(seg_series) == [export["sop_instance_uid"]]

    seg_file, sr_file = tmp_path / "seg.dcm", tmp_path / "sr.dcm"
    seg_file.write_bytes(rita.get(f"/api/exports/{export['id']}/file").content)
    sr_file.write_bytes(rita.get(f"/api/exports/{export['id']}/sr").content)
    seg, sr = pydicom.dcmread(seg_file), pydicom.dcmread(sr_file)
    assert str(seg.ContentCreatorName) == "alice^"
    assert seg.ContentDescription == "Approved by rita"
    assert sr.VerificationFlag == "VERIFIED"
    assert str(sr.VerifyingObserverSequence[0].VerifyingObserverName) == "rita^"
    observers = [str(item.get("PersonName", "")) for item in _content_items(sr)]
    assert "alice^" in observers and "rita^" not in observers
    for path in (seg_file, sr_file):
        errors, output = dciodvfy_errors(path)
        assert errors == [], output


def _content_items(ds: pydicom.Dataset) -> Iterator[pydicom.Dataset]:
    for item in ds.get("ContentSequence", []):
        yield item
        yield from _content_items(item)


def test_a_blinded_reader_sees_no_one_elses_annotation_of_the_series_in_any_project(
    team: Team,
) -> None:
    """Bob reads the series blinded in one project; Alice's reading of it in an unblinded
    project, and the admin's annotation outside projects, are hidden from him too."""
    admin, alice, bob = team.http["root"], team.http["alice"], team.http["bob"]
    series_uid = upload_series(admin, "ct_philips_phantom")
    blinded = create_project(admin, "blinded twin", readers_per_case=2)
    solo = create_project(admin, "solo twin", readers_per_case=1)
    for project in (blinded, solo):
        admin.post(f"/api/projects/{project['id']}/cases", json={"series_uids": [series_uid]})
    hers = next_task(alice, solo["id"])
    own = admin.post("/api/annotations", json={"series_uid": series_uid}).json()["id"]
    assert hers
    listed = {
        a["id"] for a in bob.get("/api/annotations", params={"series_uid": series_uid}).json()
    }
    assert {hers["annotation_id"], own} <= listed  # before he reads it: others' work is his to see
    assert next_task(bob, blinded["id"])
    for aid in (hers["annotation_id"], own):
        answer = bob.get(f"/api/annotations/{aid}")
        assert answer.status_code == 403, answer.text
        assert "which you read in a blinded project" in answer.json()["detail"]
        assert bob.get(f"/api/annotations/{aid}/segments/1/slices/3").status_code == 403
    listed = bob.get("/api/annotations", params={"series_uid": series_uid}).json()
    assert [a["reading"]["reader"] for a in listed] == ["bob"]
    assert alice.get(f"/api/annotations/{hers['annotation_id']}").status_code == 200
    assert admin.get(f"/api/annotations/{hers['annotation_id']}").status_code == 200
