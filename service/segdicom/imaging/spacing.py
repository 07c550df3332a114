"""A sorted series along its normal: gantry tilt, slice spacing, gaps, per-slice thickness.

A gantry-tilted CT (GE, Philips) keeps an axial Image Orientation but shifts each slice's
Image Position along the column direction (PS3.3 C.7.6.2.1.1 allows any position), so the
stack is sheared; the distance between slices is measured along the normal, never between
positions, or a tilted series would look more widely spaced than it is.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from segdicom.imaging.geometry import FrameRef, Orientation

TILT_TOLERANCE_DEGREES = 0.1
SPACING_TOLERANCE = 0.01  # relative: steps within 1% of each other are even
SPACING_TOLERANCE_MM = 0.01  # or within 0.01 mm, for thin slices
SAME_POSITION_MM = 1e-4  # two frames this close along the normal share a position


@dataclass(frozen=True)
class SeriesGeometry:
    """How far a series is from a regular stack (the `geometry` of the series answer)."""

    regular: bool
    tilt_degrees: float
    spacing_min: float
    spacing_max: float
    missing_slices: int
    # No two frames at distinct positions along the normal (or none has a position): the
    # depths cannot order a grid, so reformats stay the stacked cut.
    positioned: bool = True
    # Frames at the position of the frame before them (echoes or phases of one position):
    # each is a slice of its own, so a structure painted on several counts several times.
    shared_positions: int = 0


def frame_axes(orientation: Orientation) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(u, v, n): row direction, column direction made orthogonal to it, and the normal."""
    u = np.asarray(orientation[:3], dtype=np.float64)
    u = u / np.linalg.norm(u)
    v = np.asarray(orientation[3:], dtype=np.float64)
    v = v - float(np.dot(v, u)) * u
    v = v / np.linalg.norm(v)
    return u, v, np.cross(u, v)


def positions(frames: Sequence[FrameRef]) -> np.ndarray:
    """(K, 3) Image Position (Patient) of the frames; every frame must have one."""
    return np.array([f.position for f in frames], dtype=np.float64).reshape(len(frames), 3)


def depths(frames: Sequence[FrameRef], orientation: Orientation) -> np.ndarray:
    """Each frame's position along the slice normal, s_k = P_k . n (mm)."""
    along: np.ndarray = positions(frames) @ frame_axes(orientation)[2]
    return along


def series_geometry(
    frames: Sequence[FrameRef], orientation: Orientation | None, spacing: float
) -> SeriesGeometry:
    """Tilt, spacing range and gaps of frames sorted along the normal.

    `spacing` (the volume's nominal slice spacing) stands in when positions say nothing:
    one frame, no orientation, or every frame at the same position (legacy multi-frame).
    """
    if orientation is None or len(frames) < 2 or any(f.position is None for f in frames):
        return SeriesGeometry(True, 0.0, spacing, spacing, 0, positioned=orientation is not None)
    steps = np.diff(depths(frames, orientation))
    distinct = steps[steps > SAME_POSITION_MM]
    if distinct.size == 0:
        return SeriesGeometry(True, 0.0, spacing, spacing, 0, positioned=False)
    tilt = _tilt_degrees(positions(frames), frame_axes(orientation)[2])
    low, high = float(distinct.min()), float(distinct.max())
    missing = missing_slices(distinct)
    # Frames sharing a position (echoes or phases of an enhanced multi-frame series) make the
    # stack irregular, but the distinct positions still place a grid: reformats sample one
    # frame per position at its true depth instead of stacking them all at one step.
    shared = distinct.size != steps.size
    even = high - low <= max(SPACING_TOLERANCE * low, SPACING_TOLERANCE_MM)
    regular = not shared and even and missing == 0 and tilt < TILT_TOLERANCE_DEGREES
    return SeriesGeometry(
        regular, tilt, low, high, missing, shared_positions=int(steps.size - distinct.size)
    )


