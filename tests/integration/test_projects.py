"""Team projects on SQLite and PostgreSQL, over real HTTP with real users and tokens:
concurrent `next`, lease expiry, blinding, and the review cycle to a real Orthanc."""

import csv
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pydicom
import pytest
from sqlalchemy import update
from tests.conftest import LiveServer
from tests.helpers import dicom_files, poll
from tests.integration.project_support import (
    add_cases_directly,
    create_project,
    http_clients,
    made_up_instance,
    next_task,
    painted_reading,
    review,
    set_lease,
    submit,
    users_with_tokens,
)
from tests.integration.support import (
    disc,
    mask_body,
    mask_from,
    put_mask,
    series_info,
    upload_series,
    wait_job,
)
from tests.orthanc import Orthanc

from segdicom.config import Settings
from segdicom.db import make_engine, make_sessionmaker
from segdicom.db.models import Project

pytestmark = pytest.mark.integration
TEAM = {"alice": "annotator", "bob": "annotator", "carol": "annotator", "dave": "annotator"}
STAFF = {"rita": "reviewer", "root": "admin"}


@dataclass
class Team:
    settings: Settings
    server: LiveServer
    http: dict[str, httpx.Client]

    def set_lease(self, task_id: int, minutes_from_now: float) -> None:
        set_lease(self.settings, task_id, minutes_from_now)


def start_team(settings: Settings) -> Team:
    tokens = users_with_tokens(settings, **TEAM, **STAFF)
    server = LiveServer(settings).start()
    return Team(settings, server, http_clients(server.url, tokens))


@pytest.fixture
def team(database_url: str, tmp_path: Path) -> Iterator[Team]:
    settings = Settings(data_dir=tmp_path / "data", dicom_port=0, database_url=database_url)
    found = start_team(settings)
    yield found
    for client in found.http.values():
        client.close()
    found.server.stop()


def test_concurrent_annotators_never_share_a_reading(team: Team) -> None:
    admin = team.http["root"]
    project = create_project(admin, "concurrent", readers_per_case=2)
    cases = add_cases_directly(team.settings, project["id"], 12)
    taken: dict[str, list[dict[str, Any]]] = {name: [] for name in TEAM}
    errors: list[str] = []

    def work(name: str) -> None:
        try:
            while (task := next_task(team.http[name], project["id"])) is not None:
                taken[name].append(task)
                submit(team.http[name], task["id"])
        except AssertionError as exc:
            errors.append(f"{name}: {exc}")

    threads = [threading.Thread(target=work, args=(name,)) for name in TEAM]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    readings = [(t["case_id"], name) for name, tasks in taken.items() for t in tasks]
    task_ids = [t["id"] for tasks in taken.values() for t in tasks]
    assert len(task_ids) == len(set(task_ids)) == 2 * len(cases)  # nobody got another's reading
    assert len(set(readings)) == len(readings)  # nobody read a case twice
    per_case = {case: sum(1 for c, _ in readings if c == case) for case in cases}
    assert set(per_case.values()) == {2}
    annotations = [t["annotation_id"] for tasks in taken.values() for t in tasks]
    assert len(set(annotations)) == len(annotations)
    listed = admin.get("/api/tasks", params={"project": project["id"], "state": "submitted"})
    assert len(listed.json()) == 2 * len(cases)
    own = team.http["alice"].get("/api/tasks").json()
    assert {t["assignee"] for t in own} <= {"alice"}
    assert team.http["alice"].get("/api/tasks", params={"assignee": "bob"}).status_code == 403


