"""Small helpers every endpoint module shares: state, user, path parameters, If-Match.

Bodies and query strings are parsed with pydantic models: see api/validation.py."""

import re
from collections.abc import Callable
from typing import Any, TypeVar

from anyio import to_thread
from starlette.requests import Request

from segdicom.api.validation import MAX_ID, MAX_INDEX, UID_SCHEMA
from segdicom.errors import BadInput
from segdicom.state import AppState
from segdicom.uids import validate_uid

_DIGITS = re.compile(r"[0-9]+")
T = TypeVar("T")

# Threads for calls that wait on the PACS. A PACS that does not answer holds a call
# for up to SEGDICOM_PACS_TIMEOUT; on these threads it holds at most this many, never
# the request threads (as many as database connections) that slices and saves need.
PACS_THREADS = 8


def state(request: Request) -> AppState:
    value: AppState = request.app.state.segdicom
    return value


def user(request: Request) -> str:
    """The user behind the request (the configured default until users land)."""
    return str(getattr(request.state, "user", None) or state(request).settings.default_user)


async def on_pacs_thread(request: Request, call: Callable[[], T]) -> T:
    """`call()` (a PACS search) on the PACS threads; the request waits its turn there."""
    limiter = request.app.state.pacs_limiter
    return await to_thread.run_sync(call, limiter=limiter)


def path_uid(request: Request, name: str) -> str:
    return validate_uid(request.path_params[name], name)


# Path parameters by name: the schema /openapi.json shows and path_int's bounds.
PATH_PARAMS: dict[str, dict[str, Any]] = {
    "id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "number": {"type": "integer", "minimum": 1, "maximum": 255},
    "index": {"type": "integer", "minimum": 0, "maximum": MAX_INDEX},
    "uid": UID_SCHEMA,
    "volume_id": UID_SCHEMA | {"description": "the series UID (the original API's volume id)"},
    "job_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
    "axis": {"type": "string", "enum": ["sagittal", "coronal"]},
    "username": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"},
    "*": {"type": "string"},
}


def path_int(request: Request, name: str) -> int:
    """An integer path parameter within its documented bounds (PATH_PARAMS)."""
    raw = str(request.path_params[name])
    if not _DIGITS.fullmatch(raw.removeprefix("-")):  # int() would take ' 5', '+5', '٣'
        raise BadInput(f"{name} must be an integer, got {raw!r}")
    value = int(raw)
    low, high = PATH_PARAMS[name]["minimum"], PATH_PARAMS[name]["maximum"]
    if value < low:
        raise BadInput(f"{name} must be >= {low}, got {value}")
    if value > high:
        raise BadInput(f"{name} must be <= {high}, got {value}")
    return value


def required_version(request: Request) -> int:
    version = if_match(request, required=True)
    assert version is not None
    return version


def if_match(request: Request, required: bool) -> int | None:
    """The annotation version in If-Match (`3`, `"3"` or `W/"3"`)."""
    raw = request.headers.get("if-match")
    if raw is None:
        if required:
            raise BadInput("If-Match header with the annotation version is required")
        return None
    text = raw.strip().removeprefix("W/").strip('"')
    if not _DIGITS.fullmatch(text):  # ASCII: str.isdigit() also takes '²', which int() refuses
        raise BadInput(f"If-Match must be the annotation version (an integer), got {raw!r}")
    return int(text)
