"""Annotations, segments and slice masks, with optimistic versioning.

Every write bumps `annotations.version` with a compare-and-swap UPDATE, so two
writers based on the same version cannot both win: the second gets Conflict.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, and_, bindparam, case, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from segdicom.db.models import Annotation, Segment, SliceMask
from segdicom.db.rows import found, inserted
from segdicom.db.types import utcnow
from segdicom.enums import SegmentStatus
from segdicom.errors import Conflict
from segdicom.imaging.placement import (
    SliceKey,
    StoredMask,
    key_of,
    parked_moves,
    place,
    renumbering,
)


@dataclass(frozen=True)
class SegmentFields:
    label: str
    color: str
    category: tuple[str, str, str]  # code value, scheme, meaning
    type: tuple[str, str, str]
    status: SegmentStatus = SegmentStatus.NOT_STARTED


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
    return inserted(session, row)


def create_id(
    session: Session, series_uid: str, study_uid: str, user: str, seg_series_uid: str
) -> int:
    """`create` for a caller that needs the id only (a project reading): one Core insert,
    no ORM unit of work."""
    values = {
        "series_uid": series_uid,
        "study_uid": study_uid,
        "created_by": user,
        "seg_series_uid": seg_series_uid,
    }
    return int(session.execute(_NEW_ANNOTATION, values).scalar_one())


_NEW_ANNOTATION = insert(cast(Table, Annotation.__table__)).returning(Annotation.id)


def get(session: Session, annotation_id: int) -> Annotation:
    return found(session.get(Annotation, annotation_id), f"no annotation {annotation_id}")


def locked_version(session: Session, annotation_id: int) -> int:
    """The annotation's version, its row locked to the end of the transaction (PostgreSQL;
    SQLite has one writer at a time): no write changes it before the transaction ends."""
    query = select(Annotation.version).where(Annotation.id == annotation_id).with_for_update()
    return int(found(session.execute(query).scalar(), f"no annotation {annotation_id}"))


def list_for_series(session: Session, series_uid: str | None) -> list[Annotation]:
    query = select(Annotation).order_by(Annotation.id)
    if series_uid:
        query = query.where(Annotation.series_uid == series_uid)
    return list(session.scalars(query))


def bump_version(session: Session, annotation_id: int, expected: int | None) -> int:
    """Advance the version; with `expected`, only if it is still current. One round
    trip (RETURNING): every write of an annotation takes this step."""
    values = {"a": annotation_id, "now": utcnow()}
    if expected is None:
        new = session.execute(_BUMP, values).scalar()
    else:
        new = session.execute(_BUMP_IF, {**values, "v": expected}).scalar()
    if new is None:
        current = get(session, annotation_id).version
        raise Conflict(
            f"annotation {annotation_id} is at version {current}; "
            f"this write was based on version {expected}: reload and retry"
        )
    return int(new)


# bump_version's statements, built once on the table (every write takes this step: the ORM's
# update path cost more than the update).
_ANNOTATIONS = cast(Table, Annotation.__table__)
_BUMP = (
    update(_ANNOTATIONS)
    .where(_ANNOTATIONS.c.id == bindparam("a"))
    .values(version=_ANNOTATIONS.c.version + 1, updated_at=bindparam("now"))
    .returning(_ANNOTATIONS.c.version)
)
_BUMP_IF = _BUMP.where(_ANNOTATIONS.c.version == bindparam("v"))


def put_segment(session: Session, annotation_id: int, number: int, fields: SegmentFields) -> bool:
    """Create or update segment `number`; True when it was created."""
    row = session.get(Segment, (annotation_id, number))
    created = row is None
    if row is None:
        row = Segment(annotation_id=annotation_id, number=number)
    row.label, row.color = fields.label, fields.color
    row.category_code, row.category_scheme, row.category_meaning = fields.category
    row.type_code, row.type_scheme, row.type_meaning = fields.type
    row.status = fields.status.value
    session.add(row)
    return created


def get_segment(session: Session, annotation_id: int, number: int) -> Segment:
    return found(
        session.get(Segment, (annotation_id, number)),
        f"annotation {annotation_id} has no segment {number}",
    )


def segment_label(session: Session, annotation_id: int, number: int) -> str:
    """`get_segment(...).label` in one plain query (at every stroke: no ORM entity)."""
    label = session.execute(_SEGMENT_LABEL, {"a": annotation_id, "n": number}).scalar()
    return str(found(label, f"annotation {annotation_id} has no segment {number}"))


_SEGMENT_LABEL = select(cast(Table, Segment.__table__).c.label).where(
    Segment.__table__.c.annotation_id == bindparam("a"),
    Segment.__table__.c.number == bindparam("n"),
)


def delete_annotation(session: Session, row: Annotation) -> None:
    """Delete an annotation with its segments and masks (the ORM cascade)."""
    session.delete(row)


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
    session: Session,
    annotation_id: int,
    number: int,
    index: int,
    data: bytes | None,
    slices: Sequence[SliceKey],
) -> None:
    """Store a slice mask in wire format; None (an empty mask) removes it."""
    put_masks(session, annotation_id, number, {index: data}, slices)


def put_masks(
    session: Session,
    annotation_id: int,
    number: int,
    masks: Mapping[int, bytes | None],
    slices: Sequence[SliceKey],
) -> None:
    """Store masks by slice index (None removes one), each pinned to the source slice
    `slices` puts at that index; the segment's other rows move to where theirs are now."""
    _renumber(session, annotation_id, number, slices)
    session.execute(_DROP_MASKS, {"a": annotation_id, "n": number, "i": list(masks)})
    now = utcnow()
    rows = [
        {
            "annotation_id": annotation_id,
            "segment_number": number,
            "slice_index": index,
            "sop_instance_uid": slices[index][0],
            "frame": slices[index][1],
            "data": data,
            "updated_at": now,
        }
        for index, data in masks.items()
        if data is not None
    ]
    if rows:
        session.execute(_NEW_MASKS, rows)


