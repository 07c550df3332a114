"""DICOM UID validation: every UID is checked before it touches a path, query or URL."""

import re

from segdicom.errors import BadInput

_UID = re.compile(r"[0-9]+(\.[0-9]+)*")
MAX_UID_LENGTH = 64  # PS3.5 9.1: a UID is at most 64 characters


def is_uid(value: str) -> bool:
    return len(value) <= MAX_UID_LENGTH and _UID.fullmatch(value) is not None


def validate_uid(value: object, field: str = "uid") -> str:
    """Return `value` if it is a valid DICOM UID, else raise BadInput naming `field`."""
    if not isinstance(value, str) or not is_uid(value):
        shown = repr(value)[:80]
        raise BadInput(f"{field} is not a valid DICOM UID: {shown}")
    return value
