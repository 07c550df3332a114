"""Series geometry and reformats in patient space, on a synthetic tilted, unevenly spaced CT
(tests/tilted_series.py) and on real regular series."""

from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset
from tests import tilted_series as tilted
from tests.helpers import dicom_files

from segdicom.imaging import Volume, build_volume, read_header, read_slice
from segdicom.imaging.grid import AXES, Axis, PlaneGrid
from segdicom.imaging.resample import MAX_RUNS, _cut, plan_plane, resample_plane
from segdicom.imaging.spacing import missing_slices, slice_thicknesses

THRESHOLD = (tilted.INSIDE + tilted.OUTSIDE) / 2


def _volume(paths: list[Path]) -> Volume:
    return build_volume("1.2.3", [(str(p), read_header(p)) for p in paths], 5000)


def _stack(volume: Volume) -> np.ndarray:
    return np.stack([read_slice(volume, i, Path) for i in range(volume.num_slices)])


def _plane(volume: Volume, data: np.ndarray, axis: Axis, index: int) -> np.ndarray:
    """What the service serves (workflows/reformat.py), without the HTTP and the caches."""
    if volume.grid.exact:
        return data[:, :, index] if axis == "sagittal" else data[:, index, :]
    assert volume.orientation is not None
    shape = (volume.rows, volume.columns)
    plan = plan_plane(volume.frames, volume.orientation, shape, volume.grid.axis(axis), axis)
    return resample_plane(data, plan, index, float(data.min()), volume.dtype)


@pytest.fixture(scope="module")
def tilted_volume(tmp_path_factory: pytest.TempPathFactory) -> tuple[Volume, np.ndarray]:
    volume = _volume(tilted.write_series(tmp_path_factory.mktemp("tilted")))
    return volume, _stack(volume)


def _plane_through(grid: PlaneGrid, point: np.ndarray) -> tuple[float, float, float]:
    """(plane, row, column) of a patient point on `grid`, fractional (the contract's formula
    inverted)."""
    offset = point - np.asarray(grid.origin)
    return (
        float(offset @ np.asarray(grid.plane_normal)) / grid.plane_spacing,
        float(offset @ np.asarray(grid.column_direction)) / grid.pixel_spacing[0],
        float(offset @ np.asarray(grid.row_direction)) / grid.pixel_spacing[1],
    )


def _extent(profile: np.ndarray, spacing: float) -> tuple[float, float]:
    """(length in mm, centre in pixels) of the part of a profile above the threshold, with the
    edges placed where the linear profile crosses it."""
    above = np.flatnonzero(profile > THRESHOLD)
    first, last = int(above[0]), int(above[-1])
    assert first > 0 and last < len(profile) - 1, "the sphere touches the plane's edge"
    start = first - (profile[first] - THRESHOLD) / (profile[first] - profile[first - 1])
    end = last + (profile[last] - THRESHOLD) / (profile[last] - profile[last + 1])
    return float(end - start) * spacing, float(start + end) / 2


def test_tilted_series_geometry_says_tilt_spacings_and_the_gap(
    tilted_volume: tuple[Volume, np.ndarray],
) -> None:
    volume, _ = tilted_volume
    geometry = volume.geometry
    assert geometry.tilt_degrees == pytest.approx(tilted.TILT_DEGREES, abs=0.1)
    assert geometry.spacing_min == pytest.approx(4.0, abs=1e-3)
    assert geometry.spacing_max == pytest.approx(8.0, abs=1e-3)  # the step over the gap
    assert geometry.missing_slices == 1
    assert not geometry.regular
    assert not volume.grid.exact


def test_two_spacings_without_a_gap_have_no_missing_slices() -> None:
    assert missing_slices(np.array([4.0] * 6 + [7.0] * 6)) == 0
    assert missing_slices(np.array([4.0] * 6 + [12.0] + [4.0] * 3 + [7.0] * 6 + [14.0])) == 3


