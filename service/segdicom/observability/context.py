"""The id of the request being served, visible to every log call made for it."""

import re
import uuid
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("segdicom_request_id", default="-")

# A client-supplied id is echoed into logs and headers: keep it short and inert.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def accept_or_new(value: str | None) -> str:
    """The client's id when it is 1-64 safe characters, else a fresh random one."""
    if value and _SANE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex
