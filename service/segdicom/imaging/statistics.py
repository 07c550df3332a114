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

from segdicom.imaging.spacing import patient_points, slice_thicknesses
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
    painted = sorted(k for k, m in masks.items() if m.any())
    if not painted:
        return _empty(number, label)
    t = slice_thicknesses(volume) if thicknesses is None else thicknesses
    counts = np.array([np.count_nonzero(masks[k]) for k in painted], dtype=np.int64)
    values = np.concatenate([image[k][masks[k]] for k in painted]).astype(np.float64)
    volume_mm3 = float(np.sum(counts * t[painted])) * volume.spacing[0] * volume.spacing[1]
    box, extremes = _extent(masks, painted)
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
        max_diameter_mm=max_distance(patient_points(volume, extremes)),
    )


def _empty(number: int, label: str) -> SegmentStatistics:
    return SegmentStatistics(
        number, label, 0, 0.0, 0.0, None, None, None, None, None, None, (), 0.0
    )


def _extent(masks: Mapping[int, np.ndarray], painted: list[int]) -> tuple[BoundingBox, np.ndarray]:
    """The bounding box, and the (slice, row, column) of the first and last voxel of each
    painted row: every vertex of the segment's convex hull is among them (a voxel between
    two others on a row is inside the hull), so the hull is built from far fewer points
    than the whole boundary and is the same."""
    rows_lo, rows_hi, cols_lo, cols_hi = [], [], [], []
    points = []
    for k in painted:
        m = masks[k]
        any_row = m.any(axis=1)
        rows = np.flatnonzero(any_row)
        sub = m[rows]
        first = sub.argmax(axis=1)
        last = m.shape[1] - 1 - sub[:, ::-1].argmax(axis=1)
        rows_lo.append(rows[0])
        rows_hi.append(rows[-1])
        cols_lo.append(first.min())
        cols_hi.append(last.max())
        ks = np.full(rows.size, k)
        points.append(np.stack([ks, rows, first], axis=1))
        points.append(np.stack([ks, rows, last], axis=1))
    box = BoundingBox(
        slices=(painted[0], painted[-1]),
        rows=(int(min(rows_lo)), int(max(rows_hi))),
        columns=(int(min(cols_lo)), int(max(cols_hi))),
    )
    return box, np.unique(np.concatenate(points), axis=0)


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
    hull = ConvexHull(projected)
    return float(pdist(points[hull.vertices]).max())