def test_an_expired_lease_returns_the_case_to_the_pool(team: Team) -> None:
    alice, bob = team.http["alice"], team.http["bob"]
    project = create_project(team.http["root"], "leases", readers_per_case=1)
    add_cases_directly(team.settings, project["id"], 1)
    first = next_task(alice, project["id"])
    assert first is not None and first["state"] == "in_progress" and first["lease_expires"]
    assert next_task(alice, project["id"])["id"] == first["id"]  # type: ignore[index]
    assert next_task(bob, project["id"]) is None  # the only case is leased to alice

    team.set_lease(first["id"], -1)
    taken = next_task(bob, project["id"])
    assert taken is not None
    assert (taken["case_id"], taken["slot"], taken["assignee"]) == (first["case_id"], 1, "bob")
    # A fresh reading: bob does not carry on with alice's masks.
    assert taken["id"] != first["id"] and taken["annotation_id"] != first["annotation_id"]
    assert next_task(alice, project["id"]) is None
    released = alice.get(f"/api/tasks/{first['id']}").json()
    assert (released["state"], released["assignee"]) == ("released", "alice")
    assert released["annotation_id"] == first["annotation_id"]  # kept, with her masks
    # Her page writes on, then submits: refused as closed, saying what happened in words.
    aid = first["annotation_id"]
    late = alice.put(
        f"/api/annotations/{aid}/segments/1/slices/0",
        content=mask_body(disc(4, 4, 2, 2, 1)),
        headers={"If-Match": "0"},  # made-up series: the refusal comes first
    )
    refused = alice.post(f"/api/tasks/{first['id']}/submit")
    for answer in (late, refused):
        assert answer.status_code == 409 and answer.json()["error"] == "closed", answer.text
        assert (
            "lease on task" in answer.json()["detail"]
            and "another reader" in answer.json()["detail"]
        )
    log = team.http["root"].get("/api/log.csv").text
    rows = list(csv.DictReader(io.StringIO(log)))
    take = next(r for r in rows if r["action"] == "task_take_over")
    assert f"from alice (task {first['id']}, released)" in take["detail"]
    assert any(r["action"] == "task_release" for r in rows)


def submit_status(client: httpx.Client, task_id: int) -> int:
    return client.post(f"/api/tasks/{task_id}/submit").status_code


def test_a_reader_whose_lease_ran_out_never_gets_the_case_again(team: Team) -> None:
    """Two blinded readers abandon case 1; carol takes alice's slot. alice must not then
    get bob's abandoned reading of the same case (nor see his masks)."""
    alice, bob, carol = team.http["alice"], team.http["bob"], team.http["carol"]
    project = create_project(team.http["root"], "abandoned", readers_per_case=2)
    add_cases_directly(team.settings, project["id"], 1)
    mine, his = next_task(alice, project["id"]), next_task(bob, project["id"])
    assert mine is not None and his is not None and mine["case_id"] == his["case_id"]
    team.set_lease(mine["id"], -1)
    team.set_lease(his["id"], -1)

    carols = next_task(carol, project["id"])
    assert carols is not None and carols["case_id"] == mine["case_id"]
    assert carols["annotation_id"] not in (mine["annotation_id"], his["annotation_id"])
    assert carol.get(f"/api/annotations/{mine['annotation_id']}").status_code == 403
    assert next_task(alice, project["id"]) is None  # bob's reading of a case she read: no
    assert next_task(bob, project["id"])["id"] == his["id"]  # type: ignore[index]


