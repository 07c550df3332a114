"""One table from exception to HTTP status; every error body is {"error", "detail"}."""

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

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

STATUS: tuple[tuple[type[SegDicomError], int], ...] = (
    (TooLarge, 413),
    (Unprocessable, 422),
    (BadInput, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (StoreFailed, 507),
    (PacsUnavailable, 502),
    (PacsRefused, 502),
)


def error_response(status: int, error: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status)


async def segdicom_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SegDicomError)
    status = next((code for kind, code in STATUS if isinstance(exc, kind)), 500)
    return error_response(status, exc.error, exc.detail)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, "http", str(exc.detail))


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal", "internal error; see the service log")


HANDLERS = {
    SegDicomError: segdicom_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
