"""Stored masks stay on their source slice when instances arrive between the slices."""

import io
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from starlette.testclient import TestClient
from tests.helpers import dicom_files
from tests.integration.support import (
    create_annotation,
    disc,
    mask_from,
    put_mask,
    put_segment,
    series_info,
    upload,
)

SERIES = "ct_philips_phantom"


def _files_along_normal() -> list[tuple[Path, str]]:
    """The series' files and SOP Instance UIDs in slice order, read independently."""
    found = []
    for path in dicom_files(SERIES):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        row, column = np.asarray(ds.ImageOrientationPatient[:3]), ds.ImageOrientationPatient[3:]
        depth = float(np.dot(np.cross(row, column), np.asarray(ds.ImagePositionPatient)))
        found.append((depth, path, str(ds.SOPInstanceUID)))
    return [(path, uid) for _, path, uid in sorted(found)]


def _upload(client: TestClient, files: list[tuple[Path, str]]) -> str:
    response = upload(client, [path for path, _ in files])
    assert response.status_code == 200, response.text
    return str(response.json()["series"][0]["series_uid"])


def _mask_at(client: TestClient, annotation_id: int, number: int, index: int) -> np.ndarray:
    url = f"/api/annotations/{annotation_id}/segments/{number}/slices/{index}"
    response = client.get(url)
    assert response.status_code == 200, response.text
    return mask_from(response.content, 512, 512)


def _painted(client: TestClient, annotation_id: int) -> dict[int, list[int]]:
    body = client.get(f"/api/annotations/{annotation_id}").json()
    return {s["number"]: s["slices"] for s in body["segments"]}


def _export_frames(client: TestClient, annotation_id: int) -> dict[tuple[int, str], np.ndarray]:
    """(segment number, referenced source SOP Instance UID) -> frame, of a local export."""
    response = client.post(
        f"/api/annotations/{annotation_id}/exports", json={"destination": "local"}
    )
    assert response.status_code == 201, response.text
    file = client.get(f"/api/exports/{response.json()['id']}/file")
    seg = hd.seg.Segmentation.from_dataset(pydicom.dcmread(io.BytesIO(file.content)))
    shared = seg.SharedFunctionalGroupsSequence[0]
    frames = {}
    for i, group in enumerate(seg.PerFrameFunctionalGroupsSequence):
        source = group.DerivationImageSequence[0].SourceImageSequence[0]
        # PS3.3 C.7.6.16: a macro the same for every frame may sit in the shared groups.
        identification = group.get("SegmentIdentificationSequence") or shared.get(
            "SegmentIdentificationSequence"
        )
        number = int(identification[0].ReferencedSegmentNumber)
        frames[number, str(source.ReferencedSOPInstanceUID)] = seg.pixel_array[i].astype(bool)
    return frames


def test_masks_follow_their_instances_when_slices_arrive_between(client: TestClient) -> None:
    ordered = _files_along_normal()
    series_uid = _upload(client, ordered[0::2])
    aid = create_annotation(client, series_uid)["id"]
    put_segment(client, aid, 1, label="Liver")
    version = put_segment(client, aid, 2, label="Tumor")
    liver, tumor = disc(512, 512, 250, 240, 60), disc(512, 512, 270, 260, 20)
    version = put_mask(client, aid, 1, 3, liver, version)  # the 7th slice of the full series
    version = put_mask(client, aid, 2, 5, tumor, version)  # the 11th
    assert _painted(client, aid) == {1: [3], 2: [5]}

    _upload(client, ordered[1::2])  # e.g. C-STORE delivering the rest later
    slices = [s["sop_instance_uid"] for s in series_info(client, series_uid)["slices"]]
    assert slices == [uid for _, uid in ordered]

    assert _painted(client, aid) == {1: [6], 2: [10]}
    assert np.array_equal(_mask_at(client, aid, 1, 6), liver)
    assert np.array_equal(_mask_at(client, aid, 2, 10), tumor)
    assert not _mask_at(client, aid, 1, 3).any()  # slice 3 is now an instance nobody painted
    assert not _mask_at(client, aid, 2, 5).any()

    frames = _export_frames(client, aid)
    assert set(frames) == {(1, ordered[6][1]), (2, ordered[10][1])}
    assert np.array_equal(frames[1, ordered[6][1]], liver)
    assert np.array_equal(frames[2, ordered[10][1]], tumor)


def test_a_write_after_the_shift_lands_on_the_new_slice_and_keeps_the_old_masks(
    client: TestClient,
) -> None:
    ordered = _files_along_normal()
    series_uid = _upload(client, ordered[0::2])
    aid = create_annotation(client, series_uid)["id"]
    version = put_segment(client, aid, 1, label="Liver")
    first, second = disc(512, 512, 200, 200, 30), disc(512, 512, 300, 300, 40)
    version = put_mask(client, aid, 1, 3, first, version)
    version = put_mask(client, aid, 1, 6, second, version)

    _upload(client, ordered[1::2])
    # Index 6 was where `second` was written; it now holds the slice `first` belongs to.
    added = disc(512, 512, 100, 100, 10)
    version = put_mask(client, aid, 1, 3, added, version)
    assert _painted(client, aid) == {1: [3, 6, 12]}
    assert np.array_equal(_mask_at(client, aid, 1, 3), added)
    assert np.array_equal(_mask_at(client, aid, 1, 6), first)
    assert np.array_equal(_mask_at(client, aid, 1, 12), second)

    put_mask(client, aid, 1, 6, np.zeros((512, 512), bool), version)  # clearing `first`
    assert _painted(client, aid) == {1: [3, 12]}
    frames = _export_frames(client, aid)
    assert set(frames) == {(1, ordered[3][1]), (1, ordered[12][1])}
    assert np.array_equal(frames[1, ordered[12][1]], second)
