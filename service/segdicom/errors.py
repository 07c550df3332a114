"""The exception tree. `api.errors` maps each branch to one HTTP status.

PACS errors carry what the PACS said as data (`http_status`, `dimse_status`),
so callers decide retries from fields, never from the wording of the message.
"""

from http import HTTPStatus


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


class SopClassMismatch(BadInput):
    """The data set is not of the SOP class it was sent or filed as (HTTP 400,
    C-STORE 0xA900)."""

    error = "sop_class_mismatch"


class NotFound(SegDicomError):
    """No such study, series, annotation, export or job (HTTP 404)."""

    error = "not_found"


class Conflict(SegDicomError):
    """A stale version or a state that forbids the change (HTTP 409)."""

    error = "conflict"


class Closed(Conflict):
    """The annotation is closed to writes (a submitted, approved or released reading):
    not a stale version, so writing again over it cannot help (HTTP 409, error "closed")."""

    error = "closed"


class StoreFailed(SegDicomError):
    """The local store could not write (disk full, read-only): 507, C-STORE 0xA700."""

    error = "store_failed"


class PacsUnavailable(SegDicomError):
    """The PACS could not be reached, timed out or cut the connection (HTTP 502).

    `aborted`: it cut a DIMSE association instead of answering (a PACS does this to
    an AE title it does not know), and the message says so.
    """

    error = "pacs_unavailable"

    def __init__(self, detail: str, *, aborted: bool = False) -> None:
        super().__init__(detail)
        self.aborted = aborted


class PacsStopped(PacsUnavailable):
    """The PACS stopped answering in the middle of a transfer; `received` instances
    had arrived by then (HTTP 502)."""

    def __init__(self, detail: str, *, received: int) -> None:
        super().__init__(detail)
        self.received = received


class PacsRefused(SegDicomError):
    """The PACS answered, but refused or failed the request (HTTP 502).

    `http_status`: the HTTP status it answered (DICOMweb); `dimse_status`: the DIMSE
    status, or a STOW-RS Failure Reason (PS3.18 10.5.3); `names_our_ae`: the message
    already tells the user to register our AE title at the PACS.
    """

    error = "pacs_refused"

    def __init__(
        self,
        detail: str,
        *,
        http_status: HTTPStatus | None = None,
        dimse_status: int | None = None,
        names_our_ae: bool = False,
    ) -> None:
        super().__init__(detail)
        self.http_status = http_status
        self.dimse_status = dimse_status
        self.names_our_ae = names_our_ae


class Unauthorized(SegDicomError):
    """No valid login, session or token (HTTP 401)."""

    error = "unauthorized"


class Forbidden(SegDicomError):
    """Logged in, but the role or a missing CSRF token forbids this (HTTP 403)."""

    error = "forbidden"