def test_whoever_held_a_reading_handed_on_never_gets_the_case_again(team: Team) -> None:
    """alice's reading goes to dave, then to carol (with its masks, which each saw); the
    case still has a free slot, which neither alice nor dave may take: they would read
    the case twice. The reading may go back to one of them."""
    admin, alice, dave = team.http["root"], team.http["alice"], team.http["dave"]
    project = create_project(admin, "handed on", readers_per_case=2)
    add_cases_directly(team.settings, project["id"], 1)
    mine = next_task(alice, project["id"])
    assert mine is not None and mine["state"] == "in_progress"
    same = admin.patch(f"/api/tasks/{mine['id']}", json={"assignee": "alice"})
    assert (same.json()["state"], same.json()["lease_expires"]) == (
        "in_progress",
        mine["lease_expires"],
    )
    for holder in ("dave", "carol"):
        moved = admin.patch(f"/api/tasks/{mine['id']}", json={"assignee": holder})
        assert moved.status_code == 200 and moved.json()["annotation_id"] == mine["annotation_id"]

    assert next_task(alice, project["id"]) is None
    assert next_task(dave, project["id"]) is None
    for name in ("alice", "dave"):
        again = admin.post("/api/tasks", json={"case_id": mine["case_id"], "assignee": name})
        assert again.status_code == 409 and name in again.json()["detail"]
    bobs = next_task(team.http["bob"], project["id"])
    assert bobs is not None and bobs["case_id"] == mine["case_id"]  # the free slot
    onto_bob = admin.patch(f"/api/tasks/{mine['id']}", json={"assignee": "bob"})
    assert onto_bob.status_code == 409
    back = admin.patch(f"/api/tasks/{mine['id']}", json={"assignee": "dave"})
    assert back.status_code == 200 and back.json()["assignee"] == "dave"


def test_a_project_change_that_would_break_readings_taken_is_409(team: Team) -> None:
    admin, alice, bob = team.http["root"], team.http["alice"], team.http["bob"]
    project = create_project(admin, "running", readers_per_case=2)
    url = f"/api/projects/{project['id']}"
    labels = project["labels"]
    add_cases_directly(team.settings, project["id"], 1)
    assert next_task(alice, project["id"]) and next_task(bob, project["id"])

    fewer = admin.patch(url, json={"readers_per_case": 1})  # would unblind alice and bob
    assert fewer.status_code == 409, fewer.text
    assert "a case with 2 readings" in fewer.json()["detail"]
    renamed = [{"label": "Spleen"}, *labels[1:]]
    relabel = admin.patch(url, json={"labels": renamed})
    assert relabel.status_code == 409, relabel.text
    assert "labels[0] ('Liver') cannot change" in relabel.json()["detail"]
    assert admin.patch(url, json={"labels": labels[:2]}).status_code == 409  # one dropped
    swapped = admin.patch(url, json={"labels": [labels[1], labels[0], *labels[2:]]})
    assert swapped.status_code == 400 and "labels are numbered by their order" in swapped.text
    assert admin.get(url).json()["labels"] == labels  # nothing changed

    more = admin.patch(url, json={"readers_per_case": 3})
    assert more.status_code == 200, more.text
    recoloured = [{**labels[0], "color": "#123456"}, *labels[1:], {"label": "Spleen"}]
    grown = admin.patch(url, json={"labels": recoloured})
    assert grown.status_code == 200, grown.text
    assert [label["label"] for label in grown.json()["labels"]][-1] == "Spleen"
    assert grown.json()["labels"][0]["color"] == "#123456"


def test_an_approval_whose_seg_cannot_be_sent_says_why(team: Team) -> None:
    admin, alice = team.http["root"], team.http["alice"]
    series_uid = upload_series(admin, "ct_philips_phantom")
    project = create_project(
        admin, "no pacs", review_required=False, export_on_approval=True, readers_per_case=1
    )
    admin.post(f"/api/projects/{project['id']}/cases", json={"series_uids": [series_uid]})
    task = next_task(alice, project["id"])
    assert task is not None and task["export_error"] is None
    own = alice.get(f"/api/annotations/{task['annotation_id']}").json()
    put_mask(alice, task["annotation_id"], 1, 3, disc(512, 512, 200, 200, 30), own["version"])

    approved = submit(alice, task["id"])  # no review: approved at once, and sent... nowhere
    assert approved["state"] == "approved" and approved["export_id"] is None
    assert "the SEG was not sent to the PACS: " in approved["export_error"]
    assert "no PACS" in approved["export_error"], approved["export_error"]
    assert alice.get(f"/api/tasks/{task['id']}").json()["export_error"] == approved["export_error"]
    assert "task_export_failed" in log(admin)


