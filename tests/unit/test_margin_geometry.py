"""The margin in patient space against a brute force over every voxel centre.

The brute force places each voxel with the DICOM formula (imaging/spacing.py
`patient_points`: P = S + c * dc * X + r * dr * Y), finds the edge voxels and their
nearest face neighbour across the edge by 3D distance, and measures every voxel to
every edge voxel: no distance transform, no slice normal, no in-plane shift.
"""

import math

import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial import cKDTree

from segdicom.imaging import editing
from segdicom.imaging.geometry import FrameRef, Orientation
from segdicom.imaging.margin_geometry import (
    SlicePlacement,
    margin_box,
    margin_in_space,
    placement_of,
)
from segdicom.imaging.spacing import patient_points

AXIAL: Orientation = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
TIE = 1e-6  # mm: a voxel this close to the threshold may go either way


def _frames(
    depths: list[float], orientation: Orientation, pixel: tuple[float, float], tilt: float = 0.0
) -> tuple[FrameRef, ...]:
    """Slices at `depths` along the normal; a tilt slides each along the column direction
    by tan(tilt) per mm of depth (a GE gantry tilt: the stack is sheared)."""
    x, y = np.asarray(orientation[:3]), np.asarray(orientation[3:])
    normal = np.cross(x, y)
    origin = np.array([-20.0, -15.0, 40.0])
    frames = []
    for i, depth in enumerate(depths):
        point = origin + depth * normal + depth * math.tan(math.radians(tilt)) * y
        position = (float(point[0]), float(point[1]), float(point[2]))
        frames.append(FrameRef(f"f{i}", f"1.2.{i}", 0, i + 1, position, orientation, pixel, 1.0))
    return tuple(frames)


def _points(frames: tuple[FrameRef, ...], shape: tuple[int, int, int]) -> np.ndarray:
    indexes = np.indices(shape).reshape(3, -1).T
    pixel = frames[0].pixel_spacing or (1.0, 1.0)
    found = patient_points(frames, frames[0].orientation, (pixel[0], pixel[1], 1.0), indexes)
    return found.reshape(*shape, 3)


def _brute(
    mask: np.ndarray, frames: tuple[FrameRef, ...], mm: float
) -> tuple[np.ndarray, np.ndarray]:
    """(the margin's result, each voxel's distance to the surface) by brute force."""
    assert not (
        mask[0].any() or mask[-1].any() or mask[:, [0, -1]].any() or mask[:, :, [0, -1]].any()
    )
    points = _points(frames, mask.shape)
    region = mask if mm > 0 else ~mask
    gap = np.full(mask.shape, np.inf)
    for axis in range(3):
        low = tuple(slice(None, -1) if a == axis else slice(None) for a in range(3))
        high = tuple(slice(1, None) if a == axis else slice(None) for a in range(3))
        step = np.linalg.norm(points[high] - points[low], axis=-1)
        for here, there in ((low, high), (high, low)):
            faces = region[here] & ~region[there]
            gap[here] = np.minimum(gap[here], np.where(faces, step, np.inf))
    # min over edge voxels y of |x - y| - gap(y) / 2: the gaps take a few values, so one
    # nearest-neighbour search (a k-d tree over the 3D points) per value is the whole minimum.
    distance = np.full(mask.shape, np.inf)
    targets = points[~region]
    for value in np.unique(gap[np.isfinite(gap)]):
        nearest, _ = cKDTree(points[gap == value]).query(targets)
        distance[~region] = np.minimum(distance[~region], nearest - value / 2)
    near = distance <= abs(mm)
    return (mask | near if mm > 0 else mask & ~near), distance


def _ours(mask: np.ndarray, frames: tuple[FrameRef, ...], mm: float) -> np.ndarray:
    pixel = frames[0].pixel_spacing or (1.0, 1.0)
    stack = placement_of(frames, frames[0].orientation or AXIAL, pixel)
    return margin_in_space(mask, mm, stack.around(0, len(frames)))


def _assert_matches(mask: np.ndarray, frames: tuple[FrameRef, ...], mm: float) -> np.ndarray:
    expected, distance = _brute(mask, frames, mm)
    found = _ours(mask, frames, mm)
    decided = np.abs(distance - abs(mm)) > TIE
    wrong = (found != expected) & decided
    assert not wrong.any(), f"{wrong.sum()} voxels differ at {np.argwhere(wrong)[:5].tolist()}"
    assert found.sum() != mask.sum()  # the margin did something
    return found


