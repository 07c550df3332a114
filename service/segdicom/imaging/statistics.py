"""Segment statistics: size, volume with the true per-slice spacing, image values, extent.

Pure numpy/scipy over a segment's decoded slice masks and the image stack, so a workflow,
an SR writer or a script computes exactly what `GET /api/annotations/{id}/statistics`
answers, without HTTP.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull
from scipy.spatial.distance import pdist

from segdicom.imaging.spacing import patient_points
from segdicom.imaging.volume import Volume


@dataclass(frozen=True)
class BoundingBox:
    """Inclusive index ranges [first, last] of the painted voxels."""

    slices: tuple[int, int]
    rows: tuple[int, int]
    columns: tuple[int, int]


@dataclass(frozen=True)
class SegmentStatistics:
    """One segment's figures; the value figures are None for an empty segment.

    Values are in modality units (after rescale: HU for CT); `sd` is the population SD.
    `slices` lists the painted slice indexes, ascending.
    """

    number: int
    label: str
    voxels: int
    volume_mm3: float
    volume_ml: float
    mean: float | None
    sd: float | None
    min: float | None
    max: float | None
    median: float | None
    bbox: BoundingBox | None
    slices: tuple[int, ...]
    max_diameter_mm: float


def segment_statistics(
    number: int,
    label: str,
    masks: Mapping[int, np.ndarray],
    image: np.ndarray,
    volume: Volume,
    thicknesses: np.ndarray | None = None,
) -> SegmentStatistics:
    """Statistics of one segment given as slice index -> (rows, columns) bool mask.

    `image` is the (slices, rows, columns) stack in modality units; `thicknesses` each
    slice's extent along the normal (computed from `volume` when not given).
    """
    t = volume.slice_thicknesses() if thicknesses is None else thicknesses
    parts = [p for k in sorted(masks) if (p := _slice_part(k, masks[k], image[k])) is not None]
    if not parts:
        return _empty(number, label)
    painted = [p.index for p in parts]
    counts = np.array([p.values.size for p in parts], dtype=np.int64)
    values = np.concatenate([p.values for p in parts]).astype(np.float64)
    volume_mm3 = float(np.sum(counts * t[painted])) * volume.spacing[0] * volume.spacing[1]
    box = BoundingBox(
        slices=(painted[0], painted[-1]),
        rows=(min(p.rows[0] for p in parts), max(p.rows[1] for p in parts)),
        columns=(min(p.columns[0] for p in parts), max(p.columns[1] for p in parts)),
    )
    extremes = np.concatenate([p.extremes for p in parts])
    return SegmentStatistics(
        number=number,
        label=label,
        voxels=int(counts.sum()),
        volume_mm3=volume_mm3,
        volume_ml=volume_mm3 / 1000.0,
        mean=float(values.mean()),
        sd=float(values.std()),
        min=float(values.min()),
        max=float(values.max()),
        median=float(np.median(values)),
        bbox=box,
        slices=tuple(painted),
        max_diameter_mm=max_distance(_points(volume, extremes)),
    )


def _points(volume: Volume, indexes: np.ndarray) -> np.ndarray:
    return patient_points(volume.frames, volume.orientation, volume.spacing, indexes)


def _empty(number: int, label: str) -> SegmentStatistics:
    return SegmentStatistics(
        number, label, 0, 0.0, 0.0, None, None, None, None, None, None, (), 0.0
    )


@dataclass(frozen=True)
class _SlicePart:
    index: int
    rows: tuple[int, int]
    columns: tuple[int, int]
    values: np.ndarray  # the image values under the mask
    extremes: np.ndarray  # (n, 3) slice, row, column of each painted row's first and last voxel


def _slice_part(index: int, mask: np.ndarray, image: np.ndarray) -> _SlicePart | None:
    """One slice's share, worked out on the mask's own bounding box.

    The first and last voxel of each painted row are kept for the diameter: every vertex of
    the segment's convex hull is among them (a voxel between two others on a row is inside
    the hull), so the hull is built from far fewer points than the whole boundary, and is
    the same.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    r0, r1 = int(rows[0]), int(rows[-1])
    band = mask[r0 : r1 + 1]
    columns = np.flatnonzero(band.any(axis=0))
    c0, c1 = int(columns[0]), int(columns[-1])
    crop = band[:, c0 : c1 + 1]
    painted = rows - r0
    inside = crop[painted]
    first = inside.argmax(axis=1) + c0
    last = c1 - inside[:, ::-1].argmax(axis=1)
    ks = np.full(2 * rows.size, index)
    extremes = np.stack([ks, np.tile(rows, 2), np.concatenate([first, last])], axis=1)
    values = image[r0 : r1 + 1, c0 : c1 + 1][crop]
    return _SlicePart(index, (r0, r1), (c0, c1), values, extremes)


def max_distance(points: np.ndarray) -> float:
    """The largest distance between two of the (n, 3) points: the largest distance
    between vertices of their convex hull, taken in the points' own span (a segment on
    one slice is flat, on one row a line), where Qhull needs full dimension."""
    if len(points) < 2:
        return 0.0
    centred = points - points.mean(axis=0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    rank = int(np.sum(singular > max(singular[0], 1.0) * 1e-9))
    if rank == 0:
        return 0.0
    projected = centred @ axes[:rank].T
    if rank == 1:
        return float(projected.max() - projected.min())
    # Joggled (QJ): voxel centres lie on a lattice, massively coplanar, and merging their
    # facets is most of Qhull's time; a joggled hull still has every extreme point as a
    # vertex, up to a relative 1e-11.
    hull = ConvexHull(projected, qhull_options="QJ")
    return float(pdist(points[hull.vertices]).max())
