"""A hospital without DICOMweb: search, pull, paint and send the SEG back, all over DIMSE.

One real Orthanc for the module knows the annotator as modality SEGDICOM on a
fixed SCP port; each test starts a fresh SegDICOM app (HTTP API through
TestClient) whose only PACS is Orthanc's DIMSE peer: no DICOMweb URL, so
nothing can fall back to DICOMweb.
"""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom.pixels.processing import apply_modality_lut
from starlette.testclient import TestClient
from tests.helpers import dicom_files, free_port, poll
from tests.integration.support import (
    assert_never_due_again,
    create_annotation,
    disc,
    put_mask,
    put_segment,
    series_info,
    slice_values,
    upload_series,
)
from tests.orthanc import Orthanc, orthanc_knowing_annotator

from segdicom.app import create_app
from segdicom.config import Settings
from segdicom.pacs.dimse import DimsePacs

CT = "ct_philips_phantom"
OUR_AET = "SEGDICOM"
PAINTED = (5, 6, 14)  # slice indices of the volume


class Peers:
    """The module's Orthanc and the SCP port it knows us by."""

    def __init__(self, orthanc: Orthanc, scp_port: int) -> None:
        self.orthanc = orthanc
        self.scp_port = scp_port

    @property
    def pacs_name(self) -> str:
        return f"{self.orthanc.aet}@127.0.0.1:{self.orthanc.dicom_port}"


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peers]:
    """Orthanc with SEGDICOM registered (our SCP's port) and the CT phantom loaded."""
    with orthanc_knowing_annotator(tmp_path_factory.mktemp("orthanc")) as (orthanc, scp_port):
        orthanc.upload_all(dicom_files(CT))
        yield Peers(orthanc, scp_port)


def dimse_settings(data_dir: Path, orthanc: Orthanc, scp_port: int, **extra: Any) -> Settings:
    """SegDICOM with Orthanc as its DIMSE peer only; a fast outbox for the tests."""
    options: dict[str, Any] = {
        "pacs_timeout": 5,
        "outbox_interval": 0.2,  # first retry after 0.2 s, then at most every 0.5 s
        "outbox_max_backoff": 0.5,
        **extra,
    }
    settings = Settings(
        data_dir=data_dir,
        ae_title=OUR_AET,
        dicom_port=scp_port,
        pacs_ae_title=orthanc.aet,
        pacs_host="127.0.0.1",
        pacs_dicom_port=orthanc.dicom_port,
        **options,
    )
    assert not settings.has_dicomweb and settings.has_dimse_peer
    return settings


@pytest.fixture
def client(peers: Peers, tmp_path: Path) -> Iterator[TestClient]:
    settings = dimse_settings(tmp_path / "data", peers.orthanc, peers.scp_port)
    with TestClient(create_app(settings)) as test_client:
        st = test_client.app.state.segdicom  # type: ignore[attr-defined]
        assert st.dicomweb is None
        assert isinstance(st.outbox.pacs, DimsePacs)  # SEGs leave by C-STORE
        yield test_client


def ct_uids() -> tuple[str, str, str]:
    """Patient ID, Study and Series Instance UIDs of the CT phantom."""
    ds = pydicom.dcmread(dicom_files(CT)[0], stop_before_pixels=True)
    return str(ds.PatientID), str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID)


def follow_job(client: TestClient, job_id: str, final: str) -> dict[str, Any]:
    """GET /api/jobs/{id} until it is done or failed; it must end in `final`."""

    def ended() -> dict[str, Any] | None:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        return job if job["state"] in ("done", "failed") else None

    job: dict[str, Any] = poll(ended, f"job {job_id}")
    assert job["state"] == final, job
    return job


def start_pull(client: TestClient, study_uid: str, series_uid: str) -> str:
    answer = client.post(
        f"/api/series/{series_uid}/retrieve", json={"study_uid": study_uid, "via": "dimse"}
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["job_id"])


def pull_ct(client: TestClient) -> dict[str, Any]:
    """C-MOVE the CT into the app through the API; answers its volume's metadata."""
    _, study_uid, series_uid = ct_uids()
    job = follow_job(client, start_pull(client, study_uid, series_uid), "done")
    assert job["done"] == job["total"] == len(dicom_files(CT)), job
    assert job["error"] is None
    return series_info(client, series_uid)


