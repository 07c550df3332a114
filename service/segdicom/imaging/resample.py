"""Resampling a stack of slices on the reformat grid: one plane is a few numpy gathers.

A grid sample at depth s along n lies between the two sorted slices that bracket s (a gap is
interpolated across): it is the linear mix of the same point projected on each. In a slice
the point sits shifted by that slice's offset from the grid start (the shear of a tilted
stack), fractional in general, so it is linear in that slice too. Both shifts belong to the
slice, not to the output row, so a plane is made in three steps:

1. across: from each slice, the source line the plane cuts (a column for sagittal, a row for
   coronal; the mix of two when the shift is fractional): a (slices, length) gather, the
   same memory traffic as cutting a regular stack;
2. along: each slice's line shifted onto the grid's columns (small, in cache);
3. along n: each output row mixes the lines of its two bracketing slices.

What depends only on the geometry (shifts, brackets, weights, indexes, what lies outside the
acquired volume) is worked out once per series and axis (`plan_plane`).
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from segdicom.imaging.geometry import FrameRef, Orientation
from segdicom.imaging.grid import Axis, PlaneGrid
from segdicom.imaging.spacing import SAME_POSITION_MM, depths, frame_axes, positions

SNAP = 1e-3  # a shift within 1/1000 pixel of a whole pixel is that pixel (no blur)
INSIDE = 1e-6  # tolerance for a sample on a slice's edge
MAX_RUNS = 64  # more runs of slices sharing a cut than this: one fancy-index gather


@dataclass(frozen=True)
class PlanePlan:
    """What one reformat axis of one series needs to make any of its planes."""

    # Per source slice: the shift normal to the plane (add the plane index), whole + fraction.
    across: np.ndarray  # (slices,) int64
    across_fraction: np.ndarray  # (slices,) float32
    across_shift: np.ndarray  # (slices,) float64, unsplit: what lies inside the slice
    # Per source slice: where each grid column (and the next) reads the slice's line.
    along_index: np.ndarray  # (slices, columns + 1) intp, flat into (slices, line length)
    along_fraction: np.ndarray  # (slices,) float32
    along_inside: np.ndarray  # (slices, columns) bool: the grid column falls in the slice
    # Per reformat row: the bracketing slices and the weight of the upper one.
    lower: np.ndarray  # (rows,) intp
    upper: np.ndarray  # (rows,) intp
    weight: np.ndarray  # (rows,) float32
    near: np.ndarray  # (rows,) intp: the nearer of the two (what is inside or not)
    axis: Axis

    @property
    def nbytes(self) -> int:
        arrays = [getattr(self, name) for name in self.__dataclass_fields__]
        return sum(int(a.nbytes) for a in arrays if isinstance(a, np.ndarray))


def plan_plane(
    frames: Sequence[FrameRef],
    orientation: Orientation,
    shape: tuple[int, int],
    grid: PlaneGrid,
    axis: Axis,
) -> PlanePlan:
    """How to make the planes of `axis` on `grid` from a stack of `shape` (rows, columns)."""
    across_shift, along_shift = _slice_shifts(frames, orientation, grid, axis)
    line = shape[0] if axis == "sagittal" else shape[1]
    across, across_fraction = _split(across_shift)
    along, along_fraction = _split(along_shift)
    taps = along[:, None] + np.arange(grid.columns + 1)[None, :]
    slices = np.arange(len(frames))[:, None]
    exact = along_shift[:, None] + np.arange(grid.columns)[None, :]
    start = float(np.dot(grid.origin, grid.column_direction))
    lower, upper, weight = _brackets(
        depths(frames, orientation), start, grid.pixel_spacing[0], grid.rows
    )
    return PlanePlan(
        across=across,
        across_fraction=across_fraction.astype(np.float32),
        across_shift=across_shift,
        along_index=(slices * line + np.clip(taps, 0, line - 1)).astype(np.intp),
        along_fraction=along_fraction.astype(np.float32),
        along_inside=(exact >= -INSIDE) & (exact <= line - 1 + INSIDE),
        lower=lower,
        upper=upper,
        weight=weight.astype(np.float32),
        near=np.where(weight < 0.5, lower, upper),
        axis=axis,
    )


def _slice_shifts(
    frames: Sequence[FrameRef], orientation: Orientation, grid: PlaneGrid, axis: Axis
) -> tuple[np.ndarray, np.ndarray]:
    """Per slice, in its own pixels: where plane 0 cuts it (across) and where grid column 0
    falls in it (along). Zero for the slice that starts the grid, negative for one the shear
    moved further on."""
    u, v, _ = frame_axes(orientation)
    points = positions(frames)
    origin = np.asarray(grid.origin)
    shift_u = (points @ u - float(origin @ u)) / _column_spacing(grid, axis)
    shift_v = (points @ v - float(origin @ v)) / _row_spacing(grid, axis)
    return (-shift_u, -shift_v) if axis == "sagittal" else (-shift_v, -shift_u)


def _column_spacing(grid: PlaneGrid, axis: Axis) -> float:
    """dc: between source columns (along u)."""
    return grid.plane_spacing if axis == "sagittal" else grid.pixel_spacing[1]


def _row_spacing(grid: PlaneGrid, axis: Axis) -> float:
    """dr: between source rows (along v)."""
    return grid.pixel_spacing[1] if axis == "sagittal" else grid.plane_spacing


def _brackets(
    depth: np.ndarray, start: float, step: float, count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per reformat row: the slice at or before its depth, the next one, the weight of the next.

    The last row may pass the last slice by up to half a step (the grid count is rounded):
    it takes the last slice.
    """
    wanted = start + step * np.arange(count)
    # One frame per position: of frames sharing a depth (echoes, phases) the first one.
    first = np.flatnonzero(np.diff(depth, prepend=-np.inf) > SAME_POSITION_MM)
    distinct = depth[first]
    lower = np.clip(np.searchsorted(distinct, wanted, side="right") - 1, 0, len(distinct) - 2)
    weight = np.clip((wanted - distinct[lower]) / (distinct[lower + 1] - distinct[lower]), 0.0, 1.0)
    return first[lower].astype(np.intp), first[lower + 1].astype(np.intp), weight


