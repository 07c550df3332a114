"""Editor operations on synthetic volumes with known answers."""

import math

import numpy as np
import pytest

from segdicom.imaging import editing
from segdicom.imaging.editing import Logic, Smoothing
from segdicom.imaging.seeds import grow_from_seeds

ANISOTROPIC = (2.5, 0.7, 0.7)  # slice, row, column spacing (mm)


def _sphere(radius_mm: float, shape=(40, 128, 128), sampling=ANISOTROPIC) -> np.ndarray:  # type: ignore[no-untyped-def]
    # A centre off the voxel grid, so the test does not ride on a symmetric lattice.
    centre = [(n - 1) / 2 + 0.3 for n in shape]
    grids = np.ogrid[tuple(slice(0, n) for n in shape)]
    r2 = sum(((g - c) * s) ** 2 for g, c, s in zip(grids, centre, sampling, strict=True))
    return np.asarray(r2 <= radius_mm**2)


def _volume_mm3(mask: np.ndarray, sampling=ANISOTROPIC) -> float:  # type: ignore[no-untyped-def]
    return float(mask.sum()) * math.prod(sampling)


def _ball(radius: float) -> float:
    return 4 / 3 * math.pi * radius**3


@pytest.mark.parametrize("radius", [15.0, 20.0])
def test_sphere_grown_by_2_mm_has_the_analytic_volume(radius: float) -> None:
    grown = editing.margin(_sphere(radius), 2.0, ANISOTROPIC)
    assert _volume_mm3(grown) == pytest.approx(_ball(radius + 2.0), rel=0.03)


def test_sphere_shrunk_by_2_mm_has_the_analytic_volume() -> None:
    shrunk = editing.margin(_sphere(20.0), -2.0, ANISOTROPIC)
    assert _volume_mm3(shrunk) == pytest.approx(_ball(18.0), rel=0.03)


def test_margin_keeps_the_original_and_stays_inside_the_array() -> None:
    sphere = _sphere(15.0)
    grown = editing.margin(sphere, 3.0, ANISOTROPIC)
    assert grown.shape == sphere.shape
    assert not (sphere & ~grown).any()
    edge = np.zeros((5, 10, 10), dtype=bool)
    edge[0, 0, 0] = True
    # The surface is 0.5 mm out: 1.5 mm reaches the 3 face and 3 edge neighbours
    # (1 and 1.41 mm away), not the corner (1.73 mm), and nothing outside the array.
    assert editing.margin(edge, 1.0, (1.0, 1.0, 1.0)).sum() == 7


def test_margin_respects_anisotropic_spacing() -> None:
    point = np.zeros((11, 31, 31), dtype=bool)
    point[5, 15, 15] = True
    grown = editing.margin(point, 2.0, (2.5, 0.5, 0.5))
    assert grown[:, 15, 15].sum() == 1  # the next slice is 2.5 mm away
    assert grown[5, 15, :].sum() == 9  # the surface is 0.25 mm out: 15 +- 4 columns


def test_opening_removes_a_thin_spur_and_closing_fills_a_small_hole() -> None:
    cube = np.zeros((20, 40, 40), dtype=bool)
    cube[5:15, 10:30, 10:30] = True
    spur = cube.copy()
    spur[10, 30:38, 20] = True
    opened = editing.smooth(spur, Smoothing.OPENING, 3.0, (1.0, 1.0, 1.0))
    assert not opened[10, 31:38, 20].any()
    assert opened[8:12, 13:27, 13:27].all()
    holed = cube.copy()
    holed[10, 20, 20] = False
    closed = editing.smooth(holed, Smoothing.CLOSING, 3.0, (1.0, 1.0, 1.0))
    assert closed[10, 20, 20]
    assert not closed[:5].any() and not closed[:, :10].any()


