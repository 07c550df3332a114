"""Resampling a stack of slices on the reformat grid: one plane is a few numpy gathers.

A grid sample at depth s along n lies between the two sorted slices that bracket s (a gap
is interpolated across): it is the linear mix of the same point projected on each. In a
slice the point sits at a position shifted by that slice's offset from the grid start (the
shear of a tilted stack), fractional in general, so it is linear in that slice too. What
depends only on the reformat row (bracketing slices, their weights, the integer and
fractional shifts) is worked out once per series and axis (`plan_plane`); a plane then
costs one gather of (rows, columns + 1) values per bracketing slice and per tap across the
plane, and a few multiply-adds.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from segdicom.imaging.geometry import FrameRef, Orientation
from segdicom.imaging.grid import Axis, PlaneGrid
from segdicom.imaging.spacing import depths, frame_axes, positions

SNAP = 1e-3  # a shift within 1/1000 pixel of a whole pixel is that pixel (no blur)
INSIDE = 1e-6  # tolerance for a sample on a slice's edge


@dataclass(frozen=True)
class Side:
    """One of the two bracketing slices, per reformat row."""

    weight: np.ndarray  # (rows,) float32: the linear weight along n
    across: np.ndarray  # (rows,) int64: whole shift normal to the plane (add the plane index)
    across_fraction: np.ndarray  # (rows,) float32
    along_fraction: np.ndarray  # (rows,) float32: shift along the plane's columns
    index: np.ndarray  # (rows, columns + 1) int64: flat index into the stack, plane term left out


@dataclass(frozen=True)
class PlanePlan:
    """What one reformat axis of one series needs to gather any of its planes."""

    sides: tuple[Side, Side]
    across_stride: int  # flat step of one source pixel normal to the plane
    across_length: int  # source pixels normal to the plane (columns for sagittal)
    near_across: np.ndarray  # (rows,) float64: the nearest slice's shift normal to the plane
    inside_along: np.ndarray  # (rows, columns) bool: in the nearest slice along the plane

    @property
    def nbytes(self) -> int:
        arrays = [self.near_across, self.inside_along]
        for side in self.sides:
            arrays += [side.weight, side.across, side.across_fraction, side.along_fraction]
            arrays.append(side.index)
        return sum(int(a.nbytes) for a in arrays)


def plan_plane(
    frames: Sequence[FrameRef],
    orientation: Orientation,
    shape: tuple[int, int],
    grid: PlaneGrid,
    axis: Axis,
) -> PlanePlan:
    """The per-row gathers and weights of `axis` on `grid` for a stack of `shape` slices."""
    rows, columns = shape
    u, v, n = frame_axes(orientation)
    points = positions(frames)
    depth = depths(frames, orientation)
    origin = np.asarray(grid.origin)
    # Each slice's first pixel relative to the grid start, in source pixels (>= 0 by the union).
    shift_u = (points @ u - float(origin @ u)) / _column_spacing(grid, axis)
    shift_v = (points @ v - float(origin @ v)) / _row_spacing(grid, axis)
    if axis == "sagittal":
        across_shift, along_shift = shift_u, shift_v
        across_stride, along_stride, across_length, along_length = 1, columns, columns, rows
    else:
        across_shift, along_shift = shift_v, shift_u
        across_stride, along_stride, across_length, along_length = columns, 1, rows, columns
    lower, upper, weight = _brackets(depth, float(origin @ n), grid.pixel_spacing[0], grid.rows)
    near = np.where(weight < 0.5, lower, upper)
    sides = tuple(
        _side(
            slices,
            slice_weight,
            -across_shift[slices],
            -along_shift[slices],
            (rows * columns, along_stride, along_length),
            grid.columns,
        )
        for slices, slice_weight in ((lower, 1 - weight), (upper, weight))
    )
    along = np.arange(grid.columns)[None, :] - along_shift[near][:, None]
    return PlanePlan(
        sides=(sides[0], sides[1]),
        across_stride=across_stride,
        across_length=across_length,
        near_across=-across_shift[near],
        inside_along=(along >= -INSIDE) & (along <= along_length - 1 + INSIDE),
    )


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
    lower = np.clip(np.searchsorted(depth, wanted, side="right") - 1, 0, len(depth) - 2)
    upper = lower + 1
    weight = np.clip((wanted - depth[lower]) / (depth[upper] - depth[lower]), 0.0, 1.0)
    return lower, upper, weight


def _side(
    slices: np.ndarray,
    weight: np.ndarray,
    across: np.ndarray,
    along: np.ndarray,
    strides: tuple[int, int, int],
    width: int,
) -> Side:
    """Split the shifts into whole pixels and fractions; index the gather along the plane."""
    slice_stride, along_stride, along_length = strides
    across_whole, across_fraction = _split(across)
    along_whole, along_fraction = _split(along)
    taps = along_whole[:, None] + np.arange(width + 1)[None, :]
    index = slices[:, None] * slice_stride + np.clip(taps, 0, along_length - 1) * along_stride
    return Side(
        weight=weight.astype(np.float32),
        across=across_whole,
        across_fraction=across_fraction.astype(np.float32),
        along_fraction=along_fraction.astype(np.float32),
        index=index.astype(np.int64),
    )


def _split(shift: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(whole, fraction in [0, 1)) of each shift; fractions within SNAP of a pixel snap to it."""
    rounded = np.rint(shift)
    snapped = np.where(np.abs(shift - rounded) < SNAP, rounded, shift)
    whole = np.floor(snapped)
    return whole.astype(np.int64), snapped - whole


def resample_plane(
    flat: np.ndarray, plan: PlanePlan, index: int, background: float, dtype: str
) -> np.ndarray:
    """Plane `index` of the planned axis from the flattened stack, rounded back to `dtype`."""
    rows, width = plan.inside_along.shape
    out = np.zeros((rows, width), dtype=np.float32)
    for side in plan.sides:
        for tap in (0, 1):
            weight = side.weight * (side.across_fraction if tap else 1 - side.across_fraction)
            if not weight.any():
                continue
            across = np.clip(index + side.across + tap, 0, plan.across_length - 1)
            values = flat.take(side.index + (across * plan.across_stride)[:, None])
            out += weight[:, None] * _along(values.astype(np.float32), side.along_fraction)
    across = index + plan.near_across
    inside = (across >= -INSIDE) & (across <= plan.across_length - 1 + INSIDE)
    out[~(plan.inside_along & inside[:, None])] = background
    return _to_dtype(out, dtype)


def _along(values: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """Linear between neighbouring gathered values (the last gathered column is the +1 tap)."""
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
    rounded: np.ndarray = np.clip(np.rint(values), info.min, info.max).astype(kind)
    return rounded
