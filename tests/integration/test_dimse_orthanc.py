"""DIMSE with a real Orthanc: push to our SCP, C-FIND, C-MOVE, C-STORE SCU, Lua forward.

Orthanc knows the annotator as modality SEGDICOM (our SCP on a free port);
the annotator knows Orthanc as its DIMSE peer.
"""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from starlette.testclient import TestClient
from tests.helpers import dicom_files, free_port, poll
from tests.orthanc import Orthanc, annotator_modality

from segdicom.app import create_app
from segdicom.config import Settings
from segdicom.db.instances import StudyFilter
from segdicom.errors import PacsRefused, PacsUnavailable
from segdicom.pacs.dimse import DimsePacs

REPO = Path(__file__).resolve().parents[2]
LUA = REPO / "orthanc" / "forward-stable.lua"


def annotator(tmp_path: Path, orthanc: Orthanc, port: int, timeout: float = 20) -> TestClient:
    settings = Settings(
        data_dir=tmp_path / "data",
        dicom_port=port,
        pacs_ae_title=orthanc.aet,
        pacs_host="127.0.0.1",
        pacs_dicom_port=orthanc.dicom_port,
        pacs_timeout=timeout,
    )
    return TestClient(create_app(settings))


@pytest.fixture
def pair(
    tmp_path: Path, orthanc_factory: Callable[..., Orthanc]
) -> Iterator[tuple[Orthanc, TestClient]]:
    """Orthanc with SEGDICOM registered, and the annotator with Orthanc as its peer."""
    port = free_port()
    orthanc = orthanc_factory(modalities=annotator_modality(port))
    with annotator(tmp_path, orthanc, port) as client:
        yield orthanc, client


def dimse(client: TestClient) -> DimsePacs:
    pacs: DimsePacs = client.app.state.segdicom.dimse  # type: ignore[attr-defined]
    return pacs


def upload(orthanc: Orthanc, files: list[Path]) -> str:
    """Store files in Orthanc; answers Orthanc's study ID."""
    answers = [orthanc.upload(f) for f in files]
    return str(answers[0]["ParentStudy"])


def uids(path: Path) -> tuple[str, str]:
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID)


def local_count(client: TestClient, study_uid: str) -> int:
    studies = client.get("/api/studies?source=local").json()
    return sum(s["num_instances"] for s in studies if s["study_uid"] == study_uid)


def test_orthanc_store_to_segdicom_appears_in_api(pair: tuple[Orthanc, TestClient]) -> None:
    orthanc, client = pair
    files = dicom_files("ct_philips_phantom")
    study_id = upload(orthanc, files)
    answer = orthanc.rest("POST", "/modalities/SEGDICOM/store", {"Resources": [study_id]})
    assert answer["InstancesCount"] == len(files), answer  # synchronous: done when it answers
    study_uid, series_uid = uids(files[0])
    assert local_count(client, study_uid) == len(files)
    info = client.get(f"/api/series/{series_uid}").json()
    assert info["num_slices"] == len(files)


def test_c_echo_and_c_find_study_and_series(pair: tuple[Orthanc, TestClient]) -> None:
    orthanc, client = pair
    files = dicom_files("mr_siemens_t1_sag")
    upload(orthanc, files)
    study_uid, series_uid = uids(files[0])
    pacs = dimse(client)
    pacs.echo()
    found = pacs.search_studies(StudyFilter(modality="MR"), 100, 0)
    assert [s.study_uid for s in found] == [study_uid]
    assert found[0].num_instances == len(files)
    assert found[0].modalities == ["MR"]
    assert pacs.search_studies(StudyFilter(modality="CT"), 100, 0) == []
    series = pacs.search_series(study_uid)
    assert [(s.series_uid, s.num_instances) for s in series] == [(series_uid, len(files))]
    # The API answers source=pacs over DIMSE when no DICOMweb URL is set.
    listed = client.get("/api/studies?source=pacs&modality=MR")
    assert listed.status_code == 200, listed.text
    assert [s["study_uid"] for s in listed.json()] == [study_uid]


