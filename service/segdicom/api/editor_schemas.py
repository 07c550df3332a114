"""The body of POST /api/annotations/{id}/operations: one model per operation, a union
discriminated by `operation` (documented in /openapi.json), turned into the workflow's
typed operation once parsed."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field, RootModel, field_validator

from segdicom.api.validation import MAX_INDEX, Index
from segdicom.errors import BadInput
from segdicom.imaging.editing import Logic, Smoothing
from segdicom.workflows import operation_types as ops

MAX_MM = 100.0
MAX_POLYGON = 10_000

SegmentNumber = Annotated[int, Field(ge=1, le=255, description="a segment number")]
Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Operation(BaseModel):
    preview: bool = Field(False, description="answer the new masks and write nothing")
    overlap: ops.Overlap = Field(
        ops.Overlap.ALLOW,
        description="the editable area: allow (segments may overlap), no_other (gain no voxel "
        "where another segment is), no_locked (gain none where a `locked` segment is)",
    )
    locked: list[SegmentNumber] = Field(
        default_factory=list,
        max_length=255,
        description="segments locked by the user: never changed by the operation",
    )

    def area(self) -> ops.EditableArea:
        return ops.EditableArea(self.overlap, frozenset(self.locked))


class MarginIn(_Operation):
    """Grow (mm > 0) or shrink (mm < 0) a segment in 3D by a distance in millimetres."""

    operation: Literal["margin"]
    segment: SegmentNumber
    mm: float = Field(ge=-MAX_MM, le=MAX_MM, allow_inf_nan=False, description="> 0 grows")

    @field_validator("mm")
    @classmethod
    def _not_zero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("must not be 0 (> 0 grows, < 0 shrinks)")
        return value


class SmoothingIn(_Operation):
    """Median, opening or closing with a ball of `kernel_mm` diameter."""

    operation: Literal["smoothing"]
    segment: SegmentNumber
    method: Smoothing
    kernel_mm: float = Field(ge=0.1, le=MAX_MM, allow_inf_nan=False)


class IslandsIn(_Operation):
    """Keep the largest island, remove those under `min_voxels`, or split each into a segment."""

    operation: Literal["islands"]
    segment: SegmentNumber
    action: ops.IslandAction
    min_voxels: int | None = Field(None, ge=1, le=MAX_INDEX, description="for remove_small")


class LogicIn(_Operation):
    """Change `segment` by `source`: copy, union, intersect, subtract; or invert, clear it."""

    operation: Literal["logic"]
    op: Logic
    segment: SegmentNumber = Field(description="the target, the segment that changes")
    source: SegmentNumber | None = Field(None, description="for copy, union, intersect, subtract")


class GrowFromSeedsIn(_Operation):
    """Grow two or more segments' painted seeds over the image (watershed)."""

    operation: Literal["grow_from_seeds"]
    segments: list[SegmentNumber] = Field(min_length=2, max_length=255)
    region_mm: float | None = Field(
        20.0,
        ge=0,
        le=1000,
        allow_inf_nan=False,
        description="seed box margin; null: all",
    )

    @field_validator("segments")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("must not repeat a number")
        return value


class ScissorsIn(_Operation):
    """Fill or erase inside or outside a polygon, through a range of slices."""

    operation: Literal["scissors"]
    segment: SegmentNumber
    polygon: list[tuple[Finite, Finite]] = Field(
        min_length=3, max_length=MAX_POLYGON, description="[[row, column], ...] vertices"
    )
    mode: Literal["fill", "erase"] = "fill"
    where: Literal["inside", "outside"] = "inside"
    slices: tuple[Index, Index] | None = Field(
        None, description="[first, last] slice indexes; null: every slice"
    )

    @field_validator("slices")
    @classmethod
    def _ordered(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError("must be [first, last] with first <= last")
        return value


OperationModel = MarginIn | SmoothingIn | IslandsIn | LogicIn | GrowFromSeedsIn | ScissorsIn
MODELS: dict[str, type[OperationModel]] = {
    "margin": MarginIn,
    "smoothing": SmoothingIn,
    "islands": IslandsIn,
    "logic": LogicIn,
    "grow_from_seeds": GrowFromSeedsIn,
    "scissors": ScissorsIn,
}
OperationName = Literal["margin", "smoothing", "islands", "logic", "grow_from_seeds", "scissors"]


class OperationIn(RootModel[Annotated[OperationModel, Field(discriminator="operation")]]):
    """A volume operation on the stored masks, chosen by `operation`."""


class OperationHead(BaseModel, extra="allow"):
    """The body's `operation`, read first so the errors that follow name plain fields."""

    operation: OperationName


def to_operation(body: OperationModel) -> ops.Operation:
    """The workflow's operation; BadInput names a field that the chosen one needs."""
    if isinstance(body, MarginIn):
        return ops.Margin(body.segment, body.mm)
    if isinstance(body, SmoothingIn):
        return ops.Smooth(body.segment, body.method, body.kernel_mm)
    if isinstance(body, IslandsIn):
        return _islands(body)
    if isinstance(body, LogicIn):
        return _logic(body)
    if isinstance(body, GrowFromSeedsIn):
        return ops.GrowFromSeeds(tuple(body.segments), body.region_mm)
    return ops.Scissors(
        segment=body.segment,
        polygon=tuple((float(r), float(c)) for r, c in body.polygon),
        fill=body.mode == "fill",
        inside=body.where == "inside",
        slices=body.slices,
    )


def _islands(body: IslandsIn) -> ops.Operation:
    if body.action is ops.IslandAction.REMOVE_SMALL and body.min_voxels is None:
        raise BadInput("`min_voxels` is required for action remove_small")
    return ops.Islands(body.segment, body.action, body.min_voxels or 1)


def _logic(body: LogicIn) -> ops.Operation:
    if body.op not in (Logic.INVERT, Logic.CLEAR) and body.source is None:
        raise BadInput(f"`source` is required for op {body.op.value}: a segment number 1-255")
    source = None if body.op in (Logic.INVERT, Logic.CLEAR) else body.source
    return ops.LogicOp(body.op, body.segment, source)
