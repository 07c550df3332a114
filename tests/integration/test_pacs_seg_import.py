"""A SEG held only in the PACS becomes an annotation in one call, against a real Orthanc.

Orthanc holds dcmqi's liver SEG, a second version of it in the same SEG series,
its three-slice CT, and an orphan SEG whose CT is nowhere. Each test starts a
SegDICOM app on an empty data folder that reaches Orthanc over DICOMweb and
DIMSE (our SCP registered in Orthanc), so "nothing held locally" is true.
"""

import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid
from starlette.testclient import TestClient
from tests.helpers import data_dir, dicom_files, free_port
from tests.integration.support import wait_job
from tests.orthanc import Orthanc, orthanc_knowing_annotator

from segdicom.app import create_app
from segdicom.config import Settings

OUR_AET = "SEGDICOM"
LIVER = data_dir("dcmqi_seg", "liver.dcm")
ORPHAN = data_dir("dcmqi_seg", "orphan_seg_no_source", "seg_refs_13_missing_instances.dcm")
CT = dicom_files("dcmqi_seg", "ct-3slice")


def header(path: Path) -> pydicom.Dataset:
    return pydicom.dcmread(path, stop_before_pixels=True)


SEG = header(LIVER)
SOURCE_SERIES = str(SEG.ReferencedSeriesSequence[0].SeriesInstanceUID)
STUDY = str(SEG.StudyInstanceUID)
LOST_SERIES = "1.2.826.0.1.3680043.8.498.77"


def part10(ds: pydicom.Dataset) -> bytes:
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def later_version(path: Path) -> bytes:
    """The same SEG as a second instance of its series (what a later save makes)."""
    ds = pydicom.dcmread(path)
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.InstanceNumber = 2
    return part10(ds)


def seg_of_a_lost_series(path: Path, lost_series: str) -> tuple[bytes, str]:
    """The SEG, in a series of its own, segmenting a series the PACS does not hold."""
    ds = pydicom.dcmread(path)
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.ReferencedSeriesSequence[0].SeriesInstanceUID = lost_series
    return part10(ds), str(ds.SOPInstanceUID)


class Pacs:
    def __init__(self, orthanc: Orthanc, scp_port: int, lost_source_seg: str) -> None:
        self.orthanc = orthanc
        self.scp_port = scp_port
        self.lost_source_seg = lost_source_seg


@pytest.fixture(scope="module")
def pacs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pacs]:
    with orthanc_knowing_annotator(tmp_path_factory.mktemp("orthanc")) as (orthanc, scp_port):
        orthanc.upload_all([*CT, LIVER, ORPHAN])
        orthanc.upload(later_version(LIVER))
        data, lost_source_seg = seg_of_a_lost_series(LIVER, LOST_SERIES)
        orthanc.upload(data)
        yield Pacs(orthanc, scp_port, lost_source_seg)


def settings_for(folder: Path, pacs: Pacs, dicomweb_url: str | None = None) -> Settings:
    """An empty service that reaches Orthanc over DICOMweb and DIMSE."""
    return Settings(
        data_dir=folder,
        dicomweb_url=dicomweb_url or pacs.orthanc.dicomweb_url,
        ae_title=OUR_AET,
        dicom_port=pacs.scp_port,
        pacs_ae_title=pacs.orthanc.aet,
        pacs_host="127.0.0.1",
        pacs_dicom_port=pacs.orthanc.dicom_port,
        pacs_timeout=10,
    )


@pytest.fixture
def client(pacs: Pacs, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path / "one-step", pacs))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def two_step_masks(pacs: Pacs, tmp_path_factory: pytest.TempPathFactory) -> dict[Any, bytes]:
    """The masks of the two-step path: pull the CT, pull the SEG series, import."""
    folder = tmp_path_factory.mktemp("two-step")
    with TestClient(create_app(settings_for(folder, pacs))) as c:
        for series in (SOURCE_SERIES, str(SEG.SeriesInstanceUID)):
            answer = c.post(f"/api/series/{series}/retrieve", json={"study_uid": STUDY})
            assert answer.status_code == 202, answer.text
            assert wait_job(c, answer.json()["job_id"])["state"] == "done"
        imported = c.post("/api/annotations/import", json={"sop_instance_uid": SEG.SOPInstanceUID})
        assert imported.status_code == 201, imported.text
        return masks_of(c, imported.json()["id"])


def start_import(
    client: TestClient, sop_uid: str = SEG.SOPInstanceUID, via: str = "dicomweb"
) -> Any:
    return client.post(
        f"/api/series/{SOURCE_SERIES}/segs/{sop_uid}/import",
        json={"study_uid": STUDY, "via": via},
    )


def import_job(client: TestClient, via: str = "dicomweb") -> dict[str, Any]:
    answer = start_import(client, via=via)
    assert answer.status_code == 202, answer.text
    assert answer.headers["location"] == f"/api/jobs/{answer.json()['job_id']}"
    job = wait_job(client, answer.json()["job_id"])
    assert job["state"] == "done", job
    return job


def masks_of(client: TestClient, annotation_id: int) -> dict[Any, bytes]:
    """Every painted mask of an annotation, by (segment label, slice index), unpacked."""
    info = client.get(f"/api/annotations/{annotation_id}").json()
    masks = {}
    for segment in info["segments"]:
        for index in segment["slices"]:
            path = f"/api/annotations/{annotation_id}/segments/{segment['number']}/slices/{index}"
            masks[segment["label"], index] = zlib.decompress(client.get(path).content)
    return masks


