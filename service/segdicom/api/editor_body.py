"""The body of POST /api/annotations/{id}/operations, parsed into a typed operation once."""

import math
from enum import StrEnum
from typing import Any, TypeVar

from segdicom.errors import BadInput
from segdicom.imaging.editing import Logic, Smoothing
from segdicom.workflows.operations import (
    GrowFromSeeds,
    IslandAction,
    Islands,
    LogicOp,
    Margin,
    Operation,
    Scissors,
    Smooth,
)

E = TypeVar("E", bound=StrEnum)
MAX_MM = 100.0
MAX_POLYGON = 10_000
OPERATIONS = ("margin", "smoothing", "islands", "logic", "grow_from_seeds", "scissors")


def parse_operation(body: dict[str, Any]) -> tuple[Operation, bool]:
    """(the operation, whether it is a preview); BadInput names the bad field."""
    name = body.get("operation")
    preview = body.get("preview", False)
    if not isinstance(preview, bool):
        raise BadInput(f"preview must be true or false, got {preview!r}")
    parsers = {
        "margin": _margin,
        "smoothing": _smoothing,
        "islands": _islands,
        "logic": _logic,
        "grow_from_seeds": _grow,
        "scissors": _scissors,
    }
    if name not in parsers:
        raise BadInput(f"operation must be one of {', '.join(OPERATIONS)}, got {name!r}")
    return parsers[name](body), preview


def _margin(body: dict[str, Any]) -> Operation:
    mm = _number(body, "mm", -MAX_MM, MAX_MM)
    if mm == 0:
        raise BadInput("mm must not be 0 (> 0 grows, < 0 shrinks)")
    return Margin(_segment(body, "segment"), mm)


def _smoothing(body: dict[str, Any]) -> Operation:
    method = _enum(body, "method", Smoothing)
    return Smooth(_segment(body, "segment"), method, _number(body, "kernel_mm", 0.1, MAX_MM))


def _islands(body: dict[str, Any]) -> Operation:
    action = _enum(body, "action", IslandAction)
    minimum = 1
    if action is IslandAction.REMOVE_SMALL:
        minimum = _integer(body, "min_voxels", 1, 2**31)
    return Islands(_segment(body, "segment"), action, minimum)


def _logic(body: dict[str, Any]) -> Operation:
    op = _enum(body, "op", Logic)
    needs_source = op not in (Logic.INVERT, Logic.CLEAR)
    source = _segment(body, "source") if needs_source else None
    return LogicOp(op, _segment(body, "segment"), source)


def _grow(body: dict[str, Any]) -> Operation:
    raw = body.get("segments")
    if not isinstance(raw, list) or len(raw) < 2:
        raise BadInput(f"segments must be a list of two or more segment numbers, got {raw!r}")
    numbers = tuple(_segment({"segments[]": n}, "segments[]") for n in raw)
    if len(set(numbers)) != len(numbers):
        raise BadInput(f"segments must not repeat a number, got {raw!r}")
    region = body.get("region_mm", 20.0)
    if region is not None:
        region = _number(body | {"region_mm": region}, "region_mm", 0.0, 1000.0)
    return GrowFromSeeds(numbers, region)


def _scissors(body: dict[str, Any]) -> Operation:
    mode, where = body.get("mode", "fill"), body.get("where", "inside")
    if mode not in ("fill", "erase"):
        raise BadInput(f"mode must be 'fill' or 'erase', got {mode!r}")
    if where not in ("inside", "outside"):
        raise BadInput(f"where must be 'inside' or 'outside', got {where!r}")
    return Scissors(
        segment=_segment(body, "segment"),
        polygon=_polygon(body.get("polygon")),
        fill=mode == "fill",
        inside=where == "inside",
        slices=_slice_range(body.get("slices")),
    )


def _polygon(raw: object) -> tuple[tuple[float, float], ...]:
    if not isinstance(raw, list) or not 3 <= len(raw) <= MAX_POLYGON:
        raise BadInput(f"polygon must be a list of 3-{MAX_POLYGON} [row, column] points")
    points = []
    for point in raw:
        if not (isinstance(point, list) and len(point) == 2 and all(_finite(v) for v in point)):
            raise BadInput(f"polygon points must be [row, column] numbers, got {point!r}")
        points.append((float(point[0]), float(point[1])))
    return tuple(points)


def _slice_range(raw: object) -> tuple[int, int] | None:
    if raw is None:
        return None
    if not (isinstance(raw, list) and len(raw) == 2 and all(_is_int(v) for v in raw)):
        raise BadInput(f"slices must be [first, last] slice indexes, got {raw!r}")
    first, last = int(raw[0]), int(raw[1])
    if not 0 <= first <= last:
        raise BadInput(f"slices must satisfy 0 <= first <= last, got {raw!r}")
    return first, last


def _segment(body: dict[str, Any], name: str) -> int:
    return _integer(body, name, 1, 255)


def _integer(body: dict[str, Any], name: str, lo: int, hi: int) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise BadInput(f"{name} must be an integer {lo}-{hi}, got {value!r}")
    return value


def _number(body: dict[str, Any], name: str, lo: float, hi: float) -> float:
    value = body.get(name)
    if not isinstance(value, int | float) or not _finite(value) or not lo <= value <= hi:
        raise BadInput(f"{name} must be a number from {lo:g} to {hi:g}, got {value!r}")
    return float(value)


def _enum(body: dict[str, Any], name: str, kind: type[E]) -> E:
    value = body.get(name)
    try:
        return kind(str(value))
    except ValueError:
        names = ", ".join(m.value for m in kind)
        raise BadInput(f"{name} must be one of {names}, got {value!r}") from None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
