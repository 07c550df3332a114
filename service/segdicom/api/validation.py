"""Request bodies and query strings parsed into pydantic models; their errors become one
`BadInput` whose sentences name the field and the value (`"`series_uid` is required"`).

The same models give /openapi.json its schemas, so what is documented is what is checked.
"""

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import annotated_types
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import ErrorDetails
from starlette.requests import Request

from segdicom.errors import BadInput
from segdicom.uids import MAX_UID_LENGTH, is_uid

M = TypeVar("M", bound=BaseModel)
# Ids and indexes are INTEGER columns: 32 bits on PostgreSQL ("integer out of range"
# beyond), 64 on SQLite. A larger one names nothing, so it is bad input, not a server error.
MAX_ID = 2**31 - 1
# No series has this many slices or rows; bounds an index before it reaches numpy or a
# column (a comment's slice).
MAX_INDEX = 2**31 - 1
UID_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"^[0-9]+(\.[0-9]+)*$",
    "maxLength": MAX_UID_LENGTH,
    "description": "a DICOM UID (PS3.5 9.1)",
}


def _uid(value: str) -> str:
    if not is_uid(value):
        raise ValueError("is not a valid DICOM UID")
    return value


# A DICOM UID, checked with the project's rule (uids.is_uid) and documented with its pattern.
Uid = Annotated[str, AfterValidator(_uid), WithJsonSchema(UID_SCHEMA)]


# Control characters have no place in a name or a label (C0, DEL, C1); text that may run
# over lines keeps tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _no_control(pattern: re.Pattern[str]) -> Callable[[str], str]:
    def check(value: str) -> str:
        found = pattern.search(value)
        if found:
            raise ValueError(f"must not contain control characters, found {found.group()!r}")
        return value

    return check


@dataclass(frozen=True)
class Line(annotated_types.GroupedMetadata):
    """`Annotated[str, Line(64)]`: one line of at most `most` characters, trimmed, not empty,
    without control characters."""

    most: int

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(strip_whitespace=True, min_length=1, max_length=self.most)
        yield AfterValidator(_no_control(_CONTROL))


@dataclass(frozen=True)
class Text(annotated_types.GroupedMetadata):
    """`Annotated[str, Text(10_000)]`: free text over lines (tab, CR and LF allowed, no other
    control character); `least=1` trims it and wants something left."""

    most: int
    least: int = 0

    def __iter__(self) -> Iterator[object]:
        strip = self.least > 0
        yield StringConstraints(strip_whitespace=strip, min_length=self.least, max_length=self.most)
        yield AfterValidator(_no_control(_CONTROL_IN_TEXT))


# Members of a union told apart by a Discriminator are tagged `member:<kind>`: pydantic puts
# the tag in an error's location, and sentences leave it out, so they name the field only.
MEMBER = "member:"
# The error type of such a union's Discriminator when no member fits (its message says
# what the field takes).
NO_MEMBER = "no_member"


def _at_most(most: int) -> Callable[[object], object]:
    def check(value: object) -> object:
        # Before parsing: a float such as 1e20 fails pydantic's int parsing with words
        # that do not say what the bound is.
        if isinstance(value, int | float) and not isinstance(value, bool) and value > most:
            raise ValueError(f"must be <= {most}")
        return value

    return check


# A row id, and a slice (or row) index: integers the database's INTEGER holds.
Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_at_most(MAX_ID))]
Index = Annotated[int, Field(ge=0, le=MAX_INDEX), BeforeValidator(_at_most(MAX_INDEX))]


async def parse_body(request: Request, model: type[M], limit: int = 1024 * 1024) -> M:
    """The JSON body as `model`; an empty body is `{}` (so defaults apply)."""
    raw = await request.body()
    if len(raw) > limit:
        raise BadInput(f"JSON body too large: {len(raw)} bytes (limit {limit})")
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise BadInput(f"body is not valid JSON: {exc}") from None
    except RecursionError:  # json's decoder recurses once per nested list or object
        raise BadInput("body is not valid JSON: nested too deeply") from None
    if not isinstance(body, dict):
        raise BadInput(f"body must be a JSON object, got {_kind(body)}")
    return validate(model, body)


def parse_query(request: Request, model: type[M]) -> M:
    """The query string as `model`; empty parameters count as absent."""
    values = {k: v for k, v in request.query_params.items() if v != ""}
    return validate(model, values)


def validate(model: type[M], values: dict[str, Any]) -> M:
    unstorable = list(_unstorable(values, ()))
    if unstorable:
        raise BadInput("; ".join(unstorable))
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise BadInput("; ".join(sentence(e) for e in exc.errors(include_url=False))) from None


