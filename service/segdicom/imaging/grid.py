"""The regular grid reformats are sampled on, in the acquisition frame (u, v, n).

u = row direction, v = column direction, n = u x v. A sagittal plane is normal to u (its index
follows the source columns), a coronal plane normal to v (it follows the source rows); both
run along n from the first sorted slice down. The grid covers the union of every slice's
extent, so a sheared (tilted) stack is wider along v than one slice, and samples along n are
`spacing_min` apart, so no slice is skipped. For a regular series the grid is the stack
itself: plane i is source column (row) i and reformat row k is slice k.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from segdicom.imaging.geometry import FrameRef, Orientation, Vector3
from segdicom.imaging.spacing import SeriesGeometry, depths, frame_axes, positions

Axis = Literal["sagittal", "coronal"]
AXES: tuple[Axis, ...] = ("sagittal", "coronal")


@dataclass(frozen=True)
class PlaneGrid:
    """The planes of one reformat axis (PLANES of the geometry contract)."""

    planes: int
    rows: int
    columns: int
    pixel_spacing: tuple[float, float]  # between rows (along n), between columns
    plane_spacing: float
    origin: Vector3  # pixel (0, 0) of plane 0
    row_direction: Vector3  # along a row: increasing column
    column_direction: Vector3  # down a column: increasing row
    plane_normal: Vector3

    def plane_origin(self, index: int) -> Vector3:
        """Pixel (0, 0) of plane `index`."""
        point = np.add(self.origin, np.multiply(self.plane_normal, index * self.plane_spacing))
        return _vector(point)

    def point(self, index: float, row: float, column: float) -> np.ndarray:
        """The patient coordinate of (row, column) of plane `index` (fractions allowed)."""
        return (
            np.asarray(self.origin)
            + index * self.plane_spacing * np.asarray(self.plane_normal)
            + row * self.pixel_spacing[0] * np.asarray(self.column_direction)
            + column * self.pixel_spacing[1] * np.asarray(self.row_direction)
        )


@dataclass(frozen=True)
class ReformatGrid:
    """Both reformat axes of a series, and whether they are the stack itself."""

    exact: bool  # plane i is the stack cut at column/row i, no resampling
    sagittal: PlaneGrid
    coronal: PlaneGrid

    def axis(self, axis: Axis) -> PlaneGrid:
        return self.sagittal if axis == "sagittal" else self.coronal


@dataclass(frozen=True)
class Frame:
    """The acquisition frame and where the grid starts in it (mm along u, v, n)."""

    u: np.ndarray
    v: np.ndarray
    n: np.ndarray
    start: tuple[float, float, float]
    counts: tuple[int, int, int]  # grid points along u, v, n
    steps: tuple[float, float, float]  # dc, dr, ds


def reformat_grid(
    frames: Sequence[FrameRef],
    orientation: Orientation | None,
    shape: tuple[int, int],
    spacing: tuple[float, float, float],
    geometry: SeriesGeometry,
) -> ReformatGrid:
    """The grid of a sorted series with `shape` (rows, columns) and `spacing` (dr, dc, ds)."""
    exact = geometry.regular or not geometry.positioned
    frame = (
        _stack_frame(frames, orientation, shape, spacing, geometry)
        if exact
        else _union_frame(frames, orientation, shape, spacing, geometry.spacing_min)  # type: ignore[arg-type]
    )
    return ReformatGrid(exact, _plane_grid(frame, "sagittal"), _plane_grid(frame, "coronal"))


def _stack_frame(
    frames: Sequence[FrameRef],
    orientation: Orientation | None,
    shape: tuple[int, int],
    spacing: tuple[float, float, float],
    geometry: SeriesGeometry,
) -> Frame:
    """The stack as it is: slice 0's first pixel, the source's rows, columns and slices."""
    rows, columns = shape
    u, v, n = frame_axes(orientation or (1.0, 0.0, 0.0, 0.0, 1.0, 0.0))
    first = frames[0].position if frames and frames[0].position else (0.0, 0.0, 0.0)
    step = spacing[2]
    if geometry.regular and orientation is not None and len(frames) > 1:
        along = depths(frames, orientation)
        step = float(along[-1] - along[0]) / (len(frames) - 1)  # the mean, so row k = slice k
    start = (float(np.dot(first, u)), float(np.dot(first, v)), float(np.dot(first, n)))
    counts = (columns, rows, len(frames))
    return Frame(u, v, n, start, counts, (spacing[1], spacing[0], step))


def _union_frame(
    frames: Sequence[FrameRef],
    orientation: Orientation,
    shape: tuple[int, int],
    spacing: tuple[float, float, float],
    step: float,
) -> Frame:
    """Every slice's extent along u and v, the first to the last slice along n."""
    rows, columns = shape
    dr, dc = spacing[0], spacing[1]
    u, v, n = frame_axes(orientation)
    points = positions(frames)
    a, b, s = points @ u, points @ v, points @ n
    width = float(a.max() - a.min()) + (columns - 1) * dc
    height = float(b.max() - b.min()) + (rows - 1) * dr
    counts = (
        round(width / dc) + 1,
        round(height / dr) + 1,
        round(float(s[-1] - s[0]) / step) + 1,
    )
    start = (float(a.min()), float(b.min()), float(s[0]))
    return Frame(u, v, n, start, counts, (dc, dr, step))


def _plane_grid(frame: Frame, axis: Axis) -> PlaneGrid:
    (nu, nv, ns), (dc, dr, ds) = frame.counts, frame.steps
    origin = frame.start[0] * frame.u + frame.start[1] * frame.v + frame.start[2] * frame.n
    if axis == "sagittal":
        planes, columns, spacing, along, normal = nu, nv, (ds, dr), frame.v, frame.u
        plane_spacing = dc
    else:
        planes, columns, spacing, along, normal = nv, nu, (ds, dc), frame.u, frame.v
        plane_spacing = dr
    return PlaneGrid(
        planes=planes,
        rows=ns,
        columns=columns,
        pixel_spacing=(float(spacing[0]), float(spacing[1])),
        plane_spacing=float(plane_spacing),
        origin=_vector(origin),
        row_direction=_vector(along),
        column_direction=_vector(frame.n),
        plane_normal=_vector(normal),
    )


def _vector(values: np.ndarray) -> Vector3:
    x, y, z = (float(c) for c in values)
    return (x, y, z)
