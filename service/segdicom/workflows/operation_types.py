"""What an editor operation is (margin, smoothing, islands, logic, grow from seeds,
scissors), the editable area it works in, and what it answers: the types that
api/editor_schemas.py builds from a request and workflows/operations.py runs."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from segdicom.imaging.editing import Logic, Smoothing


class Overlap(StrEnum):
    """The editable area: may an operation's segment cover the others' voxels?"""

    ALLOW = "allow"
    NO_OTHER = "no_other"  # never where another segment is
    NO_LOCKED = "no_locked"  # never where a locked segment is


@dataclass(frozen=True)
class EditableArea:
    """How an operation may change the segments: a locked segment never changes (its edits
    are dropped), and a segment gains no voxel where a protected one lies (it may keep or
    lose one it already had)."""

    overlap: Overlap = Overlap.ALLOW
    locked: frozenset[int] = frozenset()

    def protecting(self, number: int, numbers: Iterable[int]) -> list[int]:
        """The segments that `number` must not paint over."""
        if self.overlap is Overlap.ALLOW:
            return []
        return [
            n
            for n in numbers
            if n != number and (self.overlap is Overlap.NO_OTHER or n in self.locked)
        ]

    def to_read(self, op_segments: tuple[int, ...]) -> tuple[int, ...] | None:
        """The segments whose masks the operation needs (None: all)."""
        if self.overlap is Overlap.NO_OTHER:
            return None
        if self.overlap is Overlap.NO_LOCKED:
            return tuple(sorted(set(op_segments) | self.locked))
        return op_segments


class IslandAction(StrEnum):
    KEEP_LARGEST = "keep_largest"
    REMOVE_SMALL = "remove_small"
    SPLIT = "split"


@dataclass(frozen=True)
class Margin:
    segment: int
    mm: float  # > 0 grows, < 0 shrinks


@dataclass(frozen=True)
class Smooth:
    segment: int
    method: Smoothing
    kernel_mm: float  # the ball's diameter


@dataclass(frozen=True)
class Islands:
    segment: int
    action: IslandAction
    min_voxels: int = 1  # remove_small: islands below this go


@dataclass(frozen=True)
class LogicOp:
    op: Logic
    segment: int  # the target, the one that changes
    source: int | None = None  # copy, union, intersect, subtract


@dataclass(frozen=True)
class GrowFromSeeds:
    segments: tuple[int, ...]  # two or more, their masks are the seeds
    region_mm: float | None = 20.0  # seeds' bounding box grown by this; None: whole volume


@dataclass(frozen=True)
class Scissors:
    segment: int
    polygon: tuple[tuple[float, float], ...]  # (row, column) vertices
    fill: bool  # False: erase
    inside: bool  # False: outside the polygon
    slices: tuple[int, int] | None = None  # first, last; None: every slice


Operation = Margin | Smooth | Islands | LogicOp | GrowFromSeeds | Scissors


@dataclass(frozen=True)
class Changed:
    segment: int
    slices: tuple[int, ...]


@dataclass(frozen=True)
class OperationResult:
    """What changed; `version` is None for a preview, whose new masks are in `masks`
    (segment -> slice index -> wire-format mask). A preview of a split names its new islands
    -1, -2, ... (their numbers are given when it is applied, in `created`)."""

    version: int | None
    changed: tuple[Changed, ...]
    created: tuple[int, ...] = ()  # segments made by `split`
    masks: dict[int, dict[int, bytes]] = field(default_factory=dict)
