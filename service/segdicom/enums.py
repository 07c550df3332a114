"""The states and kinds the service stores and answers, as `StrEnum`s.

Their values are the strings in the database and the JSON API, so a member
compares equal to, and is stored as, that string (no migration).
"""

from __future__ import annotations

from enum import StrEnum

from segdicom.errors import BadInput


class JobKind(StrEnum):
    """What a job does (jobs.kind)."""

    RETRIEVE = "retrieve"
    IMPORT_SEG = "import_seg"
    CONSENSUS = "consensus"
    DATASET = "dataset"


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


class SegmentationType(StrEnum):
    """What an export writes (exports.segmentation_type): `binary` (overlaps allowed) or
    `labelmap` (Supplement 243: one segment per pixel)."""

    BINARY = "binary"
    LABELMAP = "labelmap"

    @classmethod
    def parse(cls, value: object) -> SegmentationType:
        """The type named by `value`; BadInput naming the choices otherwise."""
        if isinstance(value, str) and value.lower() in cls._value2member_map_:
            return cls(value.lower())
        choices = ", ".join(repr(t.value) for t in cls)
        raise BadInput(f"segmentation_type must be one of {choices}, got {value!r:.80}")


class DatasetFormat(StrEnum):
    """A training dataset's layout (datasets.format)."""

    NNUNET = "nnunet"
    NIFTI = "nifti"  # MONAI style: one NIfTI pair per series and a JSON datalist

    @classmethod
    def parse(cls, value: object) -> DatasetFormat:
        if isinstance(value, str) and value in cls._value2member_map_:
            return cls(value)
        choices = ", ".join(repr(f.value) for f in cls)
        raise BadInput(f"format must be one of {choices}, got {value!r:.80}")


class SegmentStatus(StrEnum):
    """Where the annotator is with a segment (segments.status), shown in the segment list."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FLAGGED = "flagged"


class TaskState(StrEnum):
    """Where a reading of a project case is (tasks.state)."""

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    # Its lease ran out and another reader took the case's slot with a fresh reading:
    # it stays its reader's (closed), so they never read the case again.
    RELEASED = "released"