def paint(client: TestClient, info: dict[str, Any]) -> tuple[int, dict[tuple[int, int], Any]]:
    """Liver on three slices and an overlapping Tumor on one; (annotation id, masks)."""
    rows, columns = info["rows"], info["columns"]
    aid = int(create_annotation(client, info["series_uid"])["id"])
    put_segment(client, aid, 1, label="Liver")
    version = put_segment(client, aid, 2, label="Tumor")
    masks = {
        (1, i): disc(rows, columns, 240 + 4 * k, 250, 60 + 5 * k) for k, i in enumerate(PAINTED)
    }
    masks[2, PAINTED[1]] = disc(rows, columns, 260, 280, 25)
    for (number, index), mask in masks.items():
        version = put_mask(client, aid, number, index, mask, version)
    return aid, masks


def export_to_pacs(client: TestClient, annotation_id: int) -> dict[str, Any]:
    answer = client.post(f"/api/annotations/{annotation_id}/exports", json={"destination": "pacs"})
    assert answer.status_code == 201, answer.text
    export: dict[str, Any] = answer.json()
    return export


def export_state(client: TestClient, export_id: int) -> dict[str, Any]:
    row: dict[str, Any] = client.get(f"/api/exports/{export_id}").json()
    return row


def orthanc_seg(orthanc: Orthanc, study_uid: str, sop_uid: str) -> Path:
    """The SEG with `sop_uid` as Orthanc holds it, written to its storage folder."""
    query = {"Level": "Series", "Query": {"StudyInstanceUID": study_uid, "Modality": "SEG"}}
    series = orthanc.rest("POST", "/tools/find", query)
    assert len(series) >= 1, f"no SEG series in study {study_uid}"
    for orthanc_series in series:
        for instance in orthanc.rest("GET", f"/series/{orthanc_series}/instances"):
            if instance["MainDicomTags"]["SOPInstanceUID"] == sop_uid:
                path = orthanc.folder / f"{sop_uid}.dcm"
                path.write_bytes(orthanc.rest("GET", f"/instances/{instance['ID']}/file"))
                return path
    raise AssertionError(f"SEG {sop_uid} is not in Orthanc's study {study_uid}")


def assert_same_masks(
    seg_path: Path, info: dict[str, Any], masks: dict[tuple[int, int], Any]
) -> None:
    """highdicom reads the SEG back to the painted masks, slice by slice and segment by segment."""
    seg = hd.seg.segread(seg_path)
    assert seg.Modality == "SEG" and seg.StudyInstanceUID == info["study_uid"]
    numbers = {d.SegmentLabel: int(d.SegmentNumber) for d in seg.SegmentSequence}
    assert set(numbers) == {"Liver", "Tumor"}
    uids = [info["slices"][i]["sop_instance_uid"] for i in PAINTED]
    pixels = seg.get_pixels_by_source_instance(
        source_sop_instance_uids=uids, segment_numbers=[numbers["Liver"], numbers["Tumor"]]
    )
    empty = np.zeros((info["rows"], info["columns"]), dtype=bool)
    for k, index in enumerate(PAINTED):
        for s, number in enumerate((1, 2)):
            got = pixels[k, :, :, s].astype(bool)
            assert np.array_equal(got, masks.get((number, index), empty)), (index, number)


def test_pacs_search_answers_over_dimse(client: TestClient) -> None:
    patient_id, study_uid, series_uid = ct_uids()
    found = client.get("/api/studies", params={"source": "pacs", "patient_id": patient_id})
    assert found.status_code == 200, found.text
    study = next(s for s in found.json() if s["study_uid"] == study_uid)
    assert study["patient_id"] == patient_id
    assert "CT" in study["modalities"]
    by_modality = client.get("/api/studies", params={"source": "pacs", "modality": "CT"}).json()
    assert study_uid in [s["study_uid"] for s in by_modality]
    series = client.get(f"/api/studies/{study_uid}/series", params={"source": "pacs"})
    assert series.status_code == 200, series.text
    ct = next(s for s in series.json() if s["series_uid"] == series_uid)
    assert ct["modality"] == "CT" and ct["num_instances"] == len(dicom_files(CT))
    assert client.get("/api/studies", params={"source": "local"}).json() == []


