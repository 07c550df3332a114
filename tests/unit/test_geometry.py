"""Slice order along the normal and per-frame geometry, on real headers and synthetic frames."""

import random
from pathlib import Path

import numpy as np
import pydicom
import pytest
from tests.helpers import data_dir, dicom_files

from segdicom.imaging.geometry import FrameRef, frames_of, slice_normal, slice_spacing, sort_frames

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)


def _frame(i: int, position: tuple[float, float, float] | None, orientation=AXIAL) -> FrameRef:  # type: ignore[no-untyped-def]
    return FrameRef(
        path=f"f{i}",
        sop_instance_uid=f"1.2.{i}",
        frame=0,
        instance_number=i,
        position=position,
        orientation=orientation,
        pixel_spacing=(0.5, 0.5),
        slice_thickness=2.0,
    )


def _headers(paths: list[Path]) -> list[FrameRef]:
    frames = []
    for path in paths:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        frames.extend(frames_of(ds, str(path)))
    return frames


def _depths(frames: list[FrameRef], orientation: tuple[float, ...]) -> np.ndarray:
    normal = slice_normal(orientation)  # type: ignore[arg-type]
    return np.array([np.dot(f.position, normal) for f in frames])  # type: ignore[arg-type]


def test_normal_is_row_cross_column() -> None:
    assert np.allclose(slice_normal(AXIAL), [0, 0, 1])
    assert np.allclose(slice_normal(SAGITTAL), [-1, 0, 0])


def test_sorted_along_normal_not_by_instance_number() -> None:
    # Instance numbers run backwards to the positions.
    frames = [_frame(10 - i, (0.0, 0.0, 2.5 * i)) for i in range(10)]
    random.Random(4).shuffle(frames)
    ordered, orientation = sort_frames(frames)
    assert orientation == AXIAL
    assert [f.position[2] for f in ordered] == [2.5 * i for i in range(10)]  # type: ignore[index]
    assert slice_spacing(ordered, orientation) == pytest.approx(2.5)


def test_sagittal_sorted_along_normal_not_z() -> None:
    # x changes from slice to slice, z is the same everywhere: z says nothing.
    frames = [_frame(i, (10.0 - 3.0 * i, -50.0, 40.0), SAGITTAL) for i in range(8)]
    random.Random(1).shuffle(frames)
    ordered, orientation = sort_frames(frames)
    depths = _depths(ordered, SAGITTAL)
    assert np.all(np.diff(depths) > 0)
    assert slice_spacing(ordered, orientation) == pytest.approx(3.0)


def test_frames_without_geometry_fall_back_to_instance_number() -> None:
    frames = [_frame(i, None) for i in (3, 1, 2)]
    ordered, orientation = sort_frames(frames)
    assert orientation is None
    assert [f.instance_number for f in ordered] == [1, 2, 3]
    assert slice_spacing(ordered, orientation) == 2.0  # the slice thickness


def test_ct_philips_phantom_file_names_are_not_slice_order() -> None:
    paths = dicom_files("ct_philips_phantom")
    frames = _headers(paths)
    ordered, orientation = sort_frames(frames)
    assert orientation is not None
    assert len(ordered) == 28
    assert [f.path for f in ordered] != [str(p) for p in paths]
    depths = _depths(ordered, orientation)
    assert np.all(np.diff(depths) > 0)
    assert slice_spacing(ordered, orientation) == pytest.approx(5.0, abs=1e-3)


def test_mr_sagittal_real_headers() -> None:
    frames = _headers(dicom_files("mr_siemens_t1_sag"))
    ordered, orientation = sort_frames(frames)
    assert orientation is not None
    normal = slice_normal(orientation)
    assert abs(normal[0]) > 0.9  # sagittal: the normal is (close to) the x axis
    depths = _depths(ordered, orientation)
    assert len(ordered) == 35
    assert np.all(np.diff(depths) > 0)
    assert len({f.position[2] for f in frames}) == 1  # type: ignore[index]  # z says nothing
    assert [f.path for f in ordered] != [f.path for f in frames]


def test_enhanced_frames_carry_per_frame_positions() -> None:
    path = data_dir("enhanced_multiframe", "mr_philips_achieva", "IM_0027_fMAP.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    frames = frames_of(ds, str(path))
    assert len(frames) == int(ds.NumberOfFrames) == 64
    assert {f.frame for f in frames} == set(range(64))
    assert all(f.position is not None and f.orientation is not None for f in frames)
    per_frame = ds.PerFrameFunctionalGroupsSequence
    for i in (0, 17, 63):
        expected = [float(v) for v in per_frame[i].PlanePositionSequence[0].ImagePositionPatient]
        assert np.allclose(frames[i].position, expected)  # type: ignore[arg-type]
    assert len({f.position for f in frames}) > 1