def test_median_drops_a_lone_voxel_and_keeps_a_block() -> None:
    mask = np.zeros((20, 40, 40), dtype=bool)
    mask[5:15, 10:30, 10:30] = True
    mask[2, 2, 2] = True
    smoothed = editing.smooth(mask, Smoothing.MEDIAN, 3.0, (1.0, 1.0, 1.0))
    assert not smoothed[2, 2, 2]
    assert smoothed[6:14, 11:29, 11:29].all()


def _three_islands() -> np.ndarray:
    mask = np.zeros((10, 30, 30), dtype=bool)
    mask[1:9, 1:9, 1:9] = True  # 512
    mask[1:4, 20:24, 20:24] = True  # 48
    mask[7, 25, 5] = True  # 1
    return mask


def test_islands_keep_largest_remove_small_and_split() -> None:
    mask = _three_islands()
    assert editing.keep_largest(mask).sum() == 512
    assert editing.remove_small(mask, 2).sum() == 512 + 48
    assert editing.remove_small(mask, 49).sum() == 512
    parts = editing.islands(mask)
    assert [int(p.sum()) for p in parts] == [512, 48, 1]
    assert np.array_equal(np.logical_or.reduce(parts), mask)


def test_islands_are_face_connected() -> None:
    mask = np.zeros((3, 3, 3), dtype=bool)
    mask[0, 0, 0] = mask[1, 1, 1] = True  # corners touch, faces do not
    assert len(editing.islands(mask)) == 2


def test_logic_between_two_overlapping_boxes() -> None:
    a = np.zeros((4, 10, 10), dtype=bool)
    b = np.zeros_like(a)
    a[:, 0:6] = True
    b[:, 4:10] = True
    assert np.array_equal(editing.logic(Logic.COPY, a, b), b)
    assert editing.logic(Logic.UNION, a, b).all()
    assert editing.logic(Logic.INTERSECT, a, b).sum() == 4 * 2 * 10
    assert editing.logic(Logic.SUBTRACT, a, b).sum() == 4 * 4 * 10
    assert np.array_equal(editing.logic(Logic.INVERT, a, None), ~a)
    assert not editing.logic(Logic.CLEAR, a, None).any()
    with pytest.raises(ValueError, match="source"):
        editing.logic(Logic.UNION, a, None)


def test_scissors_fill_inside_a_rectangle_on_a_slice_range() -> None:
    mask = np.zeros((6, 20, 20), dtype=bool)
    square = ((2.0, 2.0), (2.0, 11.0), (11.0, 11.0), (11.0, 2.0))
    filled = editing.scissors(mask, square, fill=True, inside=True, slices=(1, 3))
    assert filled[1:4, 2:12, 2:12].all()
    assert filled.sum() == 3 * 10 * 10
    erased = editing.scissors(~mask, square, fill=False, inside=False, slices=(0, 5))
    assert erased.sum() == 6 * 10 * 10


def test_grow_from_seeds_separates_two_touching_blobs_of_different_intensity() -> None:
    shape = (30, 60, 60)
    grids = np.ogrid[:30, :60, :60]

    def ball(centre: tuple[int, int, int], radius: float) -> np.ndarray:
        r2 = sum((g - c) ** 2 for g, c in zip(grids, centre, strict=True))
        return np.asarray(r2 <= radius**2)

    left, right = ball((15, 30, 20), 12), ball((15, 30, 40), 12)
    right &= ~left  # they touch along a plane
    rng = np.random.default_rng(1)
    image = rng.normal(0, 5, shape).astype(np.float32)
    image[left] += 40
    image[right] += 160
    seed_a = np.zeros(shape, dtype=bool)
    seed_b = np.zeros(shape, dtype=bool)
    seed_a[15, 30, 15] = seed_b[15, 30, 45] = True
    grown_a, grown_b = grow_from_seeds(image, [seed_a, seed_b], (1.0, 1.0, 1.0))
    assert not (grown_a & grown_b).any()
    assert (grown_a | grown_b).all()
    assert (grown_a & left).sum() / left.sum() > 0.97
    assert (grown_b & right).sum() / right.sum() > 0.97
