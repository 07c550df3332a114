"""Agreement metrics on known shapes, STAPLE recovering a known truth, project rule matching."""

import numpy as np
import pytest
from scipy import ndimage

from segdicom.imaging.agreement import Cropped, Geometry, compare
from segdicom.imaging.geometry import FrameRef
from segdicom.imaging.spacing import slice_thicknesses
from segdicom.masks import encode_mask
from segdicom.workflows.agreement import painted_parts
from segdicom.workflows.consensus import Method, combine
from segdicom.workflows.projects import Arrival, field_matches, rule_matches


def ball(shape: tuple[int, int, int], center: tuple[float, ...], radius: float) -> np.ndarray:
    grid = np.indices(shape).astype(float)
    distance = sum((g - c) ** 2 for g, c in zip(grid, center, strict=True))
    return np.asarray(distance <= radius**2)


def cropped(volume: np.ndarray) -> Cropped:
    return Cropped.from_slices({k: volume[k] for k in range(volume.shape[0]) if volume[k].any()})


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2 * (a & b).sum() / (a.sum() + b.sum()))


def test_identical_masks_agree_and_volume_uses_the_spacing() -> None:
    mask = np.zeros((10, 20, 20), dtype=bool)
    mask[2:5, 5:10, 5:15] = True  # 3 x 5 x 10 voxels
    geometry = Geometry.regular(10, (0.5, 0.8, 2.5))
    found = compare(cropped(mask), cropped(mask), geometry)
    assert (found.dice, found.hd95_mm) == (1.0, 0.0)
    assert found.volume_a_ml == pytest.approx(150 * 0.5 * 0.8 * 2.5 / 1000)


def test_hd95_of_a_shifted_box_is_the_shift_in_mm() -> None:
    a = np.zeros((12, 30, 30), dtype=bool)
    a[3:9, 5:20, 5:20] = True
    b = np.roll(a, 4, axis=2)  # 4 columns of 0.7 mm
    found = compare(cropped(a), cropped(b), Geometry.regular(12, (0.7, 0.7, 3.0)))
    assert found.hd95_mm == pytest.approx(4 * 0.7)
    assert found.dice == pytest.approx(dice(a, b))


def test_uneven_slices_are_placed_where_they_are() -> None:
    """Slices 0-3 at z = 0, 1, 2, 10 mm: a mask on slice 3 against one on slice 2 is 8 mm off."""
    positions = np.array([[0, 0, 0], [0, 0, 1.0], [0, 0, 2.0], [0, 0, 10.0]])
    orientation = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    frames = [
        FrameRef(f"{k}.dcm", f"1.2.{k}", 0, k, tuple(p), orientation, (1.0, 1.0), None)
        for k, p in enumerate(positions.tolist())
    ]
    thickness = slice_thicknesses(frames, orientation, 1.0)
    geometry = Geometry(
        positions, np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), (1.0, 1.0), thickness
    )
    a = np.zeros((4, 5, 5), dtype=bool)
    b = np.zeros((4, 5, 5), dtype=bool)
    a[2, 2, 2] = b[3, 2, 2] = True
    found = compare(cropped(a), cropped(b), geometry)
    assert found.hd95_mm == pytest.approx(8.0)
    assert list(geometry.thickness) == pytest.approx([1.0, 1.0, 4.5, 8.0])
    assert found.volume_b_ml == pytest.approx(8.0 / 1000)


def test_staple_recovers_the_truth_from_three_noisy_readers() -> None:
    """Each reader misses boundary voxels and paints specks anywhere, independently."""
    rng = np.random.default_rng(7)
    shape = (48, 64, 64)
    truth = ball(shape, (24, 32, 32), 18)
    boundary = ndimage.binary_dilation(truth) & ~ndimage.binary_erosion(truth)
    readers = [
        truth ^ (boundary & (rng.random(shape) < 0.15)) ^ (rng.random(shape) < 0.02)
        for _ in range(3)
    ]
    assert all(dice(r, truth) < 0.92 for r in readers)
    for method in (Method.STAPLE, Method.MAJORITY):
        found = combine([cropped(r) for r in readers], 3, method)
        made = np.zeros(shape, dtype=bool)
        z, r, c = found.origin
        n = found.array.shape
        made[z : z + n[0], r : r + n[1], c : c + n[2]] = found.array
        assert dice(made, truth) >= 0.98, method


@pytest.mark.parametrize(
    ("name", "pattern", "value", "matches"),
    [
        ("modality", "CT", "ct", True),
        ("modality", "CT", "CTA", False),
        ("modality", "C?", "CR", True),
        ("calling_ae", "scanner1", "SCANNER1 ", True),
        ("study_description", "head", "1A TRAUMA/PLAIN HEAD DM", True),
        ("series_description", "brain*", "STD BRAIN 5MM", False),
        ("series_description", "*brain*", "STD BRAIN 5MM", True),
    ],
)
def test_rule_fields_match_whole_values_substrings_or_globs(
    name: str, pattern: str, value: str, matches: bool
) -> None:
    assert field_matches(name, pattern, value) is matches


def test_a_rule_needs_every_field_to_match() -> None:
    arrival = Arrival("SCANNER1", "1.2", "1.3", "CT", "HEAD", "BRAIN")
    assert rule_matches({"modality": "CT", "calling_ae": "scanner1"}, arrival)
    assert not rule_matches({"modality": "CT", "calling_ae": "OTHER"}, arrival)
    assert not rule_matches({}, arrival)


@pytest.mark.parametrize("columns", [64, 61])
def test_painted_parts_read_from_the_wire_equal_the_decoded_masks(columns: int) -> None:
    rng = np.random.default_rng(columns)
    slices = {}
    for k in (2, 3, 7):
        mask = np.zeros((40, columns), dtype=bool)
        r, c = rng.integers(0, 30), rng.integers(0, columns - 10)
        mask[r : r + 9, c : c + 7] = True
        slices[k] = mask
    wire = {k: encode_mask(m) for k, m in slices.items()} | {
        5: encode_mask(np.zeros((40, columns)))
    }
    found = Cropped.from_parts(painted_parts(wire, 40, columns))
    expected = np.stack([slices.get(k, np.zeros((40, columns), bool)) for k in range(8)])
    placed = np.zeros_like(expected)
    (z, r, c), n = found.origin, found.array.shape  # the box may have empty margins
    placed[z : z + n[0], r : r + n[1], c : c + n[2]] = found.array
    assert np.array_equal(placed, expected)
