"""DIMSE statuses as data: what a C-STORE SCP answers, how SCU answers read.

PS3.4 B.2.3 (Storage Service Class statuses): 0xA7xx "Refused: Out of
Resources", 0xA9xx "Error: Data Set does not match SOP Class", 0xCxxx "Error:
Cannot understand"; 0xB000/0xB006/0xB007 are warnings (the instance was kept).
PS3.4 C.4.2.1.5 (C-MOVE): 0xA801 "Refused: Move Destination unknown".
"""

from dataclasses import dataclass

from pydicom.dataset import Dataset

from segdicom.errors import BadInput, SegDicomError, SopClassMismatch, StoreFailed

SUCCESS = 0x0000
OUT_OF_RESOURCES = 0xA700  # the store could not write (disk full, read-only)
SOP_CLASS_MISMATCH = 0xA900  # the data set is not of the SOP class it was sent as
CANNOT_UNDERSTAND = 0xC000  # unparseable, truncated, undecodable, over our hard limits
CANNOT_UNDERSTAND_INTERNAL = 0xC0FF  # an unexpected error on our side (see the log)
MOVE_DESTINATION_UNKNOWN = 0xA801
PENDING = (0xFF00, 0xFF01)
WARNINGS = (0xB000, 0xB006, 0xB007)
ERROR_COMMENT_MAX = 64  # Error Comment (0000,0902) is LO: 64 characters (PS3.7 E.1)


@dataclass(frozen=True)
class Status:
    """A DIMSE status and the reason sent with it (Error Comment)."""

    code: int
    comment: str = ""

    @property
    def is_success(self) -> bool:
        return self.code == SUCCESS

    def dataset(self) -> Dataset:
        """The status as pynetdicom sends it: Status plus Error Comment on failure."""
        ds = Dataset()
        ds.Status = self.code
        if self.comment and not self.is_success:
            ds.ErrorComment = error_comment(self.comment)
        return ds


def store_failure(exc: SegDicomError) -> Status:
    """The C-STORE failure status for a refusal of the store (never success).

    Only a store that cannot write answers 0xA7xx, which senders retry: an object
    over our hard limits (TooLarge) is refused as the object it is, like one that
    cannot be parsed, so that nobody sends it again and again."""
    if isinstance(exc, StoreFailed):
        return Status(OUT_OF_RESOURCES, exc.detail)
    if isinstance(exc, SopClassMismatch):
        return Status(SOP_CLASS_MISMATCH, exc.detail)
    if isinstance(exc, BadInput):
        return Status(CANNOT_UNDERSTAND, exc.detail)
    return Status(CANNOT_UNDERSTAND_INTERNAL, exc.detail)


def error_comment(text: str) -> str:
    """Text fit for Error Comment: printable, no backslash, at most 64 characters."""
    clean = "".join(c if " " <= c <= "~" and c != "\\" else " " for c in text)
    return clean.strip()[:ERROR_COMMENT_MAX]


def never_accepted(status: int) -> bool:
    """The object itself is refused (0xA9xx wrong SOP class, 0xCxxx cannot understand):
    sending it again cannot succeed. 0xA7xx (out of resources) may heal."""
    return status >> 8 == 0xA9 or status >> 12 == 0xC


def describe(status: int) -> str:
    """A human name for a status code, for error messages and logs."""
    if status == SUCCESS:
        return "0x0000 success"
    if status in PENDING:
        return f"0x{status:04X} pending"
    if status in WARNINGS:
        return f"0x{status:04X} warning"
    if status == MOVE_DESTINATION_UNKNOWN:
        return "0xA801 move destination unknown"
    kinds = {0xA7: "out of resources", 0xA9: "data set does not match SOP class"}
    kind = kinds.get(status >> 8) or ("cannot understand" if status >> 12 == 0xC else "failure")
    return f"0x{status:04X} {kind}"
