"""Agreement between two readers' masks of one segment, on the series' true geometry.

Masks are 3D boolean arrays indexed (slice, row, column) of a volume whose
slices may be unevenly spaced, tilted or oblique. Every voxel is placed in
patient space from its own slice's Image Position (Patient) and the Image
Orientation (Patient) (PS3.3 C.7.6.2.1.1), so distances are in mm whatever the
acquisition, and a voxel's volume uses the spacing around its own slice.

- Dice: 2|A∩B| / (|A| + |B|).
- HD95: the 95th percentile of the distances from every surface voxel of A to
  the nearest surface voxel of B and from every surface voxel of B to A, pooled
  (as MedPy's `hd95`); a surface voxel is a mask voxel with a face neighbour
  outside the mask (6-connectivity).
- Volume: voxels x pixel area x the slice's thickness (half the distance to
  each neighbouring slice: `Volume.slice_thicknesses`, imaging/spacing.py), in mL.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class Geometry:
    """Where voxel (k, r, c) is: positions[k] + c * spacing[1] * x + r * spacing[0] * y."""

    positions: np.ndarray  # (slices, 3) mm
    x: np.ndarray  # direction of increasing column index (first row of the IOP)
    y: np.ndarray  # direction of increasing row index
    spacing: tuple[float, float]  # row spacing, column spacing (PixelSpacing)
    thickness: np.ndarray  # (slices,) mm along the normal: Volume.slice_thicknesses()

    @classmethod
    def regular(
        cls, slices: int, spacing: tuple[float, float, float], normal_sign: float = 1.0
    ) -> "Geometry":
        """An axis-aligned grid (no positions in the headers): slices along z."""
        positions = np.zeros((slices, 3))
        positions[:, 2] = normal_sign * spacing[2] * np.arange(slices)
        x, y = np.array([1.0, 0, 0]), np.array([0, 1.0, 0])
        return cls(positions, x, y, spacing[:2], np.full(slices, spacing[2]))

    def points(self, indices: np.ndarray) -> np.ndarray:
        """Patient coordinates (n, 3) of voxel indices (n, 3) = (k, r, c)."""
        k, r, c = indices[:, 0], indices[:, 1], indices[:, 2]
        points: np.ndarray = (
            self.positions[k]
            + np.outer(c * self.spacing[1], self.x)
            + np.outer(r * self.spacing[0], self.y)
        )
        return points


@dataclass(frozen=True)
class Cropped:
    """A sparse 3D mask: the box that holds every painted voxel, and where it starts."""

    origin: tuple[int, int, int]
    array: np.ndarray  # bool (slices, rows, columns) of the box

    @classmethod
    def from_slices(cls, slices: Mapping[int, np.ndarray]) -> "Cropped":
        """From painted 2D slices by index (empty slices may be left out)."""
        parts = {}
        for k, mask in slices.items():
            box = _box2d(mask)
            if box is not None:
                parts[k] = (box[0], box[2], mask[box[0] : box[1], box[2] : box[3]])
        return cls.from_parts(parts)

    @classmethod
    def from_parts(cls, parts: Mapping[int, tuple[int, int, np.ndarray]]) -> "Cropped":
        """From the painted part of each slice: slice index -> (first row, first column, mask)."""
        if not parts:
            return cls((0, 0, 0), np.zeros((0, 0, 0), dtype=bool))
        z0, z1 = min(parts), max(parts) + 1
        r0 = min(r for r, _, _ in parts.values())
        c0 = min(c for _, c, _ in parts.values())
        r1 = max(r + m.shape[0] for r, _, m in parts.values())
        c1 = max(c + m.shape[1] for _, c, m in parts.values())
        array = np.zeros((z1 - z0, r1 - r0, c1 - c0), dtype=bool)
        for k, (r, c, mask) in parts.items():
            array[k - z0, r - r0 : r - r0 + mask.shape[0], c - c0 : c - c0 + mask.shape[1]] = mask
        return cls((z0, r0, c0), array)

    @property
    def empty(self) -> bool:
        return self.array.size == 0

    def voxels(self) -> int:
        return int(self.array.sum())


def _box2d(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    columns = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1


@dataclass(frozen=True)
class PairAgreement:
    dice: float
    hd95_mm: float
    volume_a_ml: float
    volume_b_ml: float

    @property
    def volume_difference_ml(self) -> float:
        return self.volume_a_ml - self.volume_b_ml


def compare(a: Cropped, b: Cropped, geometry: Geometry) -> PairAgreement:
    """Dice, HD95 (mm) and volumes (mL) of two readers' masks of one segment.

    Two empty masks agree (Dice 1, HD95 0); one empty mask gives Dice 0 and no HD95 (NaN).
    """
    va, vb = volume_ml(a, geometry), volume_ml(b, geometry)
    if a.empty and b.empty:
        return PairAgreement(1.0, 0.0, va, vb)
    if a.empty or b.empty:
        return PairAgreement(0.0, math.nan, va, vb)
    origin, (box_a, box_b) = _common_box(a, b)
    overlap = int(np.logical_and(box_a, box_b).sum())
    dice = 2.0 * overlap / (a.voxels() + b.voxels())
    surface_a = _surface_points(box_a, origin, geometry)
    surface_b = _surface_points(box_b, origin, geometry)
    a_to_b, _ = cKDTree(surface_b).query(surface_a, workers=-1)
    b_to_a, _ = cKDTree(surface_a).query(surface_b, workers=-1)
    hd95 = float(np.percentile(np.concatenate([a_to_b, b_to_a]), 95))
    return PairAgreement(dice, hd95, va, vb)


def volume_ml(mask: Cropped, geometry: Geometry) -> float:
    if mask.empty:
        return 0.0
    per_slice = mask.array.sum(axis=(1, 2))
    z0 = mask.origin[0]
    thickness = geometry.thickness[z0 : z0 + len(per_slice)]
    area = geometry.spacing[0] * geometry.spacing[1]
    return float((per_slice * thickness).sum() * area / 1000.0)


def _common_box(a: Cropped, b: Cropped) -> tuple[tuple[int, ...], tuple[np.ndarray, np.ndarray]]:
    """Both masks in one box with a free voxel on every side (so borders count as surface)."""
    lo = [min(a.origin[i], b.origin[i]) - 1 for i in range(3)]
    hi = [max(a.origin[i] + a.array.shape[i], b.origin[i] + b.array.shape[i]) + 1 for i in range(3)]
    shape = tuple(h - low for h, low in zip(hi, lo, strict=True))
    boxes = []
    for mask in (a, b):
        box = np.zeros(shape, dtype=bool)
        start = [mask.origin[i] - lo[i] for i in range(3)]
        end = [s + n for s, n in zip(start, mask.array.shape, strict=True)]
        box[start[0] : end[0], start[1] : end[1], start[2] : end[2]] = mask.array
        boxes.append(box)
    return tuple(lo), (boxes[0], boxes[1])


def surface(box: np.ndarray) -> np.ndarray:
    """Voxels with a face neighbour outside (the box has a free voxel on every side):
    the mask minus its erosion by the 6-neighbourhood, by slicing (no copy per shift)."""
    inner = box.copy()
    core = inner[1:-1, 1:-1, 1:-1]
    for axis in range(3):
        for lo, hi in ((0, -2), (2, None)):
            index = [slice(1, -1)] * 3
            index[axis] = slice(lo, hi)
            core &= box[tuple(index)]
    inner[0], inner[-1] = False, False
    inner[:, 0], inner[:, -1], inner[:, :, 0], inner[:, :, -1] = False, False, False, False
    result: np.ndarray = box & ~inner
    return result


def _surface_points(box: np.ndarray, origin: Sequence[int], geometry: Geometry) -> np.ndarray:
    indices = np.argwhere(surface(box)) + np.asarray(origin)
    return geometry.points(indices)