def test_c_move_pulls_series_with_progress(pair: tuple[Orthanc, TestClient]) -> None:
    orthanc, client = pair
    files = dicom_files("mr_siemens_t1_sag")
    upload(orthanc, files)
    study_uid, series_uid = uids(files[0])
    st = client.app.state.segdicom  # type: ignore[attr-defined]
    progress: list[tuple[int, int]] = []
    arrived: list[int] = []

    def on_instance(data: Any) -> object:
        arrived.append(len(data))
        return st.store.put_bytes(data, source="dimse", images_only=False)

    done = dimse(client).retrieve_series(
        study_uid, series_uid, on_instance, set(), on_progress=lambda d, t: progress.append((d, t))
    )
    assert done == len(files)
    assert len(arrived) == len(files)  # routed by the Move Originator Message ID
    assert progress and progress[-1][1] == len(files)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert local_count(client, study_uid) == len(files)
    # Only the missing instances move again.
    again = dimse(client).retrieve_series(
        study_uid, series_uid, on_instance, {pydicom.dcmread(f).SOPInstanceUID for f in files}
    )
    assert again == 0


def test_c_move_to_unknown_destination_is_a_clear_error(
    tmp_path: Path, orthanc_factory: Callable[..., Orthanc]
) -> None:
    # SEGDICOM is not registered in Orthanc; moves from unknown callers are allowed,
    # so Orthanc answers the move itself: destination unknown (0xC000 in 1.10,
    # where the standard has 0xA801, which we name too).
    orthanc = orthanc_factory(extra={"DicomAlwaysAllowMove": True})
    files = dicom_files("ct_philips_phantom")[:2]
    upload(orthanc, files)
    study_uid, series_uid = uids(files[0])
    with (
        annotator(tmp_path, orthanc, free_port()) as client,
        pytest.raises(PacsRefused, match=r"C-MOVE refused.*our AE title 'SEGDICOM'"),
    ):
        dimse(client).retrieve_series(study_uid, series_uid, lambda d: None, set())


def test_c_store_scu_sends_seg_to_orthanc(pair: tuple[Orthanc, TestClient]) -> None:
    orthanc, client = pair
    seg = REPO.parent / "shared" / "data" / "dicom" / "dcmqi_seg" / "liver.dcm"
    ds = pydicom.dcmread(seg, stop_before_pixels=True)
    dimse(client).store(seg)
    assert orthanc.instances_of_series(str(ds.SeriesInstanceUID)) == [str(ds.SOPInstanceUID)]
    dimse(client).store(seg.read_bytes())  # again: idempotent
    assert orthanc.instances_of_series(str(ds.SeriesInstanceUID)) == [str(ds.SOPInstanceUID)]


def test_lua_forwards_stable_study(tmp_path: Path, orthanc_factory: Callable[..., Orthanc]) -> None:
    port = free_port()
    orthanc = orthanc_factory(
        modalities=annotator_modality(port),
        extra={
            "LuaScripts": [str(LUA)],
            "StableAge": 2,
            "SegDicomForward": {"Modality": "SEGDICOM", "Modalities": ["CT"]},
        },
    )
    with annotator(tmp_path, orthanc, port) as client:
        ct = dicom_files("ct_philips_phantom")[:3]
        mr = dicom_files("mr_siemens_t1_sag")[:3]
        mr_id = upload(orthanc, mr)
        # The MR study turns stable first: Orthanc runs the Lua callbacks of its
        # changes in order, so the MR's has run once the CT has been forwarded.
        poll(lambda: orthanc.rest("GET", f"/studies/{mr_id}")["IsStable"], "MR stable", 30)
        upload(orthanc, ct)
        ct_study, _ = uids(ct[0])
        mr_study, _ = uids(mr[0])
        assert poll(lambda: local_count(client, ct_study) == len(ct), timeout=30)
        jobs = orthanc.rest("GET", "/jobs?expand")
        assert [j["Type"] for j in jobs] == ["DicomModalityStore"], jobs  # the CT's only
        assert local_count(client, mr_study) == 0


def test_c_move_from_unknown_caller_is_a_clear_error(
    tmp_path: Path, orthanc_factory: Callable[..., Orthanc]
) -> None:
    orthanc = orthanc_factory()  # Orthanc aborts moves from AE titles it does not know
    files = dicom_files("ct_philips_phantom")[:1]
    upload(orthanc, files)
    study_uid, series_uid = uids(files[0])
    with (
        annotator(tmp_path, orthanc, free_port(), timeout=3) as client,
        pytest.raises(PacsUnavailable, match=r"our AE title 'SEGDICOM'"),
    ):
        dimse(client).retrieve_series(study_uid, series_uid, lambda d: None, set())