def test_a_case_without_images_waits_until_they_come(team: Team) -> None:
    """A case whose pull failed (or has brought nothing yet) is not handed out."""
    admin, alice = team.http["root"], team.http["alice"]
    project = create_project(admin, "pulls", readers_per_case=1)
    [case_id] = add_cases_directly(team.settings, project["id"], 1, with_images=False)
    assert next_task(alice, project["id"]) is None
    [listed] = admin.get(f"/api/projects/{project['id']}/cases").json()
    assert (listed["id"], listed["num_instances"]) == (case_id, 0)

    engine = make_engine(team.settings.resolved_database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            session.add(made_up_instance(listed["study_uid"], listed["series_uid"], "1.2.3.4"))
    finally:
        engine.dispose()
    task = next_task(alice, project["id"])
    assert task is not None and task["case_id"] == case_id
    assert admin.get(f"/api/projects/{project['id']}/cases").json()[0]["num_instances"] == 1


def test_writing_after_changes_were_asked_takes_the_reading_back_in_progress(team: Team) -> None:
    admin, alice, rita = team.http["root"], team.http["alice"], team.http["rita"]
    task, version = painted_reading(admin, alice, "fixes", readers_per_case=1)
    aid = task["annotation_id"]
    submit(alice, task["id"])
    assert review(rita, task["id"], "request_changes", "larger")["state"] == "changes_requested"

    put_mask(alice, aid, 1, 4, disc(512, 512, 250, 250, 50), version)  # from the worklist
    now = alice.get(f"/api/tasks/{task['id']}").json()
    assert now["state"] == "in_progress" and now["lease_expires"]
    assert submit(alice, task["id"])["state"] == "submitted"


def test_a_decision_on_a_reading_changed_since_the_reviewer_looked_is_409(team: Team) -> None:
    admin, alice, rita = team.http["root"], team.http["alice"], team.http["rita"]
    task, _ = painted_reading(admin, alice, "as seen", readers_per_case=1)
    aid = task["annotation_id"]
    submit(alice, task["id"])
    seen = rita.get(f"/api/annotations/{aid}").json()["version"]
    put_mask(admin, aid, 1, 5, disc(512, 512, 250, 250, 40), seen)  # after rita looked

    decide = f"/api/tasks/{task['id']}/review"
    refused = rita.post(decide, json={"decision": "approve", "version": seen})
    assert refused.status_code == 409, refused.text
    assert f"is at version {seen + 1}; you reviewed version {seen}" in refused.json()["detail"]
    assert alice.get(f"/api/tasks/{task['id']}").json()["state"] == "submitted"
    bad = rita.post(decide, json={"decision": "approve", "version": "7"})
    assert bad.status_code == 400 and "version" in bad.json()["detail"]

    approved = rita.post(decide, json={"decision": "approve", "version": seen + 1})
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    row = next(r for r in csv.DictReader(io.StringIO(log(admin))) if r["action"] == "task_approve")
    assert f"annotation version {seen + 1}" in row["detail"]


def log(client: httpx.Client) -> str:
    response = client.get("/api/log.csv")
    assert response.status_code == 200, response.text
    return response.text


def test_a_blinded_reader_gets_403_on_another_readers_annotation(team: Team) -> None:
    admin, alice, bob = team.http["root"], team.http["alice"], team.http["bob"]
    series_uid = upload_series(admin, "ct_philips_phantom")
    project = create_project(admin, "blinded", readers_per_case=2)
    added = admin.post(f"/api/projects/{project['id']}/cases", json={"series_uids": [series_uid]})
    assert added.status_code == 201 and added.json()["missing"] == []
    mine, theirs = next_task(alice, project["id"]), next_task(bob, project["id"])
    assert mine and theirs and mine["case_id"] == theirs["case_id"]
    info = series_info(alice, series_uid)
    own = alice.get(f"/api/annotations/{mine['annotation_id']}").json()
    assert [s["label"] for s in own["segments"]] == ["Liver", "Tumor", "Lesion X"]
    put_mask(alice, mine["annotation_id"], 1, 3, disc(512, 512, 200, 200, 30), own["version"])

    other = f"/api/annotations/{mine['annotation_id']}"
    assert bob.get(other).status_code == 403
    response = bob.get(f"{other}/segments/1/slices/3")
    assert response.status_code == 403 and "blinded" in response.json()["detail"]
    body = np.packbits(np.ones((info["rows"], info["columns"]), dtype=bool)).tobytes()
    write = bob.put(f"{other}/segments/1/slices/3", content=body, headers={"If-Match": "9"})
    assert write.status_code == 403
    assert team.http["rita"].get(f"{other}/segments/1/slices/3").status_code == 200
    assert bob.get(f"/api/tasks/{mine['id']}").status_code == 403
    # The event log would say where alice painted (slice, labels): bob sees his own events.
    saved_by = {(r["user"], r["action"]) for r in csv.DictReader(io.StringIO(log(bob)))}
    assert ("alice", "save_mask") not in saved_by and ("bob", "task_next") in saved_by
    assert ("alice", "save_mask") in set(
        (r["user"], r["action"]) for r in csv.DictReader(io.StringIO(log(team.http["rita"])))
    )
    assert bob.post(f"/api/tasks/{mine['id']}/submit").status_code == 403
    listed = bob.get("/api/annotations", params={"series_uid": series_uid}).json()
    assert [a["id"] for a in listed] == [theirs["annotation_id"]]
    everyone = team.http["rita"].get("/api/annotations", params={"series_uid": series_uid}).json()
    assert len(everyone) == 2


def test_an_annotation_says_whose_reading_it_is_and_a_closed_one_refuses_as_closed(
    team: Team,
) -> None:
    """The viewer names the reader and the task's state, and tells a closed reading (nothing
    to overwrite) from a stale version (error `conflict`)."""
    admin, alice = team.http["root"], team.http["alice"]
    series_uid = upload_series(admin, "ct_philips_phantom")
    project = create_project(admin, "readings", readers_per_case=2)
    admin.post(f"/api/projects/{project['id']}/cases", json={"series_uids": [series_uid]})
    task = next_task(alice, project["id"])
    assert task is not None
    aid = task["annotation_id"]
    plain = admin.post("/api/annotations", json={"series_uid": series_uid}).json()
    listed = {
        a["id"]: a["reading"] for a in admin.get(f"/api/annotations?series_uid={series_uid}").json()
    }
    assert listed[plain["id"]] is None
    assert listed[aid] == {
        "project_id": project["id"],
        "case_id": task["case_id"],
        "task_id": task["id"],
        "reader": "alice",
        "state": "in_progress",
    }
    version = alice.get(f"/api/annotations/{aid}").json()["version"]
    version = put_mask(alice, aid, 1, 3, disc(512, 512, 200, 200, 30), version)
    submit(alice, task["id"])
    assert alice.get(f"/api/annotations/{aid}").json()["reading"]["state"] == "submitted"
    refused = alice.put(
        f"/api/annotations/{aid}/segments/1/slices/3",
        content=mask_body(disc(512, 512, 200, 200, 10)),
        headers={"If-Match": str(version)},
    )
    assert refused.status_code == 409 and refused.json()["error"] == "closed"


@dataclass
class Consensus:
    """A blinded case read by Alice and Bob, and the consensus Rita built of it."""

    project_id: int
    series_uid: str
    readings: dict[str, int]  # reader -> annotation id
    annotation_id: int
    version: int


def blinded_consensus(team: Team, name: str) -> Consensus:
    """Alice and Bob each paint slice 3 of the phantom in a blinded project and submit;
    Rita (a reviewer) builds the case's majority consensus."""
    admin, rita = team.http["root"], team.http["rita"]
    series_uid = upload_series(admin, "ct_philips_phantom")
    project = create_project(admin, name, readers_per_case=2)
    admin.post(f"/api/projects/{project['id']}/cases", json={"series_uids": [series_uid]})
    readings, case_id = {}, 0
    for reader, centre in (("alice", 200), ("bob", 210)):
        client = team.http[reader]
        task = next_task(client, project["id"])
        assert task is not None
        aid, case_id = task["annotation_id"], task["case_id"]
        version = client.get(f"/api/annotations/{aid}").json()["version"]
        put_mask(client, aid, 1, 3, disc(512, 512, centre, centre, 30), version)
        submit(client, task["id"])
        readings[reader] = aid
    started = rita.post(f"/api/cases/{case_id}/consensus", json={"method": "majority"})
    assert started.status_code == 202, started.text
    job = wait_job(rita, started.json()["job_id"])
    assert job["state"] == "done", job
    assert job["done"] == job["total"] == 2  # both readings read
    aid = job["result"]["annotation_id"]
    version = rita.get(f"/api/annotations/{aid}").json()["version"]
    return Consensus(project["id"], series_uid, readings, aid, version)


def test_an_annotator_gets_403_on_the_consensus_of_a_blinded_case_and_does_not_list_it(
    team: Team,
) -> None:
    made = blinded_consensus(team, "blinded consensus")
    url = f"/api/annotations/{made.annotation_id}"
    body = mask_body(disc(512, 512, 100, 100, 20))
    # Alice read the case; Carol is an annotator who did not: neither sees the consensus.
    for annotator in (team.http["alice"], team.http["carol"]):
        read = annotator.get(url)
        assert read.status_code == 403
        assert "consensus" in read.json()["detail"] and "blinded" in read.json()["detail"]
        assert annotator.get(f"{url}/segments/1/slices/3").status_code == 403
        assert annotator.get(f"{url}/statistics").status_code == 403
        assert annotator.get(f"{url}/comments").status_code == 403
        write = annotator.put(
            f"{url}/segments/1/slices/3", content=body, headers={"If-Match": str(made.version)}
        )
        assert write.status_code == 403
        exported = annotator.post(f"{url}/exports", json={"destination": "local"})
        assert exported.status_code == 403
    alice = team.http["alice"]
    listed = alice.get("/api/annotations", params={"series_uid": made.series_uid}).json()
    assert [a["id"] for a in listed] == [made.readings["alice"]]
    listed = team.http["carol"].get("/api/annotations", params={"series_uid": made.series_uid})
    assert listed.json() == []


def test_an_annotator_cannot_export_a_dataset_of_masks_hidden_from_them(team: Team) -> None:
    made = blinded_consensus(team, "blinded dataset")
    # The series' latest annotation is the consensus of Alice's and Bob's readings.
    body = {"format": "nifti", "series_uids": [made.series_uid]}
    for annotator in (team.http["alice"], team.http["carol"]):
        refused = annotator.post("/api/datasets", json=body)
        assert refused.status_code == 403, refused.text
        assert "blinded" in refused.json()["detail"]
    by_project = team.http["carol"].post(
        "/api/datasets",
        json={"format": "nifti", "project_id": made.project_id, "states": ["submitted"]},
    )
    assert by_project.status_code == 403, by_project.text
    assert team.http["rita"].post("/api/datasets", json=body).status_code == 202


def test_the_legacy_slice_and_save_keep_blinded_readings_apart(team: Team) -> None:
    made = blinded_consensus(team, "blinded legacy")
    url = f"/slice/{made.series_uid}/3"

    def shown(name: str) -> np.ndarray | None:
        answer = team.http[name].get(url)
        assert answer.status_code == 200, answer.text
        mask = answer.json()["mask"]
        return None if mask is None else np.array(mask).reshape(512, 512) > 0

    # Each reader sees their own reading, Carol none of theirs, Rita the consensus.
    assert np.array_equal(shown("alice"), disc(512, 512, 200, 200, 30))
    assert np.array_equal(shown("bob"), disc(512, 512, 210, 210, 30))
    assert shown("carol") is None
    both = disc(512, 512, 200, 200, 30) & disc(512, 512, 210, 210, 30)
    assert np.array_equal(shown("rita"), both)
    # Alice's submitted reading is closed and Bob's is not hers: her save makes her own.
    label_map = disc(512, 512, 100, 100, 20).astype(np.int64)
    saved = team.http["alice"].post(
        f"/save_mask/{made.series_uid}/5", json={"mask": label_map.ravel().tolist()}
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["annotation_id"] not in (*made.readings.values(), made.annotation_id)
    for reading in (*made.readings.values(), made.annotation_id):
        painted = team.http["root"].get(f"/api/annotations/{reading}/segments/1/slices/5")
        assert painted.status_code == 200
        assert not mask_from(painted.content, 512, 512).any()


def test_a_reviewer_reads_and_edits_the_consensus_of_a_blinded_case(team: Team) -> None:
    made = blinded_consensus(team, "reviewed consensus")
    rita, admin = team.http["rita"], team.http["root"]
    url = f"/api/annotations/{made.annotation_id}"
    assert rita.get(url).status_code == 200
    listed = rita.get("/api/annotations", params={"series_uid": made.series_uid}).json()
    assert sorted(a["id"] for a in listed) == sorted([*made.readings.values(), made.annotation_id])
    # Majority of two readers is their intersection; the reviewer then corrects slice 4.
    painted = mask_from(rita.get(f"{url}/segments/1/slices/3").content, 512, 512)
    both = disc(512, 512, 200, 200, 30) & disc(512, 512, 210, 210, 30)
    assert np.array_equal(painted, both)
    version = put_mask(rita, made.annotation_id, 1, 4, disc(512, 512, 205, 205, 25), made.version)
    assert version > made.version
    corrected = admin.get(f"{url}/segments/1/slices/4")
    assert corrected.status_code == 200
    assert np.array_equal(mask_from(corrected.content, 512, 512), disc(512, 512, 205, 205, 25))


def test_annotators_read_but_never_change_the_consensus_of_an_unblinded_case(
    team: Team,
) -> None:
    made = blinded_consensus(team, "unblinded consensus")
    admin, alice = team.http["root"], team.http["alice"]
    patched = admin.patch(f"/api/projects/{made.project_id}", json={"readers_per_case": 1})
    assert patched.status_code == 409  # it has cases with two readings
    # As a project changed before that rule may be: straight into the database.
    engine = make_engine(team.settings.resolved_database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            session.execute(
                update(Project).where(Project.id == made.project_id).values(readers_per_case=1)
            )
    finally:
        engine.dispose()
    assert admin.get(f"/api/projects/{made.project_id}").json()["blinded"] is False
    url = f"/api/annotations/{made.annotation_id}"
    assert alice.get(url).status_code == 200
    listed = alice.get("/api/annotations", params={"series_uid": made.series_uid}).json()
    assert made.annotation_id in [a["id"] for a in listed]
    write = alice.put(
        f"{url}/segments/1/slices/3",
        content=mask_body(disc(512, 512, 100, 100, 20)),
        headers={"If-Match": str(made.version)},
    )
    assert write.status_code == 403 and "reviewers and admins" in write.json()["detail"]
    sent = alice.post(f"{url}/exports", json={"destination": "pacs"})
    assert sent.status_code == 403 and "consensus" in sent.json()["detail"]
    assert alice.post(f"{url}/exports", json={"destination": "local"}).status_code == 201


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


def test_review_cycle_sends_the_approved_seg_to_the_pacs_once(
    pacs_team: Team, orthanc: Orthanc
) -> None:
    team = pacs_team
    admin, alice, rita = team.http["root"], team.http["alice"], team.http["rita"]
    series_uid = upload_series(admin, "ct_philips_phantom")
    project = create_project(admin, "reviewed", export_on_approval=True)
    admin.post(f"/api/projects/{project['id']}/cases", json={"series_uids": [series_uid]})
    task = next_task(alice, project["id"])
    assert task is not None
    aid = task["annotation_id"]
    version = alice.get(f"/api/annotations/{aid}").json()["version"]
    version = put_mask(alice, aid, 1, 4, disc(512, 512, 250, 250, 40), version)
    assert submit(alice, task["id"])["state"] == "submitted"
    closed = alice.put(
        f"/api/annotations/{aid}/segments/1/slices/5",
        content=mask_body(disc(512, 512, 250, 250, 10)),
        headers={"If-Match": str(version)},
    )
    assert closed.status_code == 409 and "submitted" in closed.json()["detail"]

    asked = review(rita, task["id"], "request_changes", "the liver is larger on slice 4")
    assert asked["state"] == "changes_requested" and asked["reviewed_by"] == "rita"
    comments = alice.get(f"/api/annotations/{aid}/comments").json()
    assert comments[-1]["text"] == "the liver is larger on slice 4"
    pinned = rita.post(
        f"/api/annotations/{aid}/comments", json={"text": "here", "slice": 4, "point": [250, 290]}
    )
    assert pinned.status_code == 201 and pinned.json()["point"] == [250, 290]

    again = next_task(alice, project["id"])
    assert again is not None and (again["id"], again["state"]) == (task["id"], "in_progress")
    put_mask(alice, aid, 1, 4, disc(512, 512, 250, 250, 60), version)
    submit(alice, task["id"])
    approved = review(rita, task["id"], "approve")
    assert approved["state"] == "approved" and approved["export_id"]
    twice = rita.post(f"/api/tasks/{task['id']}/review", json={"decision": "approve"})
    assert twice.status_code == 409

    export = poll(
        lambda: (
            (e := admin.get(f"/api/exports/{approved['export_id']}").json())["status"] == "sent"
            and e
        ),
        "approved SEG sent",
    )
    assert export["created_by"] == "rita"
    # The Orthanc is the module's: the other engine's run left its own SEG series there.
    seg_series = export["series_instance_uid"]
    assert orthanc.instances_of_series(seg_series) == [export["sop_instance_uid"]]
    log = admin.get("/api/log.csv").text
    actions = [r["action"] for r in csv.DictReader(io.StringIO(log))]
    for action in ("task_next", "task_submit", "task_request_changes", "task_approve"):
        assert action in actions
    assert actions.count("export_pacs") == 1


def test_a_series_only_in_the_pacs_is_pulled_as_a_job_and_becomes_a_case(
    pacs_team: Team, orthanc: Orthanc
) -> None:
    admin = pacs_team.http["root"]
    files = dicom_files("mr_siemens_t1_sag")
    orthanc.upload_all(files)
    header = pydicom.dcmread(files[0], stop_before_pixels=True)
    series_uid, study_uid = str(header.SeriesInstanceUID), str(header.StudyInstanceUID)
    project = create_project(admin, "from the pacs")
    body = {"series_uids": [{"series_uid": series_uid, "study_uid": study_uid}], "via": "dicomweb"}
    added = admin.post(f"/api/projects/{project['id']}/cases", json=body).json()
    assert [c["series_uid"] for c in added["added"]] == [series_uid]
    assert added["missing"] == [] and added["pulling"][0]["series_uid"] == series_uid
    job_id = added["pulling"][0]["job_id"]
    job = poll(
        lambda: (j := admin.get(f"/api/jobs/{job_id}").json())["state"] in ("done", "failed") and j,
        "the pull",
    )
    assert job["state"] == "done", job
    assert series_info(admin, series_uid)["num_slices"] == len(files)
    unknown = {"series_uids": [{"series_uid": "1.2.3.4", "study_uid": "1.2.3"}]}
    answer = admin.post(f"/api/projects/{project['id']}/cases", json=unknown).json()
    assert answer["missing"] == ["1.2.3.4"]  # no `via`: not pulled, said missing