def test_c_move_pull_gives_the_volume_an_upload_gives(client: TestClient, tmp_path: Path) -> None:
    pulled = pull_ct(client)
    files = dicom_files(CT)
    assert pulled["num_slices"] == len(files)
    with TestClient(create_app(Settings(data_dir=tmp_path / "up", dicom_port=0))) as uploads:
        uploaded = series_info(uploads, upload_series(uploads, CT))
        for key in ("rows", "columns", "dtype", "num_slices", "spacing", "slices"):
            assert pulled[key] == uploaded[key], key
        for index in range(pulled["num_slices"]):
            got = slice_values(client, pulled, index)
            assert np.array_equal(got, slice_values(uploads, uploaded, index)), index
    # ... and they are the stored values through the modality LUT (PS3.3 C.11.1).
    by_uid = {str(pydicom.dcmread(f).SOPInstanceUID): f for f in files}
    first = pydicom.dcmread(by_uid[pulled["slices"][0]["sop_instance_uid"]])
    assert np.array_equal(
        slice_values(client, pulled, 0), apply_modality_lut(first.pixel_array, first)
    )


def test_seg_export_is_c_stored_into_the_study(client: TestClient, peers: Peers) -> None:
    info = pull_ct(client)
    aid, masks = paint(client, info)
    export = export_to_pacs(client, aid)
    sent = poll(
        lambda: (row := export_state(client, export["id"]))["status"] == "sent" and row,
        f"export {export['id']} sent",
    )
    assert sent["error"] is None and sent["attempts"] == 1
    seg = orthanc_seg(peers.orthanc, info["study_uid"], export["sop_instance_uid"])
    assert_same_masks(seg, info, masks)


def test_seg_waits_while_pacs_is_down_and_arrives_once(client: TestClient, peers: Peers) -> None:
    info = pull_ct(client)
    aid, masks = paint(client, info)
    orthanc = peers.orthanc
    orthanc.stop()
    try:
        export = export_to_pacs(client, aid)
        failing = poll(
            lambda: (row := export_state(client, export["id"]))["attempts"] >= 2 and row,
            "two failed attempts",
        )
        assert failing["status"] == "pending", failing
        assert peers.pacs_name in failing["error"], failing["error"]
    finally:
        orthanc.start()
    sent = poll(
        lambda: (row := export_state(client, export["id"]))["status"] == "sent" and row,
        f"export {export['id']} sent after the PACS came back",
    )
    assert sent["error"] is None and sent["sent_at"]
    sop_uid = export["sop_instance_uid"]
    assert orthanc.instances_of_series(export["series_instance_uid"]) == [sop_uid]
    assert_never_due_again(client, export["id"])
    assert export_state(client, export["id"])["attempts"] == sent["attempts"]
    assert orthanc.instances_of_series(export["series_instance_uid"]) == [sop_uid]
    assert_same_masks(orthanc_seg(orthanc, info["study_uid"], sop_uid), info, masks)


# Orthanc 1.10 and a caller it does not know: by default it aborts the C-FIND
# (and so the job stops before its C-MOVE); allowed to answer C-FIND, it drops
# the C-MOVE; allowed to answer C-MOVE too, it refuses it (0xC000 where the
# standard has 0xA801, PS3.4 C.4.2.1.5). Every way, the job says why.
@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({}, id="find-aborted"),
        pytest.param({"DicomAlwaysAllowFind": True}, id="move-dropped"),
        pytest.param(
            {"DicomAlwaysAllowFind": True, "DicomAlwaysAllowMove": True}, id="move-refused"
        ),
    ],
)
def test_pull_from_a_pacs_that_does_not_know_our_aet_fails_saying_so(
    tmp_path: Path, orthanc_factory: Callable[..., Orthanc], extra: dict[str, Any]
) -> None:
    orthanc = orthanc_factory(extra=extra)  # no DicomModalities: SEGDICOM is unknown
    orthanc.upload_all(dicom_files(CT)[:2])
    _, study_uid, series_uid = ct_uids()
    settings = dimse_settings(tmp_path / "data", orthanc, free_port(), pacs_timeout=3)
    with TestClient(create_app(settings)) as client:
        job = follow_job(client, start_pull(client, study_uid, series_uid), "failed")
        assert f"does not know our AE title {OUR_AET!r}" in job["error"], job["error"]
        assert job["done"] == 0
        assert client.get("/api/studies", params={"source": "local"}).json() == []
        if not extra:  # the search is refused the same way, and says so
            found = client.get("/api/studies", params={"source": "pacs"})
            assert found.status_code == 502, found.text
            assert f"does not know our AE title {OUR_AET!r}" in found.json()["detail"]
