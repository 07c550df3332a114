"""Reopen: SEGs made by dcmqi and highdicom become annotations with the same masks.

Expected masks are counted straight from each SEG's frames with pydicom (binary
frames, fractional frames from half the maximum, label-map values), so the
check does not rely on the decoder under test.
"""

import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pydicom
import pytest
from starlette.testclient import TestClient
from tests.helpers import data_dir, dicom_files

from segdicom.app import create_app
from segdicom.config import Settings

SOURCES = [
    ("dcmqi_seg", "ct-3slice"),
    ("dcmqi_seg", "23x38x3", "image"),
    ("dcmqi_seg", "24x38x3", "image"),
    ("highdicom_seg", "source_ct_small"),
    ("highdicom_seg", "source_ct2_4slices"),
]
SEGS = [
    ("dcmqi_seg", "liver.dcm"),
    ("dcmqi_seg", "partial_overlaps.dcm"),
    ("dcmqi_seg", "sparse-labelmap-noppv.dcm"),
    ("dcmqi_seg", "23x38x3", "seg", "label.seg"),
    ("highdicom_seg", "seg", "seg_image_ct_binary.dcm"),
    ("highdicom_seg", "seg", "seg_image_ct_binary_overlap.dcm"),
    ("highdicom_seg", "seg", "seg_image_ct_binary_fractional.dcm"),
    ("highdicom_seg", "seg", "seg_image_ct_true_fractional.dcm"),
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("import"), dicom_port=0)
    with TestClient(create_app(settings)) as test_client:
        files = [p for parts in SOURCES for p in dicom_files(*parts)]
        files += [data_dir(*parts) for parts in SEGS]
        files.append(
            data_dir("dcmqi_seg", "orphan_seg_no_source", "seg_refs_13_missing_instances.dcm")
        )
        body = [("files", (p.name, p.read_bytes(), "application/dicom")) for p in files]
        answer = test_client.post("/api/uploads", files=body)
        assert answer.status_code == 200 and answer.json()["rejected"] == [], answer.text
        yield test_client


def expected_counts(path: Path) -> dict[int, int]:
    """Pixels per segment, read from the SEG's frames (PS3.3 C.8.20.2)."""
    ds = pydicom.dcmread(path)
    frames = ds.pixel_array.reshape(-1, int(ds.Rows), int(ds.Columns))
    numbers = [int(s.SegmentNumber) for s in ds.SegmentSequence if int(s.SegmentNumber) > 0]
    if ds.SegmentationType == "LABELMAP":
        return {n: int((frames == n).sum()) for n in numbers}
    threshold = 0.5 if ds.SegmentationType == "BINARY" else int(ds.MaximumFractionalValue) / 2
    counts = dict.fromkeys(numbers, 0)
    for frame, group in zip(frames, ds.PerFrameFunctionalGroupsSequence, strict=True):
        number = int(group.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        counts[number] += int((frame >= threshold).sum())
    return counts


def imported_counts(client: TestClient, annotation: dict) -> dict[int, int]:  # type: ignore[type-arg]
    info = client.get(f"/api/annotations/{annotation['id']}").json()
    counts = {}
    for segment in info["segments"]:
        total = 0
        for index in segment["slices"]:
            path = f"/api/annotations/{info['id']}/segments/{segment['number']}/slices/{index}"
            total += int(
                np.unpackbits(
                    np.frombuffer(zlib.decompress(client.get(path).content), np.uint8)
                ).sum()
            )
        counts[segment["number"]] = total
    return counts


@pytest.mark.parametrize("parts", SEGS, ids=lambda p: p[-1])
def test_import_gives_the_same_segments_and_masks(
    client: TestClient, parts: tuple[str, ...]
) -> None:
    path = data_dir(*parts)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    answer = client.post("/api/annotations/import", json={"sop_instance_uid": ds.SOPInstanceUID})
    assert answer.status_code == 201, answer.text
    annotation = answer.json()
    assert annotation["series_uid"] == ds.ReferencedSeriesSequence[0].SeriesInstanceUID
    # A label map's segment 0, when described, is the background (PS3.3 C.8.20.2.1).
    described = [s for s in ds.SegmentSequence if int(s.SegmentNumber) > 0]
    labels = {int(s.SegmentNumber): str(s.SegmentLabel) for s in described}
    assert {s["number"]: s["label"] for s in annotation["segments"]} == labels
    for segment, item in zip(annotation["segments"], described, strict=True):
        category = item.SegmentedPropertyCategoryCodeSequence[0]
        assert segment["category"]["code"] == category.CodeValue
        assert segment["type"]["code"] == item.SegmentedPropertyTypeCodeSequence[0].CodeValue
    assert imported_counts(client, annotation) == expected_counts(path)
    assert annotation["unmatched_frames"] == 0
    fractional = ds.SegmentationType == "FRACTIONAL"
    assert len(annotation["notes"]) == (1 if fractional else 0), annotation["notes"]
    # Ready to edit and export again.
    export = client.post(
        f"/api/annotations/{annotation['id']}/exports", json={"destination": "local"}
    )
    assert export.status_code == 201, export.text


def test_orphan_seg_names_the_missing_series(client: TestClient) -> None:
    path = data_dir("dcmqi_seg", "orphan_seg_no_source", "seg_refs_13_missing_instances.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    answer = client.post("/api/annotations/import", json={"sop_instance_uid": ds.SOPInstanceUID})
    assert answer.status_code == 404
    assert ds.ReferencedSeriesSequence[0].SeriesInstanceUID in answer.json()["detail"]
    assert "not in the local store" in answer.json()["detail"]


def test_import_of_something_else_is_refused(client: TestClient) -> None:
    ct = pydicom.dcmread(dicom_files("dcmqi_seg", "ct-3slice")[0], stop_before_pixels=True)
    answer = client.post("/api/annotations/import", json={"sop_instance_uid": ct.SOPInstanceUID})
    assert answer.status_code == 422 and "not a SEG" in answer.json()["detail"]
    answer = client.post("/api/annotations/import", json={"sop_instance_uid": "1.2.3.4"})
    assert answer.status_code == 404
