"""LABELMAP SEG through the API: export on request, refused when segments overlap,
and a LABELMAP SEG written by highdicom over a shared-data series imports to the same masks."""

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import highdicom as hd
import httpx
import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid
from starlette.testclient import TestClient
from tests.helpers import dicom_files, require_tool
from tests.integration.support import (
    create_annotation,
    disc,
    mask_from,
    put_mask,
    put_segment,
    series_info,
    upload,
    upload_series,
)

from segdicom.app import create_app
from segdicom.config import Settings

pytestmark = pytest.mark.filterwarnings("ignore:The string .* is unlikely to represent")
LABEL_MAP_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.7"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("labelmap"), dicom_port=0)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def ct(client: TestClient) -> dict:  # type: ignore[type-arg]
    return series_info(client, upload_series(client, "ct_philips_phantom"))


def painted(client: TestClient, info: dict, overlap: bool) -> tuple[int, dict]:  # type: ignore[type-arg]
    """Liver on slices 8-10, Kidney beside it on 9-11 (inside it on slice 10 if `overlap`)."""
    aid = create_annotation(client, info["series_uid"])["id"]
    put_segment(client, aid, 1, label="Liver")
    version = put_segment(client, aid, 2, label="Kidney")
    masks = {}
    for index in (8, 9, 10):
        masks[1, index] = disc(512, 512, 250, 200, 40)
        version = put_mask(client, aid, 1, index, masks[1, index], version)
    for index in (9, 10, 11):
        masks[2, index] = disc(512, 512, 250, 330 if not (overlap and index == 10) else 220, 30)
        version = put_mask(client, aid, 2, index, masks[2, index], version)
    return aid, masks


def masks_of(client: TestClient, annotation_id: int) -> dict:  # type: ignore[type-arg]
    info = client.get(f"/api/annotations/{annotation_id}").json()
    found = {}
    for segment in info["segments"]:
        for index in segment["slices"]:
            path = f"/api/annotations/{annotation_id}/segments/{segment['number']}/slices/{index}"
            found[segment["number"], index] = mask_from(client.get(path).content, 512, 512)
    return found


def export_labelmap(client: httpx.Client, annotation_id: int) -> httpx.Response:
    """A local LABELMAP SEG export of the annotation asked for through the API."""
    return client.post(
        f"/api/annotations/{annotation_id}/exports",
        json={"destination": "local", "segmentation_type": "labelmap"},
    )


def test_labelmap_export_is_a_label_map_seg_that_imports_back(client: TestClient, ct: dict) -> None:  # type: ignore[type-arg]
    aid, masks = painted(client, ct, overlap=False)
    answer = export_labelmap(client, aid)
    assert answer.status_code == 201, answer.text
    export = answer.json()
    assert export["segmentation_type"] == "labelmap"
    data = client.get(f"/api/exports/{export['id']}/file").content
    seg = pydicom.dcmread(io.BytesIO(data))
    assert seg.SOPClassUID == LABEL_MAP_SOP_CLASS and seg.SegmentationType == "LABELMAP"
    imported = client.post(
        "/api/annotations/import", json={"sop_instance_uid": export["sop_instance_uid"]}
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["notes"] == []
    got = masks_of(client, imported.json()["id"])
    assert set(got) == set(masks)
    for key, mask in masks.items():
        assert np.array_equal(got[key], mask), key


def test_labelmap_export_of_overlapping_segments_is_refused(client: TestClient, ct: dict) -> None:  # type: ignore[type-arg]
    aid, _ = painted(client, ct, overlap=True)
    answer = export_labelmap(client, aid)
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert "segments 1 (Liver) and 2 (Kidney) overlap on slice 10" in detail
    # Binary is still possible, and the default.
    binary = client.post(f"/api/annotations/{aid}/exports", json={"destination": "local"})
    assert binary.status_code == 201 and binary.json()["segmentation_type"] == "binary"


def test_unknown_segmentation_type_is_a_bad_request(client: TestClient, ct: dict) -> None:  # type: ignore[type-arg]
    aid, _ = painted(client, ct, overlap=False)
    answer = client.post(
        f"/api/annotations/{aid}/exports", json={"segmentation_type": "fractional"}
    )
    assert answer.status_code == 400
    assert (
        answer.json()["detail"]
        == "`segmentation_type` must be one of binary, labelmap, got 'fractional'"
    )


def test_highdicom_labelmap_of_a_shared_series_imports_to_identical_masks(
    client: TestClient,
    ct: dict,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    sources = [pydicom.dcmread(p) for p in dicom_files("ct_philips_phantom")]
    by_uid = {str(ds.SOPInstanceUID): ds for ds in sources}
    ordered = [by_uid[s["sop_instance_uid"]] for s in ct["slices"]]
    labels = np.zeros((len(ordered), 512, 512), dtype=np.uint8)
    labels[5] = disc(512, 512, 200, 200, 25)
    labels[6][disc(512, 512, 300, 300, 35)] = 2
    labels[6][disc(512, 512, 100, 120, 15)] = 1
    described = [
        hd.seg.SegmentDescription(
            segment_number=n,
            segment_label=label,
            segmented_property_category=hd.sr.CodedConcept(
                "91723000", "SCT", "Anatomical Structure"
            ),
            segmented_property_type=hd.sr.CodedConcept(code, "SCT", label),
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        )
        for n, label, code in ((1, "Liver", "10200004"), (2, "Kidney", "64033007"))
    ]
    seg = hd.seg.Segmentation(
        source_images=ordered,
        pixel_array=labels,
        segmentation_type=hd.seg.SegmentationTypeValues.LABELMAP,
        segment_descriptions=described,
        series_instance_uid=generate_uid(),
        series_number=77,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="highdicom",
        manufacturer_model_name="test",
        software_versions="0",
        device_serial_number="1",
    )
    path = tmp_path / "highdicom_labelmap.dcm"
    seg.save_as(path)
    assert upload(client, [path]).json()["rejected"] == []
    imported = client.post("/api/annotations/import", json={"sop_instance_uid": seg.SOPInstanceUID})
    assert imported.status_code == 201, imported.text
    got = masks_of(client, imported.json()["id"])
    expected = {
        (n, i): labels[i] == n for n in (1, 2) for i in range(len(labels)) if (labels[i] == n).any()
    }
    assert set(got) == set(expected)
    for key, mask in expected.items():
        assert np.array_equal(got[key], mask), key


def test_the_sr_of_a_labelmap_seg_draws_from_dciodvfy_only_the_label_map_sop_class_it_lacks(
    client: TestClient,
    ct: dict,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    """dicom3tools predates Supplement 243: it allows ReferencedSegmentNumber only for a
    Segmentation Storage reference, so the SR beside a Label Map SEG draws that error (one
    a segment) and no other."""
    aid, _ = painted(client, ct, overlap=False)
    body = {"destination": "local", "segmentation_type": "labelmap", "measurements": True}
    export = client.post(f"/api/annotations/{aid}/exports", json=body).json()
    path = tmp_path / "sr.dcm"
    path.write_bytes(client.get(f"/api/exports/{export['id']}/sr").content)
    check = subprocess.run(
        [require_tool("dciodvfy"), "-new", str(path)], capture_output=True, text=True
    )
    errors = [line for line in (check.stdout + check.stderr).splitlines() if "Error" in line]
    assert errors, "dicom3tools learnt Supplement 243: make this test expect no error"
    assert all("ReferencedSegmentNumber" in e and "not segmentation" in e for e in errors), errors