def local_segs(client: TestClient) -> list[str]:
    answer = client.get(f"/api/series/{SOURCE_SERIES}/segs", params={"source": "local"})
    return sorted(s["sop_instance_uid"] for s in answer.json())


@pytest.mark.parametrize("via", ["dicomweb", "dimse"])
def test_one_call_imports_a_seg_held_only_in_the_pacs(
    client: TestClient, two_step_masks: dict[Any, bytes], via: str
) -> None:
    job = import_job(client, via)
    result = job["result"]
    assert job["kind"] == "import_seg" and job["error"] is None
    assert job["done"] == job["total"] == 1 + len(CT)
    assert result["series_uid"] == SOURCE_SERIES
    assert result["sop_instance_uid"] == SEG.SOPInstanceUID
    assert result["fetched"] == {"seg": 1, "source": len(CT)}
    assert result["unmatched_frames"] == 0
    # Only the SEG asked for came, not the other instance of its series.
    assert local_segs(client) == [SEG.SOPInstanceUID]
    annotation = client.get(f"/api/annotations/{result['annotation_id']}").json()
    assert annotation["series_uid"] == SOURCE_SERIES
    assert [s["label"] for s in annotation["segments"]] == [
        str(s.SegmentLabel) for s in SEG.SegmentSequence
    ]
    masks = masks_of(client, result["annotation_id"])
    assert masks == two_step_masks
    painted = sum(int(np.unpackbits(np.frombuffer(m, np.uint8)).sum()) for m in masks.values())
    assert painted > 0


def test_source_already_held_fetches_only_the_seg(client: TestClient) -> None:
    body = [("files", (p.name, p.read_bytes(), "application/dicom")) for p in CT]
    assert client.post("/api/uploads", files=body).status_code == 200
    job = import_job(client)
    assert job["result"]["fetched"] == {"seg": 1, "source": 0}
    assert job["done"] == job["total"] == 1 + len(CT)
    # Both held now: a second import fetches nothing and makes a second annotation.
    again = import_job(client)
    assert again["result"]["fetched"] == {"seg": 0, "source": 0}
    assert again["result"]["annotation_id"] != job["result"]["annotation_id"]
    annotations = client.get("/api/annotations", params={"series_uid": SOURCE_SERIES}).json()
    assert len(annotations) == 2


def test_seg_not_in_the_pacs_is_404_naming_it(client: TestClient, pacs: Pacs) -> None:
    missing = "1.2.826.0.1.3680043.8.498.1"
    answer = start_import(client, missing)
    assert answer.status_code == 404
    detail = answer.json()["detail"]
    assert missing in detail and pacs.orthanc.dicomweb_url in detail


def test_seg_whose_source_series_is_not_in_the_pacs_names_that_series(
    client: TestClient, pacs: Pacs
) -> None:
    orphan = header(ORPHAN)
    missing_series = str(orphan.ReferencedSeriesSequence[0].SeriesInstanceUID)
    answer = client.post(
        f"/api/series/{missing_series}/segs/{orphan.SOPInstanceUID}/import",
        json={"study_uid": str(orphan.StudyInstanceUID), "via": "dicomweb"},
    )
    assert answer.status_code == 404
    detail = answer.json()["detail"]
    assert missing_series in detail and "not in the PACS" in detail
    assert pacs.orthanc.dicomweb_url in detail
    assert local_segs(client) == []  # nothing was pulled


def test_over_dimse_a_source_series_found_missing_later_fails_the_job_naming_it(
    client: TestClient, pacs: Pacs
) -> None:
    """C-FIND cannot tell which series a SEG segments: over DIMSE a SEG listed under the CT
    is pulled first, and the job fails once the SEG names a series the PACS lacks."""
    # Over DICOMweb the SEG's references are read before anything is pulled: 404 at once.
    answer = start_import(client, pacs.lost_source_seg, via="dicomweb")
    assert answer.status_code == 404 and pacs.lost_source_seg in answer.json()["detail"]
    answer = start_import(client, pacs.lost_source_seg, via="dimse")
    assert answer.status_code == 202, answer.text
    job = wait_job(client, answer.json()["job_id"])
    assert job["state"] == "failed"
    assert LOST_SERIES in job["error"] and "not in the PACS" in job["error"]
    assert pacs.orthanc.aet in job["error"]


def test_unreachable_pacs_is_502_naming_its_url(pacs: Pacs, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/dicom-web"
    with TestClient(create_app(settings_for(tmp_path / "down", pacs, url))) as down:
        answer = start_import(down)
    assert answer.status_code == 502
    assert answer.json()["error"] == "pacs_unavailable"
    assert url in answer.json()["detail"]


def test_openapi_documents_the_202_and_the_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/series/{series_uid}/segs/{sop_instance_uid}/import"]["post"]
    assert set(post["responses"]) >= {"202", "404", "502"}
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(body["properties"]) == {"study_uid", "via"}
    via = body["properties"]["via"]
    if "$ref" in via:  # the Via StrEnum is a shared component
        via = spec["components"]["schemas"][via["$ref"].rsplit("/", 1)[1]]
    assert via["enum"] == ["dicomweb", "dimse"]
