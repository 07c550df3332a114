"""Small helpers every endpoint module shares: state, parameters, JSON bodies."""

import json
from typing import Any

from starlette.requests import Request

from segdicom.errors import BadInput
from segdicom.state import AppState
from segdicom.uids import validate_uid


def state(request: Request) -> AppState:
    value: AppState = request.app.state.segdicom
    return value


def user(request: Request) -> str:
    """The user behind the request (the configured default until users land)."""
    return str(getattr(request.state, "user", None) or state(request).settings.default_user)


def path_uid(request: Request, name: str) -> str:
    return validate_uid(request.path_params[name], name)


def path_int(request: Request, name: str, minimum: int = 0) -> int:
    raw = request.path_params[name]
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise BadInput(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise BadInput(f"{name} must be >= {minimum}, got {value}")
    return value


def query_int(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadInput(f"{name} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise BadInput(f"{name} must be between {lo} and {hi}, got {value}")
    return value


async def json_body(request: Request, limit: int = 1024 * 1024) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > limit:
        raise BadInput(f"JSON body too large: {len(raw)} bytes (limit {limit})")
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise BadInput(f"body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadInput(f"body must be a JSON object, got {type(body).__name__}")
    return body


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
    if not text.isdigit():
        raise BadInput(f"If-Match must be the annotation version (an integer), got {raw!r}")
    return int(text)