def _blob(shape: tuple[int, int, int], seed: int) -> np.ndarray:
    """An irregular lump (a smoothed random field) clear of the array's edges, and one lone
    voxel beside it."""
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.standard_normal(shape), (1.0, 3.0, 3.0))
    k, r, c = np.indices(shape)
    centre = [(n - 1) / 2 for n in shape]
    inside = ((k - centre[0]) / 3.5) ** 2 + ((r - centre[1]) / 11) ** 2 + ((c - centre[2]) / 9) ** 2
    mask = (inside + 3 * field) < 1.0
    mask[[0, -1]] = False
    mask[:, :6] = mask[:, -6:] = False
    mask[:, :, :6] = mask[:, :, -6:] = False
    mask[shape[0] // 2, 6, 6] = True
    return mask


def _depths(gaps: list[float]) -> list[float]:
    return [0.0, *np.cumsum(gaps).tolist()]


UNEVEN = _depths([1, 1, 1, 3, 1, 1, 1, 1, 2, 1, 1])
MISSING = _depths([2, 2, 2, 2, 4, 2, 2, 2, 2, 2, 2])
EVEN = _depths([2.0] * 11)
OBLIQUE: Orientation = (
    math.cos(0.4),
    math.sin(0.4),
    0.0,
    -math.sin(0.4) * math.cos(0.3),
    math.cos(0.4) * math.cos(0.3),
    math.sin(0.3),
)
CASES = {
    "uneven": _frames(UNEVEN, AXIAL, (0.7, 0.7)),
    "missing slice": _frames(MISSING, AXIAL, (0.8, 0.8)),
    "15 degree tilt": _frames(EVEN, AXIAL, (0.8, 0.8), tilt=15.0),
    "oblique, uneven": _frames(UNEVEN, OBLIQUE, (0.75, 0.9)),
    "oblique, uneven, tilted": _frames(MISSING, OBLIQUE, (0.9, 0.75), tilt=-12.0),
}


@pytest.mark.parametrize("mm", [2.5, 1.2, -0.9, -2.0])
@pytest.mark.parametrize("case", sorted(CASES))
def test_margin_matches_the_brute_force_in_patient_space(case: str, mm: float) -> None:
    frames = CASES[case]
    for seed in range(3):
        _assert_matches(_blob((12, 40, 40), seed), frames, mm)


def test_uneven_spacing_reaches_only_the_slices_within_the_margin() -> None:
    """QA: gaps 1,1,1,3,1,1,1,1 mm; +2.5 mm from one voxel on slice 3 reaches slices 2 and
    1 (1 and 2 mm away) but not slices 4 and 5 (3 and 4 mm away)."""
    frames = _frames(_depths([1, 1, 1, 3, 1, 1, 1, 1]), AXIAL, (0.7, 0.7))
    point = np.zeros((9, 21, 21), dtype=bool)
    point[3, 10, 10] = True
    grown = _ours(point, frames, 2.5)
    painted = [int(n) for n in grown.sum(axis=(1, 2))]
    assert painted[1] > 0 and painted[2] > 0 and painted[3] > 0
    assert painted[4] == painted[5] == 0
    assert painted[0] == 0  # 3 mm away too
    np.testing.assert_array_equal(grown, _brute(point, frames, 2.5)[0])


def test_a_missing_slice_is_not_crossed_by_a_shorter_margin() -> None:
    """QA: slices 2 mm apart but one 4 mm step; +3 mm from a voxel before the gap paints the
    slice 2 mm before it and nothing on the slice 4 mm after it."""
    frames = _frames(MISSING, AXIAL, (0.8, 0.8))
    point = np.zeros((12, 21, 21), dtype=bool)
    point[4, 10, 10] = True  # depth 8; slice 5 is at 12
    grown = _ours(point, frames, 3.0)
    assert grown[3].any()
    assert not grown[5].any()
    np.testing.assert_array_equal(grown, _brute(point, frames, 3.0)[0])


def test_a_grown_disc_follows_the_shear_of_a_tilted_stack() -> None:
    """QA: with a 15 degree tilt the slices slide down the rows; the disc grown onto the
    neighbouring slices is centred where its centre lies on each of them, not on its row."""
    depths = [-4.5, -2.0, 0.0, 2.0, 4.5]  # uneven: the shift per slice varies too
    frames = _frames(depths, AXIAL, (0.7, 0.7), tilt=15.0)
    rows, columns = np.mgrid[:41, :41]
    disc = np.zeros((5, 41, 41), dtype=bool)
    disc[2] = (rows - 20) ** 2 + (columns - 20) ** 2 <= 3**2
    grown = _ours(disc, frames, 5.0)
    shift = math.tan(math.radians(15.0)) / 0.7  # rows per mm of depth
    for k, depth in enumerate(depths):
        expected = 20 - depth * shift  # the slice is further down by depth * tan: the centre is up
        found = np.argwhere(grown[k])
        assert found.size, f"slice {k} is empty"
        assert found[:, 0].mean() == pytest.approx(expected, abs=0.25)
        assert found[:, 1].mean() == pytest.approx(20.0, abs=0.25)
    np.testing.assert_array_equal(grown, _brute(disc, frames, 5.0)[0])


def test_shrink_keeps_what_lies_deeper_than_the_margin() -> None:
    frames = CASES["oblique, uneven"]
    block = np.zeros((12, 40, 40), dtype=bool)
    block[2:10, 8:32, 8:32] = True
    shrunk = _assert_matches(block, frames, -2.0)
    assert shrunk.any() and not (shrunk & ~block).any()


@pytest.mark.parametrize("case", ["15 degree tilt", "oblique, uneven, tilted"])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_fractional_shifts_are_decided_exactly_at_every_threshold(case: str, sign: float) -> None:
    """A tilt shifts slices by a fraction of a pixel: the distance transform read at the
    rounded pixel can be long by up to a pixel diagonal (0.18 mm was seen on these masks at
    1.13 mm from the surface), so a 1.15 mm margin would miss voxels without the exact
    refinement near the threshold. Sweep thresholds against one brute force."""
    frames = CASES[case]
    mask = _blob((12, 40, 40), 10)
    _, distance = _brute(mask, frames, sign)
    for mm in np.arange(0.6, 3.0, 0.05):
        near = distance <= mm
        expected = mask | near if sign > 0 else mask & ~near
        found = _ours(mask, frames, sign * mm)
        decided = np.abs(distance - mm) > TIE
        assert not ((found != expected) & decided).any(), f"{mm:.2f} mm"


def test_on_a_regular_stack_only_the_index_grids_shortcut_differs() -> None:
    """On a regular stack editing.margin measures from the nearest painted centre only (its
    surface offset is that centre's); here every edge voxel counts. They differ on few
    voxels, all within half a voxel of the threshold, and there the brute force sides with
    the patient-space margin."""
    frames = _frames(EVEN, AXIAL, (0.7, 0.7))
    for seed in range(2):
        mask = _blob((12, 40, 40), seed)
        for mm in (2.5, -1.5):
            ours = _ours(mask, frames, mm)
            grid = editing.margin(mask, mm, (2.0, 0.7, 0.7))
            expected, distance = _brute(mask, frames, mm)
            differ = ours != grid
            assert differ.sum() < 0.01 * mask.size
            assert (np.abs(distance[differ] - abs(mm)) <= 1.0).all()
            decided = np.abs(distance - abs(mm)) > TIE
            assert not ((ours != expected) & decided).any()


def test_the_box_holds_every_voxel_the_margin_reaches() -> None:
    frames = CASES["15 degree tilt"]
    stack = placement_of(frames, AXIAL, (0.8, 0.8))
    mask = np.zeros((12, 40, 40), dtype=bool)
    mask[5, 18:21, 18:21] = True
    box = margin_box((slice(5, 6), slice(18, 21), slice(18, 21)), 3.0, stack, mask.shape)
    whole = _ours(mask, frames, 3.0)
    inside = np.zeros_like(whole)
    inside[box] = True
    assert whole.any() and not (whole & ~inside).any()
    cropped = margin_in_space(mask[box], 3.0, stack.around(box[0].start, box[0].stop))
    np.testing.assert_array_equal(cropped, whole[box])


def test_the_placement_extends_one_step_past_each_end() -> None:
    stack = SlicePlacement(
        np.array([[0.0, 0.0, 0.0], [2.0, 0.5, 0.0], [5.0, 1.0, 0.0]]), (1.0, 1.0)
    )
    np.testing.assert_allclose(stack.around(0, 3).along[[0, -1]], [[-2, -0.5, 0], [8, 1.5, 0]])
    np.testing.assert_allclose(stack.around(1, 2).along, stack.along)