# Whatever the model: PostgreSQL's text cannot hold NUL, UTF-8 cannot encode a lone
# surrogate ("\ud800" in JSON), and an infinite or NaN number (json.loads reads 1e400,
# Infinity and NaN) is no JSON an answer could carry back.
_UNSTORABLE_CHAR = re.compile(r"[\x00\ud800-\udfff]")


def _unstorable(value: object, loc: tuple[int | str, ...]) -> Iterator[str]:
    """A sentence for every string holding NUL or a lone surrogate, and every number
    that is not finite, anywhere in a parsed body or query."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _unstorable(key, loc)
            yield from _unstorable(item, (*loc, key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _unstorable(item, (*loc, n))
    elif isinstance(value, str) and (found := _UNSTORABLE_CHAR.search(value)):
        yield f"{_field(loc)} must not contain {found.group()!r}, got {_shown(value)}"
    elif isinstance(value, float) and not math.isfinite(value):
        yield f"{_field(loc)} must be a finite number, got {value}"


def sentence(error: ErrorDetails) -> str:
    """One pydantic error as a sentence naming the field and the bad value."""
    field = _field(error["loc"])
    got = _shown(error["input"])
    ctx = error.get("ctx") or {}
    make = _SENTENCES.get(error["type"])
    if make is not None:
        return make(field, got, ctx)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] in ("value_error", NO_MEMBER):
        return f"{field} {message}, got {got}"
    return f"{field}: {message.lower()}, got {got}"


def _expected(ctx: dict[str, Any]) -> str:
    choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
    return ", ".join(choices) or str(ctx.get("expected", ""))


_SENTENCES: dict[str, Callable[[str, str, dict[str, Any]], str]] = {
    "missing": lambda f, g, c: f"{f} is required",
    "literal_error": lambda f, g, c: f"{f} must be one of {_expected(c)}, got {g}",
    "enum": lambda f, g, c: f"{f} must be one of {_expected(c)}, got {g}",
    "string_type": lambda f, g, c: f"{f} must be a string, got {g}",
    "int_type": lambda f, g, c: f"{f} must be an integer, got {g}",
    "int_parsing": lambda f, g, c: f"{f} must be an integer, got {g}",
    "int_from_float": lambda f, g, c: f"{f} must be an integer, got {g}",
    "int_parsing_size": lambda f, g, c: f"{f} is too large an integer, got {g}",
    "bool_type": lambda f, g, c: f"{f} must be true or false, got {g}",
    "bool_parsing": lambda f, g, c: f"{f} must be true or false, got {g}",
    "list_type": lambda f, g, c: f"{f} must be a list, got {g}",
    "model_type": lambda f, g, c: f"{f} must be an object, got {g}",
    "dict_type": lambda f, g, c: f"{f} must be an object, got {g}",
    "string_too_short": lambda f, g, c: (
        f"{f} must have at least {c['min_length']} character(s), got {g}"
    ),
    "string_too_long": lambda f, g, c: f"{f} must have at most {c['max_length']} characters",
    "string_pattern_mismatch": lambda f, g, c: f"{f} must match {c['pattern']}, got {g}",
    "greater_than_equal": lambda f, g, c: f"{f} must be >= {c['ge']}, got {g}",
    "greater_than": lambda f, g, c: f"{f} must be > {c['gt']}, got {g}",
    "less_than_equal": lambda f, g, c: f"{f} must be <= {c['le']}, got {g}",
    "less_than": lambda f, g, c: f"{f} must be < {c['lt']}, got {g}",
    "extra_forbidden": lambda f, g, c: f"{f} is not a known field",
    "too_short": lambda f, g, c: f"{f} must have at least {c['min_length']} item(s), got {g}",
    "too_long": lambda f, g, c: f"{f} must have at most {c['max_length']} items",
}


def _field(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "body"
    parts = [p for p in loc if not (isinstance(p, str) and p.startswith(MEMBER))]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")
    return f"`{path}`"


def _shown(value: object) -> str:
    return repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."


def _kind(value: object) -> str:
    kinds = {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf [X, null]` as X, for a field that may be absent but not null (a query
    parameter, a project field)."""
    options = schema.get("anyOf")
    if not options:
        return schema
    kept = [s for s in options if s.get("type") != "null"]
    rest = {k: v for k, v in schema.items() if k != "anyOf" and (k, v) != ("default", None)}
    return (kept[0] if len(kept) == 1 else {"anyOf": kept}) | rest
