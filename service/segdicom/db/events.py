"""The event log: appended on every save and export, read back as CSV rows."""

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from segdicom.db.models import Event

EVENTS = insert(cast(Table, Event.__table__))  # a Core insert: no ORM bulk path either

COLUMNS = (
    "timestamp",
    "user",
    "action",
    "study_uid",
    "series_uid",
    "annotation_id",
    "slice",
    "labels",
    "seg_sop_instance_uid",
    "seg_path",
    "detail",
)


def append(session: Session, **fields: object) -> None:
    """Insert an event in the session's transaction, at once and without the ORM's unit of
    work (whose flush of one Event cost more than the insert, at every mask write)."""
    session.execute(EVENTS, fields)


class OfSeries(Protocol):
    """What an annotation event names its series by: the annotation row or the volume."""

    @property
    def study_uid(self) -> str: ...

    @property
    def series_uid(self) -> str: ...


def on_annotation(
    session: Session, of: OfSeries, annotation_id: int, user: str, action: str, **fields: object
) -> None:
    """An event about one annotation: its study, series and id filled in."""
    append(
        session,
        user=user,
        action=action,
        study_uid=of.study_uid,
        series_uid=of.series_uid,
        annotation_id=annotation_id,
        **fields,
    )


def rows(
    session: Session,
    series_uid: str | None,
    since: datetime | None,
    batch: int = 1000,
    user: str | None = None,
) -> Iterator[tuple[object, ...]]:
    """Events in time order as tuples matching COLUMNS, fetched in batches; with `user`,
    only that user's."""
    query = select(Event).order_by(Event.id)
    if user is not None:
        query = query.where(Event.user == user)
    if series_uid:
        query = query.where(Event.series_uid == series_uid)
    if since:
        query = query.where(Event.at >= since)
    for event in session.scalars(query.execution_options(yield_per=batch)):
        yield (
            event.at.isoformat(timespec="milliseconds"),
            event.user,
            event.action,
            event.study_uid,
            event.series_uid,
            "" if event.annotation_id is None else event.annotation_id,
            event.slice,
            event.labels,
            event.seg_sop_instance_uid,
            event.seg_path,
            event.detail,
        )
