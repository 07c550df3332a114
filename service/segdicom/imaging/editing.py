"""Segment editing over whole volumes: margins, smoothing, islands, logic, scissors.

Every function takes (slices, rows, columns) bool masks and returns new ones; none
writes in place. `sampling` is the voxel size (slice, row, column) in mm. Local
operations (margin, smoothing) run on the mask's bounding box plus what the kernel
can reach, so their cost follows the segment, not the volume.
"""

import math
from collections.abc import Sequence
from enum import StrEnum

import numpy as np
from scipy import ndimage
from skimage.draw import polygon2mask

Sampling = tuple[float, float, float]
Box = tuple[slice, slice, slice]


class Smoothing(StrEnum):
    MEDIAN = "median"
    OPENING = "opening"
    CLOSING = "closing"


class Logic(StrEnum):
    COPY = "copy"
    UNION = "union"
    INTERSECT = "intersect"
    SUBTRACT = "subtract"
    INVERT = "invert"
    CLEAR = "clear"


def padded_box(mask: np.ndarray, pad: Sequence[int]) -> Box | None:
    """The bounding box of `mask` grown by `pad` voxels per axis, within the array."""
    spans = []
    for axis in range(3):
        others = tuple(a for a in range(3) if a != axis)
        found = np.flatnonzero(mask.any(axis=others))
        if found.size == 0:
            return None
        lo, hi = int(found[0]) - pad[axis], int(found[-1]) + 1 + pad[axis]
        spans.append(slice(max(0, lo), min(mask.shape[axis], hi)))
    return (spans[0], spans[1], spans[2])


def _reach(mm: float, sampling: Sampling) -> list[int]:
    return [math.ceil(abs(mm) / s) + 1 for s in sampling]


def margin(mask: np.ndarray, mm: float, sampling: Sampling) -> np.ndarray:
    """Grow (mm > 0) or shrink (mm < 0) by a distance in mm, with anisotropic voxels.

    The segment's surface is taken half-way between a painted voxel centre and its nearest
    unpainted face neighbour (not at the painted centres: with 2.5 mm slices that would
    lose most of a slice at each pole, ~10% of a 2 mm margin's volume), so a voxel joins
    when its centre is within `mm` of that surface, and stays on a shrink when it is more
    than `|mm|` inside it. Outside the volume counts as unpainted.
    """
    box = padded_box(mask, _reach(mm, sampling))
    if box is None or mm == 0:
        return mask.astype(bool, copy=True)
    out = np.zeros_like(mask, dtype=bool)
    crop = np.pad(mask[box].astype(bool), 1)
    region = ~crop if mm > 0 else crop
    dist, nearest = ndimage.distance_transform_edt(region, sampling=sampling, return_indices=True)
    # Only a voxel within half a voxel of the threshold can flip with the surface's offset.
    reach = abs(mm)
    beyond = dist > reach
    near = np.nonzero(beyond & (dist <= reach + max(sampling) / 2))
    sources = tuple(axis[near] for axis in nearest)
    beyond[near] = dist[near] - _face_gap(crop, sources, sampling) / 2 > reach
    kept = crop | ~beyond if mm > 0 else beyond
    out[box] = kept[1:-1, 1:-1, 1:-1]
    return out


def _face_gap(mask: np.ndarray, points: tuple[np.ndarray, ...], sampling: Sampling) -> np.ndarray:
    """At each of `points` (index arrays), the distance to its nearest face neighbour of
    the other value (inf if none; the array's edge has no neighbour)."""
    gap = np.full(points[0].shape, np.inf)
    value = mask[points]
    for axis, step in enumerate(sampling):
        for offset in (-1, 1):
            moved = list(points)
            moved[axis] = points[axis] + offset
            inside = (moved[axis] >= 0) & (moved[axis] < mask.shape[axis])
            clipped = tuple(np.clip(m, 0, n - 1) for m, n in zip(moved, mask.shape, strict=True))
            differs = inside & (mask[clipped] != value)
            gap[differs] = np.minimum(gap[differs], step)
    return gap


