"""Export rows: the SEGs written and their delivery state (the outbox)."""

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from segdicom.db.models import Annotation, Export
from segdicom.db.rows import found
from segdicom.db.types import utcnow
from segdicom.enums import Destination, ExportStatus, SegmentationType


def get(session: Session, export_id: int) -> Export:
    return found(session.get(Export, export_id), f"no export {export_id}")


def count_for(session: Session, annotation_id: int) -> int:
    query = select(func.count()).where(Export.annotation_id == annotation_id)
    return int(session.scalar(query) or 0)


def next_instance_number(session: Session, annotation_id: int) -> int:
    query = select(func.max(Export.instance_number)).where(Export.annotation_id == annotation_id)
    return int(session.scalar(query) or 0) + 1


def list_for(session: Session, annotation_id: int | None) -> list[Export]:
    query = select(Export).order_by(Export.id.desc())
    if annotation_id is not None:
        query = query.where(Export.annotation_id == annotation_id)
    return list(session.scalars(query.limit(500)))


def claim_due(
    session: Session, now: datetime, lease: timedelta, claimer: str = ""
) -> Export | None:
    """Claim one pending export that is due, for `lease`; None when nothing is due.

    The claim is a compare-and-swap on `claimed_until`, so with several service
    processes on one database each export is attempted by one process at a time.
    """
    candidate = session.scalar(
        select(Export.id)
        .where(Export.status == ExportStatus.PENDING)
        .where(or_(Export.next_attempt_at.is_(None), Export.next_attempt_at <= now))
        .where(or_(Export.claimed_until.is_(None), Export.claimed_until < now))
        .order_by(Export.next_attempt_at, Export.id)
        .limit(1)
    )
    if candidate is None:
        return None
    claimed = session.execute(
        update(Export)
        .where(Export.id == candidate)
        .where(or_(Export.claimed_until.is_(None), Export.claimed_until < now))
        .values(claimed_until=now + lease, claimed_by=claimer)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(Export, candidate)


def record_attempt(
    session: Session, export_id: int, error: str | None, retry_in: float | None
) -> None:
    """After a delivery attempt: sent, or the error and when to retry (None: give up)."""
    row = get(session, export_id)
    row.attempts += 1
    row.claimed_until, row.claimed_by = None, ""
    if error is None:
        row.status, row.error, row.sent_at = ExportStatus.SENT, "", utcnow()
        row.next_attempt_at = None
    elif retry_in is None:
        row.status, row.error, row.next_attempt_at = ExportStatus.FAILED, error, None
    else:
        row.error, row.next_attempt_at = error, utcnow() + timedelta(seconds=retry_in)


def release_abandoned(session: Session, is_gone: Callable[[str], bool | None]) -> int:
    """Release claims whose claimer is known to be gone (killed mid-delivery);
    claims of running processes, or of other hosts, stay until their lease ends."""
    claimed = session.execute(
        select(Export.id, Export.claimed_by).where(
            Export.status == ExportStatus.PENDING, Export.claimed_until.is_not(None)
        )
    ).all()
    gone = [export_id for export_id, owner in claimed if owner and is_gone(owner)]
    if gone:
        session.execute(
            update(Export).where(Export.id.in_(gone)).values(claimed_until=None, claimed_by="")
        )
    return len(gone)


def pending_count(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).where(Export.status == ExportStatus.PENDING)) or 0
    )


def requeue(session: Session, export_id: int) -> Export:
    row = get(session, export_id)
    if row.status != ExportStatus.SENT:
        row.status, row.next_attempt_at = ExportStatus.PENDING, utcnow()
        row.claimed_until = None
    return row


def pending_depth(session: Session) -> tuple[int, datetime | None]:
    """How many exports wait for delivery, and when the oldest was made."""
    query = select(func.count(), func.min(Export.created_at)).where(
        Export.status == ExportStatus.PENDING
    )
    depth, oldest = session.execute(query).one()
    return int(depth), oldest


def count_by_status(session: Session) -> list[tuple[str, int]]:
    query = select(Export.status, func.count()).group_by(Export.status)
    return [(status, count) for status, count in session.execute(query)]


def create(
    session: Session,
    annotation: Annotation,
    *,
    sop_instance_uid: str,
    series_instance_uid: str,
    study_uid: str,
    instance_number: int,
    path: str,
    destination: Destination,
    created_by: str,
    content_creator: str = "",
    approved_by: str | None = None,
    segmentation_type: SegmentationType = SegmentationType.BINARY,
    sr_sop_instance_uid: str | None = None,
    sr_series_uid: str | None = None,
    sr_path: str = "",
) -> Export:
    """A new export of `annotation` at its current version; one for the PACS is due now.

    `sr_*` name the measurement report (TID 1500 SR) written beside the SEG, if any;
    `content_creator` is who the SEG names as its author (default `created_by`), and
    `approved_by` the reviewer who approved the project reading it was written from.
    """
    to_pacs = destination == Destination.PACS
    row = Export(
        annotation_id=annotation.id,
        annotation_version=annotation.version,
        sop_instance_uid=sop_instance_uid,
        series_instance_uid=series_instance_uid,
        study_uid=study_uid,
        instance_number=instance_number,
        path=path,
        destination=destination,
        status=ExportStatus.PENDING if to_pacs else ExportStatus.LOCAL,
        next_attempt_at=utcnow() if to_pacs else None,
        created_by=created_by,
        content_creator=content_creator or created_by,
        approved_by=approved_by,
        segmentation_type=segmentation_type,
        sr_sop_instance_uid=sr_sop_instance_uid,
        sr_series_uid=sr_series_uid,
        sr_path=sr_path,
    )
    session.add(row)
    return row


def latest_sr_series(session: Session, annotation_id: int) -> str | None:
    """The SR series of the annotation's latest export with measurements, if any."""
    previous = session.scalar(
        select(Export.sr_series_uid)
        .where(Export.annotation_id == annotation_id, Export.sr_series_uid.is_not(None))
        .order_by(Export.id.desc())
        .limit(1)
    )
    return str(previous) if previous else None
