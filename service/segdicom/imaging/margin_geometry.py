"""A margin measured in patient space, for a stack that is not a regular grid.

An unevenly spaced, gapped or gantry-tilted series keeps parallel slices, but the distance
between two of them is not the index difference times one step, and a tilt slides each slice
in-plane (the shear of imaging/spacing.py). Between a voxel of slice k and one of slice j the
distance splits into the normal distance d_jk and the in-plane difference less the shift s_jk
of slice j against slice k: sqrt(d_jk^2 + |in-plane - s_jk|^2). So one 2D distance transform
per source slice serves every target slice within reach, read at the target's shifted
(fractional) position.

The semantics are those of `editing.margin`, generalised: the surface lies half-way between a
voxel on the edge of the region and its nearest face neighbour outside it, the face neighbour
across slices being the same (row, column) of the adjacent slice at its true 3D distance.
A voxel's distance to the surface is the least, over edge voxels y, of |x - y| - gap(y) / 2.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from segdicom.imaging.geometry import FrameRef, Orientation
from segdicom.imaging.spacing import frame_axes, positions
from segdicom.imaging.volume import Volume

Box = tuple[slice, slice, slice]

WHOLE = 1e-6  # a shift within this many pixels of a whole pixel is that pixel
SAME = 1e-9  # mm: a voxel this close to the threshold counts as on it (float noise)


@dataclass(frozen=True)
class SlicePlacement:
    """Where each slice of a stack lies in its acquisition frame (imaging/grid.py's u, v, n).

    `along[k]` = slice k's Image Position in mm along the normal n, down the rows (v) and
    along a row (u); pixel (r, c) of slice k is then at along[k] + (0, r * dr, c * dc).
    """

    along: np.ndarray  # (slices, 3) float64: normal, rows, columns (mm)
    pixel: tuple[float, float]  # between rows, between columns (mm)

    @property
    def steps(self) -> np.ndarray:
        """(slices - 1,) 3D distance from each slice to the next at one (row, column)."""
        found: np.ndarray = np.linalg.norm(np.diff(self.along, axis=0), axis=1)
        return found

    def around(self, first: int, stop: int) -> "SlicePlacement":
        """Slices first..stop-1 with one more at each end: the real neighbour, or past the
        stack's end one step further on (outside the volume is unpainted, a step away)."""
        along = self.along
        before = along[first - 1] if first > 0 else 2 * along[0] - along[1]
        after = along[stop] if stop < len(along) else 2 * along[-1] - along[-2]
        rows = np.vstack([before, along[first:stop], after])
        return SlicePlacement(rows, self.pixel)


def placement_of(
    frames: tuple[FrameRef, ...], orientation: Orientation, pixel: tuple[float, float]
) -> SlicePlacement:
    """The placement of sorted frames that all have a position (two at least)."""
    if len(frames) < 2:
        raise ValueError(f"a placement needs two slices at least, got {len(frames)}")
    u, v, n = frame_axes(orientation)
    points = positions(frames)
    return SlicePlacement(np.stack([points @ n, points @ v, points @ u], axis=1), pixel)


def true_placement(volume: Volume) -> SlicePlacement | None:
    """The placement a margin measures in, or None when the index grid is the geometry: a
    regular stack, or one whose positions cannot place it (none, or frames sharing one:
    echoes or phases are not neighbours in space, so the grid's step is kept for them)."""
    geometry, orientation = volume.geometry, volume.orientation
    if geometry.regular or not geometry.positioned or geometry.shared_positions:
        return None
    if orientation is None or any(f.position is None for f in volume.frames):
        return None
    return placement_of(volume.frames, orientation, volume.spacing[:2])


def margin_box(found: Box, mm: float, stack: SlicePlacement, shape: tuple[int, int, int]) -> Box:
    """`found` (the segment's box) grown to every voxel a margin of `mm` can reach."""
    reach = abs(mm) + _widest_gap(stack) / 2
    depth = stack.along[:, 0]
    low, high = depth[found[0].start] - reach, depth[found[0].stop - 1] + reach
    within = np.flatnonzero((depth >= low - SAME) & (depth <= high + SAME))
    k_box = slice(int(within[0]), int(within[-1]) + 1)
    spread = _sheared(stack.along[k_box], reach)
    pads = [math.ceil((reach + float(s)) / p) + 1 for s, p in zip(spread, stack.pixel, strict=True)]
    r_box, c_box = (
        slice(max(0, s.start - p), min(n, s.stop + p))
        for s, p, n in zip(found[1:], pads, shape[1:], strict=True)
    )
    return (k_box, r_box, c_box)


def _sheared(along: np.ndarray, reach: float) -> np.ndarray:
    """(rows, columns): the widest in-plane shift (mm) between two slices within `reach` of
    each other along the normal: how far a tilt carries the margin past the segment's box."""
    close = np.abs(along[:, None, 0] - along[None, :, 0]) <= reach + SAME
    shift = np.abs(along[:, None, 1:] - along[None, :, 1:])
    found: np.ndarray = np.where(close[..., None], shift, 0.0).max(axis=(0, 1))
    return found


def _widest_gap(stack: SlicePlacement) -> float:
    return max(*stack.pixel, float(stack.steps.max()))


def margin_in_space(mask: np.ndarray, mm: float, place: SlicePlacement) -> np.ndarray:
    """Grow (mm > 0) or shrink (mm < 0) the (slices, rows, columns) `mask` in patient space.

    `place` holds the mask's slices and one beyond each end (`SlicePlacement.around`). A voxel
    joins when its centre is within `mm` of the surface; on a shrink a voxel stays when it is
    more than `|mm|` inside. Outside the array counts as unpainted.
    """
    if len(place.along) != mask.shape[0] + 2:
        raise ValueError(f"place has {len(place.along)} slices, the mask {mask.shape[0]} + 2")
    if mm == 0 or not mask.any():
        return mask.astype(bool, copy=True)
    crop = np.pad(mask.astype(bool), 1)
    region = crop if mm > 0 else ~crop
    near = surface_distance(region, place, abs(mm)) <= abs(mm) + SAME
    kept = crop | near if mm > 0 else crop & ~near
    out: np.ndarray = kept[1:-1, 1:-1, 1:-1]
    return out


def surface_distance(region: np.ndarray, place: SlicePlacement, reach: float) -> np.ndarray:
    """Each voxel outside `region`: its distance (mm) to the region's surface, exact where it
    is within `reach`; beyond it, a distance over `reach` (inf when out of reach). Inside
    the region: inf."""
    gaps = face_gaps(region, place)
    outside = ~region
    targets = np.flatnonzero(outside.any(axis=(1, 2)))
    best = np.full(region.shape, np.inf)
    for j in np.flatnonzero(np.isfinite(gaps).any(axis=(1, 2))):
        for gap in np.unique(gaps[j][np.isfinite(gaps[j])]):
            normal = np.abs(place.along[targets, 0] - place.along[j, 0])
            reached = targets[normal - gap / 2 <= reach + SAME]
            _from_sources(best, gaps[j] == gap, int(j), reached, float(gap), place, reach)
    best[region] = np.inf
    return best


def face_gaps(region: np.ndarray, place: SlicePlacement) -> np.ndarray:
    """At each voxel of `region` with a face neighbour outside it: the distance to the
    nearest such neighbour (mm); elsewhere inf. The array's edge has no neighbour."""
    gap = np.full(region.shape, np.inf)
    dr, dc = place.pixel
    for axis, step in ((1, dr), (2, dc)):
        _edge(gap, region, axis, np.full(region.shape[0] - 1, step))
    _edge(gap, region, 0, place.steps)
    return gap


def _edge(gap: np.ndarray, region: np.ndarray, axis: int, steps: np.ndarray) -> None:
    """Lower `gap` where a voxel of `region` faces a voxel outside it along `axis`; the
    distance between index i and i + 1 is steps[i] (only the slice axis varies)."""
    lower = [slice(None)] * 3
    upper = [slice(None)] * 3
    lower[axis], upper[axis] = slice(None, -1), slice(1, None)
    low, high = tuple(lower), tuple(upper)
    shape = [1, 1, 1]
    shape[axis] = -1
    step = steps.reshape(shape) if axis == 0 else steps[0]
    for here, there in ((low, high), (high, low)):
        faces = region[here] & ~region[there]
        np.minimum(gap[here], np.where(faces, step, np.inf), out=gap[here])


def _from_sources(
    best: np.ndarray,
    sources: np.ndarray,
    j: int,
    targets: np.ndarray,
    gap: float,
    place: SlicePlacement,
    reach: float,
) -> None:
    """Lower `best` on each target slice by the distance to the `sources` of slice j (edge
    voxels whose surface lies gap / 2 out) less gap / 2."""
    if targets.size == 0:
        return
    pixel = np.asarray(place.pixel)
    shifts = (place.along[targets, 1:] - place.along[j, 1:]) / pixel  # in j's pixels
    pad = int(np.ceil(np.abs(shifts).max())) + 1
    framed = np.pad(~sources, pad, constant_values=True)
    _, nearest = ndimage.distance_transform_edt(framed, sampling=place.pixel, return_indices=True)
    exact = _Exact(np.argwhere(sources) * pixel, pixel)
    for k, shift in zip(targets, shifts, strict=True):
        normal2 = float(place.along[k, 0] - place.along[j, 0]) ** 2
        inplane = np.sqrt(_rounded_distance2(nearest, shift, pad, pixel))
        value = np.sqrt(normal2 + inplane**2) - gap / 2
        if np.abs(shift - np.rint(shift)).max() > WHOLE:
            exact.refine(value, inplane, best[k], shift, normal2, gap, reach)
        np.minimum(best[k], value, out=best[k])


def _rounded_distance2(
    nearest: np.ndarray, shift: np.ndarray, pad: int, pixel: np.ndarray
) -> np.ndarray:
    """Squared in-plane distance (mm^2) from each pixel (r, c) moved by `shift` pixels to the
    source nearest the whole pixel the move rounds to: exact for a whole shift, otherwise at
    most one pixel diagonal too long (the rounding is at most half a diagonal, once to the
    rounded pixel and once back)."""
    rows, columns = nearest.shape[1] - 2 * pad, nearest.shape[2] - 2 * pad
    start = np.rint(shift).astype(int) + pad
    window = nearest[:, start[0] : start[0] + rows, start[1] : start[1] + columns]
    moved_r = np.arange(rows, dtype=np.float64)[:, None] + (shift[0] + pad)
    moved_c = np.arange(columns, dtype=np.float64)[None, :] + (shift[1] + pad)
    found: np.ndarray = ((moved_r - window[0]) * pixel[0]) ** 2 + (
        (moved_c - window[1]) * pixel[1]
    ) ** 2
    return found


class _Exact:
    """Exact in-plane distances to one slice's sources (a k-d tree), asked only for the
    pixels whose rounded distance is too long by no more than its bound to decide them."""

    def __init__(self, sources_mm: np.ndarray, pixel: np.ndarray) -> None:
        self.tree = cKDTree(sources_mm)
        self.pixel = pixel
        self.bound = float(np.hypot(*pixel)) + SAME

    def refine(
        self,
        value: np.ndarray,
        inplane: np.ndarray,
        best: np.ndarray,
        shift: np.ndarray,
        normal2: float,
        gap: float,
        reach: float,
    ) -> None:
        """Replace `value` by the exact distance where it may decide the threshold: above
        `reach`, but within it were `inplane` (the rounded in-plane distance) shorter by the
        bound, where no other source has reached the pixel yet. Beyond `reach` the exact
        search stops: such a pixel gets inf."""
        # value > reach is inplane > radius; were inplane shorter by the bound, within it.
        radius = math.sqrt(max((reach + SAME + gap / 2) ** 2 - normal2, 0.0))
        undecided = (inplane > radius) & (inplane <= radius + self.bound) & (best > reach + SAME)
        rows, columns = np.nonzero(undecided)
        if rows.size == 0:
            return
        moved = np.stack([rows + shift[0], columns + shift[1]], axis=1) * self.pixel
        exact, _ = self.tree.query(moved, distance_upper_bound=radius + SAME)
        value[rows, columns] = np.sqrt(normal2 + exact**2) - gap / 2