def ellipsoid(diameter_mm: float, sampling: Sampling) -> np.ndarray:
    """A ball of `diameter_mm` in voxels of `sampling` (at least one voxel across)."""
    radii = [max(0, int(diameter_mm / 2 / s)) for s in sampling]
    grids = np.ogrid[tuple(slice(-r, r + 1) for r in radii)]
    dist = sum((g * s / (diameter_mm / 2)) ** 2 for g, s in zip(grids, sampling, strict=True))
    ball: np.ndarray = np.asarray(dist <= 1.0)
    return ball


def smooth(mask: np.ndarray, method: Smoothing, kernel_mm: float, sampling: Sampling) -> np.ndarray:
    """Median, opening or closing with a ball of `kernel_mm` diameter."""
    ball = ellipsoid(kernel_mm, sampling)
    pad = [2 * (n // 2) + 1 for n in ball.shape]
    box = padded_box(mask, pad)
    out = np.zeros_like(mask, dtype=bool)
    if box is None:
        return out
    crop = mask[box].astype(bool)
    if method is Smoothing.MEDIAN:
        out[box] = ndimage.median_filter(crop.astype(np.uint8), footprint=ball, mode="constant")
    elif method is Smoothing.OPENING:
        out[box] = ndimage.binary_opening(crop, structure=ball)
    else:
        framed = np.pad(crop, [(n, n) for n in pad])
        closed = ndimage.binary_closing(framed, structure=ball)
        out[box] = closed[tuple(slice(n, -n) for n in pad)]
    return out


def islands(mask: np.ndarray) -> list[np.ndarray]:
    """The face-connected islands of `mask`, largest first (ties: first in scan order)."""
    labels, count = ndimage.label(mask)
    if count == 0:
        return []
    sizes = np.bincount(labels.ravel())[1:]
    order = np.argsort(-sizes, kind="stable") + 1
    return [labels == n for n in order]


def keep_largest(mask: np.ndarray) -> np.ndarray:
    found = islands(mask)
    return found[0] if found else np.zeros_like(mask, dtype=bool)


def remove_small(mask: np.ndarray, min_voxels: int) -> np.ndarray:
    """Drop the islands of fewer than `min_voxels` voxels."""
    labels, count = ndimage.label(mask)
    if count == 0:
        return np.zeros_like(mask, dtype=bool)
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_voxels
    keep[0] = False
    out: np.ndarray = keep[labels]
    return out


def logic(op: Logic, target: np.ndarray, source: np.ndarray | None) -> np.ndarray:
    """The new target of `op`; copy, union, intersect and subtract need `source`."""
    if op is Logic.INVERT:
        return ~target.astype(bool)
    if op is Logic.CLEAR:
        return np.zeros_like(target, dtype=bool)
    if source is None:
        raise ValueError(f"{op} needs a source segment")
    src = source.astype(bool)
    result: np.ndarray
    if op is Logic.COPY:
        result = src.copy()
    elif op is Logic.UNION:
        result = target | src
    elif op is Logic.INTERSECT:
        result = target & src
    else:
        result = target & ~src
    return result


def scissors(
    mask: np.ndarray,
    polygon: Sequence[tuple[float, float]],
    fill: bool,
    inside: bool,
    slices: tuple[int, int],
) -> np.ndarray:
    """Fill or erase inside (or outside) a polygon of (row, column) vertices, on the
    slices first..last inclusive; a rectangle is a polygon of four vertices."""
    area = polygon2mask(mask.shape[1:], np.asarray(polygon, dtype=np.float64))
    if not inside:
        area = ~area
    out = mask.astype(bool, copy=True)
    chosen = out[slices[0] : slices[1] + 1]
    if fill:
        chosen |= area
    else:
        chosen &= ~area
    return out