def _split(shift: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(whole, fraction in [0, 1)) of each shift; fractions within SNAP of a pixel snap to it."""
    rounded = np.rint(shift)
    snapped = np.where(np.abs(shift - rounded) < SNAP, rounded, shift)
    whole = np.floor(snapped)
    return whole.astype(np.int64), snapped - whole


def resample_plane(
    data: np.ndarray, plan: PlanePlan, index: int, background: float, dtype: str
) -> np.ndarray:
    """Plane `index` of the planned axis from the (slices, rows, columns) stack, rounded back
    to `dtype`; samples outside the acquired volume are `background`."""
    lines = _across(data, plan, index)
    shifted = _lerp(lines.reshape(-1).take(plan.along_index), plan.along_fraction)
    weight = plan.weight[:, None]
    out = shifted[plan.lower]
    out *= 1 - weight
    upper = shifted[plan.upper]
    upper *= weight
    out += upper
    across = index + plan.across_shift
    length = data.shape[2] if plan.axis == "sagittal" else data.shape[1]
    inside_across = (across >= -INSIDE) & (across <= length - 1 + INSIDE)
    inside = (plan.along_inside & inside_across[:, None])[plan.near]
    out[~inside] = background
    return _to_dtype(out, dtype)


def _across(data: np.ndarray, plan: PlanePlan, index: int) -> np.ndarray:
    """(slices, line) float32: the line plane `index` cuts from each slice."""
    length = data.shape[2] if plan.axis == "sagittal" else data.shape[1]
    lines = _cut(data, plan.axis, np.clip(index + plan.across, 0, length - 1))
    if not plan.across_fraction.any():
        return lines.astype(np.float32)
    fraction = plan.across_fraction[:, None]
    after = _cut(data, plan.axis, np.clip(index + plan.across + 1, 0, length - 1))
    mixed: np.ndarray = lines * (1 - fraction) + after * fraction
    return mixed


def _cut(data: np.ndarray, axis: Axis, at: np.ndarray) -> np.ndarray:
    """(slices, line): column (sagittal) or row (coronal) at[k] of each slice k.

    Slices that share a shift are cut together as one strided view (a tilt along v leaves
    every sagittal cut at one column: the regular stack's cost); otherwise one gather.
    """
    starts = [0, *(np.flatnonzero(np.diff(at)) + 1).tolist(), len(at)]
    if len(starts) > MAX_RUNS:
        slices = np.arange(len(at))
        picked: np.ndarray = data[slices, :, at] if axis == "sagittal" else data[slices, at, :]
        return picked
    parts = [
        data[a:b, :, at[a]] if axis == "sagittal" else data[a:b, at[a], :]
        for a, b in itertools.pairwise(starts)
    ]
    return np.concatenate(parts)


def _lerp(values: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """Linear between each gathered value and the next (the last column is the +1 tap)."""
    if not fraction.any():
        return values[:, :-1]
    f = fraction[:, None]
    mixed: np.ndarray = values[:, :-1] * (1 - f) + values[:, 1:] * f
    return mixed


def _to_dtype(values: np.ndarray, dtype: str) -> np.ndarray:
    kind = np.dtype(dtype)
    if kind.kind == "f":
        return values.astype(kind)
    info = np.iinfo(kind)
    np.rint(values, out=values)
    np.clip(values, info.min, info.max, out=values)
    return values.astype(kind)
