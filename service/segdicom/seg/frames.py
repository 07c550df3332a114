"""Stage 1 of a SEG build: which source instance and frame each slice of the volume is.

Checks the frames against the sources (every frame known, once, of one series,
one size) and says how the sources are laid out in a SEG (`SourceKind`).
Reads the caller's datasets, never changes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from pydicom.dataset import Dataset

from segdicom.errors import BadInput
from segdicom.seg.model import SourceFrame

Position = tuple[float, float, float]
_POSITION_DECIMALS = 3  # positions equal to 1 micrometre are the same plane


class SourceKind(Enum):
    """How the source frames map onto highdicom's Segmentation arguments.

    SINGLE_FRAME: CT/MR slices, one plane each. MULTIFRAME: one enhanced image
    whose frames sit at distinct positions (highdicom's own multi-frame case).
    POSITIONS: several enhanced images of one series (Siemens XA stores one
    series as several multi-frame files), or one whose frames repeat positions:
    planes placed by explicit position, references pinned afterwards.
    """

    SINGLE_FRAME = "single-frame"
    MULTIFRAME = "multiframe"
    POSITIONS = "positions"


@dataclass(frozen=True)
class ResolvedFrames:
    """`datasets[i]` is the source dataset of `frames[i]`; all frames are rows x columns."""

    frames: Sequence[SourceFrame]
    datasets: list[Dataset]
    shape: tuple[int, int]
    kind: SourceKind


def resolve_frames(sources: Sequence[Dataset], frames: Sequence[SourceFrame]) -> ResolvedFrames:
    """The source dataset of each frame; BadInput for unknown, repeated or cross-series
    frames, frames of different sizes, or a mix of single-frame and enhanced sources."""
    if len(sources) == 0:
        raise BadInput("at least one source image is required, got none")
    if len(frames) == 0:
        raise BadInput("at least one source frame is required, got none")
    by_uid: dict[str, Dataset] = {}
    for ds in sources:
        uid = ds.get("SOPInstanceUID")
        if uid is None:
            raise BadInput("a source image has no SOP Instance UID")
        by_uid.setdefault(str(uid), ds)
    seen: set[SourceFrame] = set()
    resolved = []
    for index, frame in enumerate(frames):
        if frame in seen:
            raise BadInput(f"frame {index} repeats {frame}; each source frame may appear once")
        seen.add(frame)
        resolved.append(_source_of(frame, by_uid))
    _check_one_series(resolved)
    shape = _frame_shape(resolved)
    return ResolvedFrames(frames, resolved, shape, _kind_of(resolved, frames))


def number_of_frames(ds: Dataset) -> int:
    """Number of Frames, 1 when absent or unreadable."""
    try:
        return max(int(ds.get("NumberOfFrames", 1) or 1), 1)
    except (TypeError, ValueError):
        return 1


def is_enhanced(ds: Dataset) -> bool:
    """Whether `ds` describes its frames with functional groups (PS3.3 C.7.6.16)."""
    return "SharedFunctionalGroupsSequence" in ds or "PerFrameFunctionalGroupsSequence" in ds


def distinct_instances(datasets: Sequence[Dataset]) -> list[Dataset]:
    """Each instance once, in order of first appearance."""
    by_uid = {str(ds.SOPInstanceUID): ds for ds in reversed(datasets)}
    return [by_uid[uid] for uid in dict.fromkeys(str(ds.SOPInstanceUID) for ds in datasets)]


def frame_position(header: Dataset, frame_number: int) -> Position:
    """Image Position (Patient) of a frame (1-based) of an enhanced image, else BadInput."""
    groups = []
    per_frame = header.get("PerFrameFunctionalGroupsSequence") or []
    if len(per_frame) >= frame_number:
        groups.append(per_frame[frame_number - 1])
    groups.extend(header.get("SharedFunctionalGroupsSequence") or [])
    for group in groups:
        if "PlanePositionSequence" in group:
            position = group.PlanePositionSequence[0].get("ImagePositionPatient")
            if position is not None and len(position) == 3:
                return (float(position[0]), float(position[1]), float(position[2]))
    raise BadInput(
        f"frame {frame_number} of {header.SOPInstanceUID} has no Image Position (Patient)"
    )


def position_key(position: Sequence[float]) -> Position:
    """A position rounded so that one plane has one key."""
    x, y, z = (round(float(v), _POSITION_DECIMALS) for v in position)
    return (x, y, z)


def _source_of(frame: SourceFrame, by_uid: Mapping[str, Dataset]) -> Dataset:
    if not isinstance(frame, SourceFrame):
        raise BadInput(f"frames must be SourceFrame values, got {frame!r:.80}")
    ds = by_uid.get(frame.sop_instance_uid)
    if ds is None:
        raise BadInput(f"frame {frame} names an instance that is not among the sources")
    frame_count = number_of_frames(ds)
    if frame.frame_number > frame_count:
        raise BadInput(
            f"frame {frame} is beyond the {frame_count} frame(s) of {frame.sop_instance_uid}"
        )
    return ds


def _check_one_series(resolved: Sequence[Dataset]) -> None:
    series = {str(ds.get("SeriesInstanceUID", "")) for ds in resolved}
    if len(series) != 1:
        raise BadInput(f"the frames must come from one series, got series {sorted(series)}")


def _frame_shape(resolved: Sequence[Dataset]) -> tuple[int, int]:
    shapes = {(int(ds.Rows), int(ds.Columns)) for ds in resolved}
    if len(shapes) != 1:
        raise BadInput(f"source frames must share rows x columns, got {sorted(shapes)}")
    return shapes.pop()


def _kind_of(resolved: Sequence[Dataset], frames: Sequence[SourceFrame]) -> SourceKind:
    enhanced = {is_enhanced(ds) for ds in resolved}
    if enhanced == {False}:
        _check_single_frames(resolved, frames)
        return SourceKind.SINGLE_FRAME
    if enhanced != {True}:
        raise BadInput("the frames mix single-frame and enhanced multi-frame source images")
    instances = distinct_instances(resolved)
    if len(instances) == 1 and _has_distinct_positions(instances[0]):
        return SourceKind.MULTIFRAME
    return SourceKind.POSITIONS


def _check_single_frames(resolved: Sequence[Dataset], frames: Sequence[SourceFrame]) -> None:
    for frame, ds in zip(frames, resolved, strict=True):
        if number_of_frames(ds) > 1:
            raise BadInput(
                f"source {frame.sop_instance_uid} has {number_of_frames(ds)} frames but no "
                "functional groups; only enhanced multi-frame images are supported"
            )
        if frame.frame_number != 1:
            raise BadInput(
                f"source {frame.sop_instance_uid} is a single-frame image, "
                f"got frame number {frame.frame_number}"
            )


def _has_distinct_positions(source: Dataset) -> bool:
    """Whether no two frames of `source` share a slice (highdicom's multi-frame requirement)."""
    try:
        positions = [frame_position(source, n + 1) for n in range(number_of_frames(source))]
    except BadInput:
        return True  # let highdicom report what it cannot place
    return len({position_key(p) for p in positions}) == len(positions)
