"""The schema, as typed SQLAlchemy models. Alembic revisions create it; nothing else does."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from segdicom.db.types import UTCDateTime, utcnow
from segdicom.enums import SegmentStatus

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UID = String(64)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Instance(Base):
    """One stored DICOM instance: the index over the files of the local store."""

    __tablename__ = "instances"

    sop_instance_uid: Mapped[str] = mapped_column(UID, primary_key=True)
    sop_class_uid: Mapped[str] = mapped_column(UID)
    study_uid: Mapped[str] = mapped_column(UID, index=True)
    series_uid: Mapped[str] = mapped_column(UID, index=True)
    modality: Mapped[str] = mapped_column(String(16), default="")
    patient_id: Mapped[str] = mapped_column(String(64), default="")
    patient_name: Mapped[str] = mapped_column(String(324), default="")
    study_date: Mapped[str] = mapped_column(String(8), default="")
    study_description: Mapped[str] = mapped_column(String(64), default="")
    accession_number: Mapped[str] = mapped_column(String(16), default="")
    series_description: Mapped[str] = mapped_column(String(64), default="")
    series_number: Mapped[int | None] = mapped_column(Integer)
    instance_number: Mapped[int | None] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    columns: Mapped[int] = mapped_column(Integer, default=0)
    num_frames: Mapped[int] = mapped_column(Integer, default=0)
    is_image: Mapped[bool] = mapped_column(Boolean, default=False)
    transfer_syntax_uid: Mapped[str] = mapped_column(UID, default="")
    path: Mapped[str] = mapped_column(String(512))
    size: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(16), default="upload")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Annotation(Base):
    """A segmentation of one series by one user; `version` rises with every write."""

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    series_uid: Mapped[str] = mapped_column(UID, index=True)
    study_uid: Mapped[str] = mapped_column(UID)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Every export of this annotation goes into this one SEG series (ARCHITECTURE: SEG).
    seg_series_uid: Mapped[str] = mapped_column(UID)
    description: Mapped[str] = mapped_column(String(64), default="")
    # The case whose readings this annotation is the consensus of (it has no task of its
    # own): the reviewers' work, which the readers of a blinded project may not see.
    consensus_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )

    segments: Mapped[list["Segment"]] = relationship(
        back_populates="annotation",
        order_by="Segment.number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Segment(Base):
    """A numbered segment: label, colour and the coded concepts of PS3.3 C.8.20.4."""

    __tablename__ = "segments"

    annotation_id: Mapped[int] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(64))
    color: Mapped[str] = mapped_column(String(7))  # "#rrggbb"
    category_code: Mapped[str] = mapped_column(String(16))
    category_scheme: Mapped[str] = mapped_column(String(16))
    category_meaning: Mapped[str] = mapped_column(String(64))
    type_code: Mapped[str] = mapped_column(String(16))
    type_scheme: Mapped[str] = mapped_column(String(16))
    type_meaning: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(
        String(16),
        default=SegmentStatus.NOT_STARTED.value,
        server_default=SegmentStatus.NOT_STARTED.value,
    )

    annotation: Mapped[Annotation] = relationship(back_populates="segments")


class SliceMask(Base):
    """One segment's mask on one slice, in the wire format (zlib of packbits)."""

    __tablename__ = "slice_masks"
    __table_args__ = (
        ForeignKeyConstraint(
            ["annotation_id", "segment_number"],
            ["segments.annotation_id", "segments.number"],
            ondelete="CASCADE",
            name="fk_slice_masks_segment",
        ),
    )

    annotation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    segment_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The slice's position when last written; a row with a SOP Instance UID is
    # placed by that UID and frame instead, since instances arriving later between
    # the slices shift every later position (negative: its instance is gone).
    slice_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    sop_instance_uid: Mapped[str | None] = mapped_column(UID)
    frame: Mapped[int | None] = mapped_column(Integer)  # 1-based; 1 for single-frame
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Export(Base):
    """A SEG written from an annotation, and its delivery (the durable outbox)."""

    __tablename__ = "exports"
    __table_args__ = (Index("ix_exports_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    annotation_id: Mapped[int] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), index=True
    )
    annotation_version: Mapped[int] = mapped_column(Integer)
    sop_instance_uid: Mapped[str] = mapped_column(UID, unique=True)
    series_instance_uid: Mapped[str] = mapped_column(UID)
    study_uid: Mapped[str] = mapped_column(UID)
    instance_number: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(512))
    destination: Mapped[str] = mapped_column(String(16))  # local | pacs
    status: Mapped[str] = mapped_column(String(16))  # local | pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # binary | labelmap (Supplement 243)
    segmentation_type: Mapped[str] = mapped_column(
        String(16), default="binary", server_default="binary"
    )
    # The TID 1500 measurement report written beside the SEG, delivered with it.
    sr_sop_instance_uid: Mapped[str | None] = mapped_column(UID)
    sr_series_uid: Mapped[str | None] = mapped_column(UID)
    sr_path: Mapped[str] = mapped_column(String(512), default="", server_default="")
    # Whom the SEG names: who painted it (its Content Creator's Name; "" before this
    # was recorded) and the reviewer who had approved the project reading, if any.
    content_creator: Mapped[str] = mapped_column(String(64), default="", server_default="")
    approved_by: Mapped[str | None] = mapped_column(String(64))