def missing_slices(steps: np.ndarray) -> int:
    """Estimated slices missing from gaps: each step against the median of the steps around it.

    Against the median of its five neighbouring steps (itself included), not the smallest step
    of the series: a series of 4 mm then 7 mm slices has no gap at all, while
    round(7 / 4) - 1 would count one on every 7 mm step.
    """
    count = len(steps)
    local = np.array([np.median(steps[max(0, i - 2) : i + 3]) for i in range(count)])
    return int(np.sum(np.maximum(np.rint(steps / local) - 1, 0)))


def _tilt_degrees(points: np.ndarray, normal: np.ndarray) -> float:
    """Angle between the mean slice-to-slice offset and the normal."""
    offset = (points[-1] - points[0]) / (len(points) - 1)
    length = float(np.linalg.norm(offset))
    if length == 0:
        return 0.0
    cosine = min(1.0, abs(float(np.dot(offset, normal))) / length)
    return float(np.degrees(np.arccos(cosine)))


def slice_thicknesses(
    frames: Sequence[FrameRef], orientation: Orientation | None, spacing: float
) -> np.ndarray:
    """The thickness along the normal each slice stands for (mm), one per frame.

    Voronoi: half the distance to each neighbour, so the thicknesses add up to the
    extent of the series plus one slice; an end slice counts its one neighbour's spacing
    on both sides. Volumes and statistics weigh a slice's voxels by it, so a series with
    two spacings (4 mm, then 7 mm) is measured as acquired. Without positions every slice
    gets `spacing`. Frames sharing a position (echoes, phases) each stand for that
    position's slab: the neighbours are the next distinct positions.
    """
    count = len(frames)
    if orientation is None or count < 2 or any(f.position is None for f in frames):
        return np.full(count, spacing, dtype=np.float64)
    along = depths(frames, orientation)
    new_position = np.abs(np.diff(along, prepend=np.inf)) > SAME_POSITION_MM
    group = position_numbers(frames, orientation)
    if group[-1] == 0:
        return np.full(count, spacing, dtype=np.float64)
    steps = np.abs(np.diff(along[new_position]))
    before = np.concatenate([steps[:1], steps])
    after = np.concatenate([steps, steps[-1:]])
    thickness: np.ndarray = ((before + after) / 2)[group]
    return thickness


def position_numbers(frames: Sequence[FrameRef], orientation: Orientation | None) -> np.ndarray:
    """Each frame's position, numbered from 0 along the normal (frames sorted along it): frames
    closer than SAME_POSITION_MM share a number. Without positions, each frame its own."""
    if orientation is None or any(f.position is None for f in frames):
        return np.arange(len(frames))
    new_position = np.abs(np.diff(depths(frames, orientation), prepend=np.inf)) > SAME_POSITION_MM
    numbers: np.ndarray = np.cumsum(new_position) - 1
    return numbers


def patient_points(
    frames: Sequence[FrameRef],
    orientation: Orientation | None,
    spacing: tuple[float, float, float],
    indexes: np.ndarray,
) -> np.ndarray:
    """(n, 3) patient coordinates (mm) of voxel centres given as (n, 3) (slice, row, column).

    PS3.3 C.7.6.2.1.1: P = S + column * dc * X + row * dr * Y, where X is the row direction
    cosine (first three of Image Orientation), Y the column one, and S the slice's position.
    Without positions the slices stand `spacing[2]` apart along a third axis.
    """
    k, r, c = (indexes[:, i].astype(np.int64) for i in range(3))
    dr, dc = spacing[0], spacing[1]
    if orientation is None or any(f.position is None for f in frames):
        return np.stack([c * dc, r * dr, k * spacing[2]], axis=1).astype(np.float64)
    x = np.asarray(orientation[:3], dtype=np.float64)
    y = np.asarray(orientation[3:], dtype=np.float64)
    origin = positions(frames)[k]
    found: np.ndarray = origin + np.outer(c * dc, x) + np.outer(r * dr, y)
    return found
