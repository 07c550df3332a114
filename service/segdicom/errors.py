"""The exception tree. `api.errors` maps each branch to one HTTP status."""


class SegDicomError(Exception):
    """Base of every error the service raises on purpose.

    `error` is a short machine-readable kind; the message is the human detail.
    """

    error = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadInput(SegDicomError):
    """The caller sent something we cannot use (HTTP 400, C-STORE 0xC000 range)."""

    error = "bad_input"


class Unprocessable(BadInput):
    """Well-formed but not acceptable: not an image, an unsupported object (422)."""

    error = "unprocessable"


class TooLarge(BadInput):
    """Over a configured size limit (HTTP 413)."""

    error = "too_large"


class NotFound(SegDicomError):
    """No such study, series, annotation, export or job (HTTP 404)."""

    error = "not_found"


class Conflict(SegDicomError):
    """A stale version or a state that forbids the change (HTTP 409)."""

    error = "conflict"


class StoreFailed(SegDicomError):
    """The local store could not write (disk full, read-only): 507, C-STORE 0xA700."""

    error = "store_failed"


class PacsUnavailable(SegDicomError):
    """The PACS could not be reached or timed out (HTTP 502)."""

    error = "pacs_unavailable"


class PacsRefused(SegDicomError):
    """The PACS answered, but refused or failed the request (HTTP 502)."""

    error = "pacs_refused"


class Unauthorized(SegDicomError):
    """No valid login, session or token (HTTP 401)."""

    error = "unauthorized"


class Forbidden(SegDicomError):
    """Logged in, but the role or a missing CSRF token forbids this (HTTP 403)."""

    error = "forbidden"
