"""One table from exception to HTTP status; every error body is {"error", "detail"}."""

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from segdicom.errors import (
    BadInput,
    Conflict,
    Forbidden,
    NotFound,
    PacsRefused,
    PacsUnavailable,
    SegDicomError,
    StoreFailed,
    TooLarge,
    Unauthorized,
    Unprocessable,
)

log = logging.getLogger("segdicom.api")

# Each branch of the tree has its status; a subclass without an entry gets its
# nearest ancestor's (the class hierarchy decides, as starlette picks handlers).
STATUS: dict[type[SegDicomError], HTTPStatus] = {
    SegDicomError: HTTPStatus.INTERNAL_SERVER_ERROR,
    BadInput: HTTPStatus.BAD_REQUEST,
    TooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    Unprocessable: HTTPStatus.UNPROCESSABLE_ENTITY,
    Unauthorized: HTTPStatus.UNAUTHORIZED,
    Forbidden: HTTPStatus.FORBIDDEN,
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
    StoreFailed: HTTPStatus.INSUFFICIENT_STORAGE,
    PacsUnavailable: HTTPStatus.BAD_GATEWAY,
    PacsRefused: HTTPStatus.BAD_GATEWAY,
}
# RFC 9110 11.6.1: a 401 says how to authenticate.
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="segdicom"'}


def status_of(exc: SegDicomError) -> HTTPStatus:
    """The status of the nearest class in `exc`'s hierarchy that has one."""
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]  # type: ignore[index]
    return HTTPStatus.INTERNAL_SERVER_ERROR


def error_response(
    status: int, error: str, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


def render(
    exc: SegDicomError, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """The one rendering of an error: {"error", "detail", **extra} with its status.

    Handlers, middleware (which runs outside the handler table) and endpoints that
    answer an error with more fields all answer through here.
    """
    status = status_of(exc)
    all_headers = {**(CHALLENGE if status == HTTPStatus.UNAUTHORIZED else {}), **(headers or {})}
    body = {"error": exc.error, "detail": exc.detail, **extra}
    return JSONResponse(body, status_code=status, headers=all_headers)


async def segdicom_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SegDicomError)
    return render(exc)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status, detail = exc.status_code, str(exc.detail)
    headers = dict(exc.headers or {})
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        allowed = allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
            path, allow = request.url.path, headers["Allow"]
            detail = f"{request.method} is not allowed on {path}; allowed: {allow}"
        elif request.url.path.startswith("/api/"):  # only the viewer's files answered (GET)
            status, detail = HTTPStatus.NOT_FOUND, "Not Found"
        else:
            headers["Allow"] = "GET, HEAD"
            detail = f"the viewer's files at {request.url.path} are read with GET or HEAD only"
    if status == HTTPStatus.NOT_FOUND and detail == "Not Found":
        # No route matched: say which path, and why a near miss (a negative or non-numeric
        # index, e.g. reformat/sagittal/-1) does not match one.
        detail = (
            f"no endpoint {request.method} {request.url.path}: ids, numbers and indexes in "
            "paths are non-negative integers; see /openapi.json"
        )
    return error_response(status, "http", detail, headers or None)


def allowed_methods(request: Request) -> list[str]:
    """The methods of the endpoint routes whose path matches the request's (the viewer's
    static files, mounted at /, are not one)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches(request.scope)
            if match != Match.NONE:
                methods |= route.methods
    return sorted(methods)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal", "internal error; see the service log")


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client went away before its request body arrived (a tab closed mid-write): nothing
    was done, and there is nobody to answer; a line in the log, not an error's traceback."""
    log.info(
        "%s %s: the client went away before its body arrived", request.method, request.url.path
    )
    return error_response(400, "client_disconnected", "the request body did not arrive whole")


async def missing_file(request: Request, exc: Exception) -> Response:
    """A file the index names is gone from the data folder (deleted by hand, a disk
    restored from an older backup): say which, and how to bring the index in line."""
    assert isinstance(exc, FileNotFoundError)
    log.error("%s %s: stored file missing: %s", request.method, request.url.path, exc.filename)
    detail = (
        f"a stored file is missing from the data folder ({exc.filename}): it was removed "
        "outside SegDICOM; send or upload its series again"
    )
    return error_response(500, "store_file_missing", detail)


HANDLERS = {
    SegDicomError: segdicom_error,
    HTTPException: http_error,
    FileNotFoundError: missing_file,
    ClientDisconnect: client_gone,
    Exception: unexpected_error,
}