# Core, on the table: the ORM's bulk insert path cost more than the insert, at every stroke.
# RETURNING makes SQLAlchemy send any number of rows as multi-row VALUES ("insertmanyvalues");
# without it, a list of rows, even of one, went to psycopg's pipelined executemany.
_MASKS = cast(Table, SliceMask.__table__)
_NEW_MASKS = insert(_MASKS).returning(_MASKS.c.slice_index)
_OF_SEGMENT = (_MASKS.c.annotation_id == bindparam("a"), _MASKS.c.segment_number == bindparam("n"))
_DROP_MASKS = delete(_MASKS).where(
    *_OF_SEGMENT, _MASKS.c.slice_index.in_(bindparam("i", expanding=True))
)
_SEGMENT_PLACES = select(_MASKS.c.slice_index, _MASKS.c.sop_instance_uid, _MASKS.c.frame).where(
    *_OF_SEGMENT
)


def get_mask(
    session: Session, annotation_id: int, number: int, index: int, slices: Sequence[SliceKey]
) -> bytes | None:
    """The mask of the source slice now at `index` (which must be in range)."""
    sop, frame = slices[index]
    query = select(SliceMask.sop_instance_uid, SliceMask.data).where(
        SliceMask.annotation_id == annotation_id,
        SliceMask.segment_number == number,
        or_(
            and_(SliceMask.sop_instance_uid == sop, SliceMask.frame == frame),
            and_(SliceMask.sop_instance_uid.is_(None), SliceMask.slice_index == index),
        ),
    )
    found = {uid is not None: data for uid, data in session.execute(query)}
    return found.get(True, found.get(False))  # a pinned row shadows an unpinned one


def masks_of(
    session: Session,
    annotation_id: int,
    slices: Sequence[SliceKey],
    numbers: Iterable[int] | None = None,
) -> dict[int, dict[int, bytes]]:
    """segment number -> current slice index -> wire-format mask, for every placed mask
    (of the segments `numbers` only, when given)."""
    query = select(
        SliceMask.segment_number,
        SliceMask.slice_index,
        SliceMask.sop_instance_uid,
        SliceMask.frame,
        SliceMask.data,
    ).where(SliceMask.annotation_id == annotation_id)
    if numbers is not None:
        query = query.where(SliceMask.segment_number.in_(list(numbers)))
    rows = [
        StoredMask(n, i, key_of(uid, frame), data)
        for n, i, uid, frame, data in session.execute(query)
    ]
    found: dict[int, dict[int, bytes]] = {}
    for (number, index), row in sorted(place(rows, slices).items()):
        found.setdefault(number, {})[index] = row.data
    return found


def painted_slices(
    session: Session, annotation_id: int, slices: Sequence[SliceKey] | None = None
) -> dict[int, list[int]]:
    """segment number -> the current slice indexes it is painted on, ascending.

    Without `slices`, the indexes as last written: right only just after a write.
    """
    query = select(
        SliceMask.segment_number,
        SliceMask.slice_index,
        SliceMask.sop_instance_uid,
        SliceMask.frame,
    ).where(SliceMask.annotation_id == annotation_id)
    rows = [StoredMask(n, i, key_of(uid, frame)) for n, i, uid, frame in session.execute(query)]
    if slices is None:
        places = sorted((r.number, r.index) for r in rows if r.index >= 0)
    else:
        places = sorted(place(rows, slices))
    found: dict[int, list[int]] = {}
    for number, index in places:
        found.setdefault(number, []).append(index)
    return found


def _renumber(
    session: Session, annotation_id: int, number: int, slices: Sequence[SliceKey]
) -> None:
    """Bring one segment's stored rows in line with the current volume
    (imaging.placement.renumbering says how)."""
    where = (SliceMask.annotation_id == annotation_id, SliceMask.segment_number == number)
    places = session.execute(_SEGMENT_PLACES, {"a": annotation_id, "n": number})
    rows = [StoredMask(number, i, key_of(uid, f)) for i, uid, f in places]
    plan = renumbering(rows, slices)
    if plan.shadowed:
        session.execute(delete(SliceMask).where(*where, SliceMask.slice_index.in_(plan.shadowed)))
    if plan.unpinned:
        unpinned = plan.unpinned
        session.execute(
            update(SliceMask)
            .execution_options(synchronize_session=False)
            .where(*where, SliceMask.slice_index.in_(list(unpinned)))
            .values(
                sop_instance_uid=case(
                    {i: k[0] for i, k in unpinned.items()}, value=SliceMask.slice_index
                ),
                frame=case({i: k[1] for i, k in unpinned.items()}, value=SliceMask.slice_index),
            )
        )
    for mapping in parked_moves(plan.moves, plan.free) if plan.moves else ():
        session.execute(
            update(SliceMask)
            .execution_options(synchronize_session=False)
            .where(*where, SliceMask.slice_index.in_(list(mapping)))
            .values(slice_index=case(mapping, value=SliceMask.slice_index))
        )
