"""Annotations, segments and slice masks, with optimistic versioning.

Every write bumps `annotations.version` with a compare-and-swap UPDATE, so two
writers based on the same version cannot both win: the second gets Conflict.
"""

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from segdicom.db.models import Annotation, Segment, SliceMask
from segdicom.db.types import utcnow
from segdicom.errors import Conflict, NotFound


@dataclass(frozen=True)
class SegmentFields:
    label: str
    color: str
    category: tuple[str, str, str]  # code value, scheme, meaning
    type: tuple[str, str, str]


def create(
    session: Session, series_uid: str, study_uid: str, user: str, seg_series_uid: str
) -> Annotation:
    row = Annotation(
        series_uid=series_uid,
        study_uid=study_uid,
        created_by=user,
        seg_series_uid=seg_series_uid,
        version=1,
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, annotation_id: int) -> Annotation:
    row = session.get(Annotation, annotation_id)
    if row is None:
        raise NotFound(f"no annotation {annotation_id}")
    return row


def list_for_series(session: Session, series_uid: str | None) -> list[Annotation]:
    query = select(Annotation).order_by(Annotation.id)
    if series_uid:
        query = query.where(Annotation.series_uid == series_uid)
    return list(session.scalars(query))


def bump_version(session: Session, annotation_id: int, expected: int | None) -> int:
    """Advance the version; with `expected`, only if it is still current."""
    query = update(Annotation).where(Annotation.id == annotation_id)
    if expected is not None:
        query = query.where(Annotation.version == expected)
    query = query.values(version=Annotation.version + 1, updated_at=utcnow())
    if session.execute(query).rowcount == 0:  # type: ignore[attr-defined]
        current = get(session, annotation_id).version
        raise Conflict(
            f"annotation {annotation_id} is at version {current}; "
            f"this write was based on version {expected}: reload and retry"
        )
    new = session.scalar(select(Annotation.version).where(Annotation.id == annotation_id))
    return int(new or 0)


def put_segment(session: Session, annotation_id: int, number: int, fields: SegmentFields) -> bool:
    """Create or update segment `number`; True when it was created."""
    row = session.get(Segment, (annotation_id, number))
    created = row is None
    if row is None:
        row = Segment(annotation_id=annotation_id, number=number)
    row.label, row.color = fields.label, fields.color
    row.category_code, row.category_scheme, row.category_meaning = fields.category
    row.type_code, row.type_scheme, row.type_meaning = fields.type
    session.add(row)
    return created


def get_segment(session: Session, annotation_id: int, number: int) -> Segment:
    row = session.get(Segment, (annotation_id, number))
    if row is None:
        raise NotFound(f"annotation {annotation_id} has no segment {number}")
    return row


def delete_segment(session: Session, annotation_id: int, number: int) -> None:
    get_segment(session, annotation_id, number)
    session.execute(
        delete(SliceMask).where(
            SliceMask.annotation_id == annotation_id, SliceMask.segment_number == number
        )
    )
    session.execute(
        delete(Segment).where(Segment.annotation_id == annotation_id, Segment.number == number)
    )


def put_mask(
    session: Session, annotation_id: int, number: int, index: int, data: bytes | None
) -> None:
    """Store a slice mask in wire format; None (an empty mask) removes it."""
    key = (annotation_id, number, index)
    row = session.get(SliceMask, key)
    if data is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        row = SliceMask(annotation_id=annotation_id, segment_number=number, slice_index=index)
    row.data, row.updated_at = data, utcnow()
    session.add(row)


def get_mask(session: Session, annotation_id: int, number: int, index: int) -> bytes | None:
    row = session.get(SliceMask, (annotation_id, number, index))
    return None if row is None else row.data


def masks_of(session: Session, annotation_id: int) -> dict[int, dict[int, bytes]]:
    """segment number -> slice index -> wire-format mask, for every stored mask."""
    query = select(SliceMask.segment_number, SliceMask.slice_index, SliceMask.data).where(
        SliceMask.annotation_id == annotation_id
    )
    found: dict[int, dict[int, bytes]] = {}
    for number, index, data in session.execute(query):
        found.setdefault(number, {})[index] = data
    return found


def painted_slices(session: Session, annotation_id: int) -> dict[int, list[int]]:
    query = select(SliceMask.segment_number, SliceMask.slice_index).where(
        SliceMask.annotation_id == annotation_id
    )
    found: dict[int, list[int]] = {}
    for number, index in session.execute(query.order_by(SliceMask.slice_index)):
        found.setdefault(number, []).append(index)
    return found