def test_tilted_grid_covers_every_slice_at_the_smallest_spacing(
    tilted_volume: tuple[Volume, np.ndarray],
) -> None:
    volume, _ = tilted_volume
    sagittal, coronal = volume.grid.sagittal, volume.grid.coronal
    assert sagittal.pixel_spacing == pytest.approx((4.0, tilted.ROW_SPACING))
    assert coronal.pixel_spacing == pytest.approx((4.0, tilted.COLUMN_SPACING))
    assert sagittal.rows == coronal.rows == 26  # 100 mm / 4 mm + 1
    assert sagittal.planes == coronal.columns == tilted.COLUMNS  # no shear along x
    sheared_mm = tilted.DEPTHS[-1] * tilted.shear()  # the stack is wider along y than a slice
    wide = (tilted.ROWS - 1) * tilted.ROW_SPACING + sheared_mm
    assert sagittal.columns == coronal.planes == round(wide / tilted.ROW_SPACING) + 1
    assert sagittal.origin == pytest.approx(tilted.ORIGIN)
    assert sagittal.plane_normal == coronal.row_direction == pytest.approx((1, 0, 0))
    assert coronal.plane_normal == sagittal.row_direction == pytest.approx((0, 1, 0))
    assert sagittal.column_direction == pytest.approx((0, 0, 1))


@pytest.mark.parametrize("axis", AXES)
def test_tilted_sphere_is_round_and_in_place_in_the_reformats(
    tilted_volume: tuple[Volume, np.ndarray], axis: Axis
) -> None:
    volume, data = tilted_volume
    grid = volume.grid.axis(axis)
    index, row, column = _plane_through(grid, np.asarray(tilted.CENTRE))
    plane = _plane(volume, data, axis, round(index)).astype(np.float64)
    assert plane.shape == (grid.rows, grid.columns)
    ds, dw = grid.pixel_spacing
    # Through the centre, down the column and along the row: the sphere's diameter both ways
    # (the plane is at most half a pixel off the centre: a chord shorter by < 0.1 mm).
    height, middle_row = _extent(plane[:, round(column)], ds)
    width, middle_column = _extent(plane[round(row), :], dw)
    assert height == pytest.approx(2 * tilted.RADIUS, abs=ds)
    assert width == pytest.approx(2 * tilted.RADIUS, abs=dw)
    assert middle_row == pytest.approx(row, abs=1)
    assert middle_column == pytest.approx(column, abs=1)
    # Upright in patient space: every row of the cut centred on the sphere's axis, not drifting
    # along y with the shear; each row's chord between those of the slices around it (linear
    # between slices: no closer than that to the sphere).
    depths = np.asarray(tilted.DEPTHS, dtype=np.float64)
    for r in range(grid.rows):
        from_centre = (r - row) * ds
        if abs(from_centre) > tilted.RADIUS - 6:  # the caps fall between 7 mm slices
            continue
        chord, centre = _extent(plane[r, :], dw)
        assert centre == pytest.approx(column, abs=1), r
        at = np.searchsorted(depths, r * ds)
        around = depths[[max(at - 1, 0), at]] - (r * ds - from_centre)
        chords = 2 * np.sqrt(np.maximum(tilted.RADIUS**2 - around**2, 0))
        assert chords.min() - 2 * dw <= chord <= chords.max() + 2 * dw, r