class DatasetExport(Base):
    """A dataset export for model training (NIfTI / nnU-Net zip), made by a job."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(32), index=True)
    format: Mapped[str] = mapped_column(String(16))  # nnunet | nifti
    path: Mapped[str] = mapped_column(String(512))  # the zip, relative to the data folder
    size: Mapped[int] = mapped_column(Integer)
    num_cases: Mapped[int] = mapped_column(Integer)
    labels: Mapped[str] = mapped_column(Text)  # JSON {"background": 0, "Liver": 1, ...}
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Event(Base):
    """The audit record: one row per save and export, streamed as CSV."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    study_uid: Mapped[str] = mapped_column(UID, default="")
    series_uid: Mapped[str] = mapped_column(UID, default="", index=True)
    annotation_id: Mapped[int | None] = mapped_column(Integer)
    slice: Mapped[str] = mapped_column(String(32), default="")
    labels: Mapped[str] = mapped_column(Text, default="")
    seg_sop_instance_uid: Mapped[str] = mapped_column(UID, default="")
    seg_path: Mapped[str] = mapped_column(String(512), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class Job(Base):
    """Long work (a series pull, an export) with progress the browser follows."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[str] = mapped_column(Text, default="{}")
    result: Mapped[str] = mapped_column(Text, default="{}")
    # The process running it (process.identity()): a job whose process is gone failed.
    owner: Mapped[str] = mapped_column(String(64), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    """A person who may log in; `role` is annotator, reviewer or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # argon2id PHC string; empty for users who only come through the trusted proxy.
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(16), default="annotator")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthSession(Base):
    """A viewer login: the cookie holds the secret, the row only its SHA-256."""

    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token for scripts; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Project(Base):
    """An annotation project: a fixed label set, readers per case, review and export rules."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # [{"label", "color", "category": {code, scheme, meaning}, "type": {...}}], numbered from 1
    labels: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    readers_per_case: Mapped[int] = mapped_column(Integer, default=1)
    review_required: Mapped[bool] = mapped_column(Boolean, default=True)
    export_on_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{"calling_ae"?, "modality"?, "study_description"?, "series_description"?}]
    rules: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Case(Base):
    """A series in a project; `readings` counts the reader slots taken (<= readers_per_case)."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("project_id", "series_uid", name="uq_cases_project_series"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    series_uid: Mapped[str] = mapped_column(UID)
    study_uid: Mapped[str] = mapped_column(UID)
    readings: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(16), default="api")  # api | rule
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Task(Base):
    """One reading of a case by one reader: its annotation and where it is in review."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("case_id", "slot", name="uq_tasks_case_slot"),
        UniqueConstraint("case_id", "reader", name="uq_tasks_case_reader"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    slot: Mapped[int] = mapped_column(Integer)  # 1..readers_per_case
    reader: Mapped[str] = mapped_column(String(64), index=True)
    annotation_id: Mapped[int | None] = mapped_column(
        ForeignKey("annotations.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(24), index=True)  # workflows TaskState
    lease_expires: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str] = mapped_column(String(64), default="")
    export_id: Mapped[int | None] = mapped_column(Integer)
    # Why the SEG of an approved reading could not be sent to the PACS ("": it was, or
    # the project does not send): the reviewer is told, and may send it again.
    export_error: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskReader(Base):
    """Who has held a reading: its reader now and everyone it was handed on from. Nobody
    gets a reading of a case they have held one of (workflows/tasks.py)."""

    __tablename__ = "task_readers"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    reader: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Comment(Base):
    """A remark on an annotation, optionally pinned to a slice and a point (row, column)."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    annotation_id: Mapped[int] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    slice: Mapped[int | None] = mapped_column(Integer)
    point_row: Mapped[float | None] = mapped_column(Float)
    point_column: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
