"""The states and kinds the service stores and answers, as `StrEnum`s.

Their values are the strings in the database and the JSON API, so a member
compares equal to, and is stored as, that string (no migration).
"""

from enum import StrEnum


class JobKind(StrEnum):
    """What a job does (jobs.kind)."""

    RETRIEVE = "retrieve"
    IMPORT_SEG = "import_seg"


class JobState(StrEnum):
    """Where a job is (jobs.state)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Destination(StrEnum):
    """Where an export goes (exports.destination); also where a listing looks (`source`)."""

    LOCAL = "local"
    PACS = "pacs"


class ExportStatus(StrEnum):
    """An export's delivery (exports.status): `local` is never sent."""

    LOCAL = "local"
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Via(StrEnum):
    """How the PACS is spoken to."""

    DICOMWEB = "dicomweb"
    DIMSE = "dimse"