def test_outside_the_sheared_stack_is_background(tilted_volume: tuple[Volume, np.ndarray]) -> None:
    volume, data = tilted_volume
    plane = _plane(volume, data, "sagittal", tilted.COLUMNS // 2)
    # Row 0 (the first slice) starts at the grid's start along y; the last slice only after
    # the shear: its first columns are outside every slice.
    shift = round(tilted.DEPTHS[-1] * tilted.shear() / tilted.ROW_SPACING)
    assert data.min() == tilted.PADDING
    assert np.all(plane[-1, : shift - 1] == tilted.PADDING)
    assert np.all(plane[0, -shift + 1 :] == tilted.PADDING)
    assert np.all(plane[-1, shift + 1 :] == tilted.OUTSIDE)  # air inside the slice


def _source_voxel(volume: Volume, point: np.ndarray) -> tuple[int, int, int]:
    """The contract's reformat-to-source mapping (the viewer's painting): nearest slice along
    n, then row and column in that slice, rounded."""
    assert volume.orientation is not None
    u, v = np.asarray(volume.orientation[:3]), np.asarray(volume.orientation[3:])
    n = np.cross(u, v)
    positions = np.array([f.position for f in volume.frames])
    k = int(np.argmin(np.abs(positions @ n - point @ n)))
    offset = point - positions[k]
    dr, dc = volume.spacing[0], volume.spacing[1]
    return k, round(float(offset @ v) / dr), round(float(offset @ u) / dc)


@pytest.mark.parametrize("axis", AXES)
def test_a_voxel_round_trips_through_the_reformat(
    tilted_volume: tuple[Volume, np.ndarray], axis: Axis
) -> None:
    volume, _ = tilted_volume
    grid = volume.grid.axis(axis)
    dr, dc = volume.spacing[0], volume.spacing[1]
    rng = np.random.default_rng(11)
    for _ in range(200):
        k = int(rng.integers(volume.num_slices))
        r, c = int(rng.integers(volume.rows)), int(rng.integers(volume.columns))
        frame = volume.frames[k]
        point = (
            np.asarray(frame.position) + c * dc * np.array([1, 0, 0]) + r * dr * np.array([0, 1, 0])
        )
        index, row, column = _plane_through(grid, point)
        assert 0 <= index <= grid.planes - 1 and 0 <= row <= grid.rows - 1
        assert 0 <= column <= grid.columns - 1
        assert grid.point(index, row, column) == pytest.approx(point, abs=1e-6)
        assert _source_voxel(volume, grid.point(index, row, column)) == (k, r, c)
        # The reformat pixel the voxel falls in maps back to it, within a pixel in the slice.
        nearest = grid.point(round(index), round(row), round(column))
        k2, r2, c2 = _source_voxel(volume, nearest)
        assert abs(k2 - k) <= 1 and abs(r2 - r) <= 1 and abs(c2 - c) <= 1


def test_tilted_reformat_samples_the_source_where_grid_and_slice_meet(
    tilted_volume: tuple[Volume, np.ndarray],
) -> None:
    volume, data = tilted_volume
    grid = volume.grid.sagittal
    # Row 0 of the grid is slice 0, and slice 0 is not shifted: sagittal plane i, row 0 is
    # source slice 0, column i, exactly.
    for index in (10, 56, 90):
        plane = _plane(volume, data, "sagittal", index)
        assert np.array_equal(plane[0, : volume.rows], data[0, :, index])
    assert grid.rows == 26


@pytest.mark.parametrize("folder", ["ct_philips_phantom", "mr_siemens_t1_sag"])
def test_regular_series_reformat_is_the_stack_cut(folder: str) -> None:
    volume = _volume(dicom_files(folder))
    assert volume.geometry.regular and volume.grid.exact
    assert volume.geometry.tilt_degrees < 0.1 and volume.geometry.missing_slices == 0
    data = _stack(volume)
    sagittal, coronal = volume.grid.sagittal, volume.grid.coronal
    assert (sagittal.planes, sagittal.rows, sagittal.columns) == (
        volume.columns,
        volume.num_slices,
        volume.rows,
    )
    assert (coronal.planes, coronal.rows, coronal.columns) == (
        volume.rows,
        volume.num_slices,
        volume.columns,
    )
    for index in (0, volume.columns // 3, volume.columns - 1):
        assert np.array_equal(_plane(volume, data, "sagittal", index), data[:, :, index])
    # The grid is the acquisition frame: the origin is slice 0's first pixel, rows follow the
    # slices (each grid row at its slice's position), planes the source columns and rows.
    assert volume.orientation is not None
    u, v = volume.orientation[:3], volume.orientation[3:]
    assert sagittal.origin == pytest.approx(volume.frames[0].position, abs=1e-4)
    assert sagittal.plane_normal == coronal.row_direction == pytest.approx(u, abs=1e-4)
    assert coronal.plane_normal == sagittal.row_direction == pytest.approx(v, abs=1e-4)
    for k in (0, volume.num_slices // 2, volume.num_slices - 1):
        assert sagittal.point(0, k, 0) == pytest.approx(volume.frames[k].position, abs=0.01)
    assert sagittal.plane_spacing == volume.spacing[1]
    assert coronal.plane_spacing == volume.spacing[0]


def test_mr_sagittal_grid_is_in_the_acquisition_frame() -> None:
    volume = _volume(dicom_files("mr_siemens_t1_sag"))
    # Rows run posterior (+y), columns inferior (-z), slices along the normal -x: the
    # "sagittal" reformat of a sagittal acquisition is a coronal plane, in its own frame.
    assert volume.grid.sagittal.plane_normal == pytest.approx((0, 1, 0), abs=1e-3)
    assert volume.grid.sagittal.row_direction == pytest.approx((0, 0, -1), abs=1e-3)
    assert volume.grid.sagittal.column_direction == pytest.approx((-1, 0, 0), abs=1e-3)
    assert volume.grid.sagittal.pixel_spacing[0] == pytest.approx(4.8, abs=1e-3)


def test_slice_thickness_is_half_the_distance_to_each_neighbour(
    tilted_volume: tuple[Volume, np.ndarray],
) -> None:
    volume, _ = tilted_volume
    thickness = volume.slice_thicknesses()
    steps = np.diff(tilted.DEPTHS)
    assert thickness[0] == pytest.approx(4.0)  # an end: its one neighbour's spacing
    assert thickness[-1] == pytest.approx(7.0)
    assert thickness[5] == pytest.approx((steps[4] + steps[5]) / 2)  # 4 mm and the 8 mm gap
    assert thickness[10] == pytest.approx((4 + 7) / 2)  # depth 44: 4 mm before, 7 after
    # The slices stand for the whole extent plus half a slice at each end: a tilt does not
    # stretch it (the step between positions is longer than along the normal).
    assert thickness.sum() == pytest.approx(tilted.DEPTHS[-1] + 4 / 2 + 7 / 2)
    phantom = _volume(dicom_files("ct_philips_phantom"))
    assert np.allclose(phantom.slice_thicknesses(), 5.0, atol=1e-3)


def test_no_positions_means_the_nominal_thickness() -> None:
    frames = _volume(dicom_files("ct_philips_phantom")).frames
    assert np.array_equal(slice_thicknesses(frames, None, 2.5), np.full(len(frames), 2.5))


def test_frames_sharing_a_position_each_stand_for_that_positions_slab() -> None:
    """Philips enhanced MR, two frames a position 4 mm apart: a voxel painted on either
    frame stands for 4 mm (was 2: half the distance to the same-position neighbour)."""
    volume = _volume(dicom_files("enhanced_multiframe/mr_philips_achieva"))
    assert np.allclose(volume.slice_thicknesses(), 4.0, atol=1e-3)


@pytest.mark.parametrize("runs", [1, 5, 120])
@pytest.mark.parametrize("axis", AXES)
def test_cut_takes_each_slices_own_line(axis: Axis, runs: int) -> None:
    rng = np.random.default_rng(runs)
    data = rng.integers(-1000, 1000, size=(120, 9, 11), dtype=np.int16)
    length = data.shape[2] if axis == "sagittal" else data.shape[1]
    at = np.repeat(rng.integers(0, length, size=runs), 120 // runs)
    assert (len(np.flatnonzero(np.diff(at))) + 1 > MAX_RUNS) == (runs == 120)  # both ways
    expected = [data[k, :, at[k]] if axis == "sagittal" else data[k, at[k], :] for k in range(120)]
    assert np.array_equal(_cut(data, axis, at), np.stack(expected))


def test_an_enhanced_series_with_two_frames_a_position_is_reformatted_from_its_one_stack() -> None:
    """Philips enhanced MR: 64 frames at 32 positions (a magnitude and a field map at each,
    4 mm apart). The volume is the magnitude stack, so the side views are 32 rows of 4 mm of
    it: neither 64 interleaved rows (a striped image twice its true height) nor field map."""
    volume = _volume(dicom_files("enhanced_multiframe/mr_philips_achieva"))
    assert volume.num_slices == 32 and [f.frame for f in volume.frames] == list(range(32))
    assert volume.geometry.regular and volume.geometry.missing_slices == 0
    data = _stack(volume)
    for axis in AXES:
        grid = volume.grid.axis(axis)
        assert grid.rows == 32 and grid.pixel_spacing[0] == pytest.approx(4.0)
        index = grid.planes // 2
        plane = _plane(volume, data, axis, index)
        stacked = data[:, :, index] if axis == "sagittal" else data[:, index, :]
        np.testing.assert_array_equal(plane, stacked)


def test_a_smaller_localizer_listed_first_does_not_push_the_series_out() -> None:
    """The series' size is that of most of its frames, not of whichever image comes first."""
    from tests.synthetic_ct import ct_header, new_uids

    uids = new_uids()

    def header(k: int, shape: tuple[int, int]) -> tuple[str, Dataset]:
        ds = ct_header(
            uids, k, patient=("P", "P^Q"), position=[0, 0, 2.0 * k],
            spacing=(1.0, 1.0), thickness=2.0, shape=shape,
        )  # fmt: skip
        return f"/nowhere/{k}.dcm", ds

    localizer = header(0, (8, 8))
    volume = build_volume(uids[1], [localizer] + [header(k, (16, 16)) for k in range(1, 6)], 50)
    assert (volume.rows, volume.columns, volume.num_slices) == (16, 16, 5)
    assert [(e.sop_instance_uid, str(e.reason)) for e in volume.excluded] == [
        (str(localizer[1].SOPInstanceUID), "other size")
    ]
