"""Segment statistics and per-slice thickness on synthetic volumes with known answers."""

import math

import numpy as np
import pytest

from segdicom.imaging.geometry import FrameRef
from segdicom.imaging.grid import reformat_grid
from segdicom.imaging.spacing import patient_points, series_geometry
from segdicom.imaging.statistics import max_distance, segment_statistics
from segdicom.imaging.volume import Volume

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def _volume(depths: list[float], rows: int = 20, columns: int = 30) -> Volume:
    frames = tuple(
        FrameRef(f"f{i}", f"1.2.{i}", 0, i + 1, (10.0, -5.0, z), AXIAL, (0.5, 0.8), 1.0)
        for i, z in enumerate(depths)
    )
    spacing = (0.5, 0.8, 2.0)
    geometry = series_geometry(frames, AXIAL, spacing[2])
    return Volume(
        series_uid="1.2.3",
        study_uid="1.2",
        modality="CT",
        rows=rows,
        columns=columns,
        dtype="int16",
        frames=frames,
        spacing=spacing,
        orientation=AXIAL,
        invert=False,
        color=False,
        header_windows=(),
        frame_of_reference_uid="1.2.9",
        geometry=geometry,
        grid=reformat_grid(frames, AXIAL, (rows, columns), spacing, geometry),
    )


def test_slice_thickness_is_half_the_gap_to_each_neighbour() -> None:
    volume = _volume([0.0, 2.0, 4.0, 10.0, 11.0])
    assert volume.slice_thicknesses() == pytest.approx([2.0, 2.0, 4.0, 3.5, 1.0])


def test_patient_points_follow_position_orientation_and_spacing() -> None:
    volume = _volume([0.0, 2.0, 7.0])
    points = patient_points(
        volume.frames, volume.orientation, volume.spacing, np.array([[2, 4, 10]])
    )
    # column 10 x 0.8 mm along x, row 4 x 0.5 mm along y, from slice 2's position
    assert points[0] == pytest.approx([10.0 + 8.0, -5.0 + 2.0, 7.0])


def test_box_statistics_on_uneven_slices() -> None:
    volume = _volume([0.0, 2.0, 4.0, 10.0, 11.0])
    image = np.arange(5 * 20 * 30, dtype=np.int16).reshape(5, 20, 30)
    masks = {k: np.zeros((20, 30), dtype=bool) for k in range(5)}
    for k in (2, 3):
        masks[k][4:8, 5:15] = True  # 4 rows x 10 columns
    found = segment_statistics(7, "Liver", masks, image, volume)
    values = np.concatenate([image[k][masks[k]] for k in (2, 3)]).astype(float)
    assert found.number == 7 and found.label == "Liver"
    assert found.voxels == 80
    assert found.volume_mm3 == pytest.approx(40 * 0.5 * 0.8 * (4.0 + 3.5))
    assert found.volume_ml == pytest.approx(found.volume_mm3 / 1000)
    assert found.mean == pytest.approx(values.mean())
    assert found.sd == pytest.approx(values.std())
    assert (found.min, found.max) == (values.min(), values.max())
    assert found.median == pytest.approx(np.median(values))
    assert found.bbox is not None
    assert (found.bbox.slices, found.bbox.rows, found.bbox.columns) == ((2, 3), (4, 7), (5, 14))
    assert found.slices == (2, 3)
    corner = math.dist((0, 0, 4.0), (9 * 0.8, 3 * 0.5, 10.0))
    assert found.max_diameter_mm == pytest.approx(corner)


def test_empty_segment_has_no_values() -> None:
    volume = _volume([0.0, 1.0])
    found = segment_statistics(1, "x", {0: np.zeros((20, 30), bool)}, np.zeros((2, 20, 30)), volume)
    assert (found.voxels, found.volume_ml, found.mean, found.bbox, found.slices) == (
        0,
        0.0,
        None,
        None,
        (),
    )


def test_diameter_of_a_voxelised_sphere_and_of_flat_and_linear_shapes() -> None:
    rng = np.random.default_rng(3)
    ball = rng.normal(size=(4000, 3))
    ball /= np.linalg.norm(ball, axis=1, keepdims=True)
    assert max_distance(ball * 10) == pytest.approx(20.0, rel=0.01)
    flat = np.c_[rng.uniform(0, 5, 50), rng.uniform(0, 3, 50), np.zeros(50)]
    expected = max(math.dist(a, b) for a in flat for b in flat)
    assert max_distance(flat) == pytest.approx(expected)
    line = np.c_[np.arange(5.0), np.zeros(5), np.zeros(5)]
    assert max_distance(line) == pytest.approx(4.0)
    assert max_distance(line[:1]) == 0.0
