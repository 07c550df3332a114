"""Annotations, segments and slice masks, with optimistic versioning.

Every write bumps `annotations.version` with a compare-and-swap UPDATE, so two
writers based on the same version cannot both win: the second gets Conflict.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from segdicom.db.models import Annotation, Segment, SegmentStatus, SliceMask
from segdicom.db.types import utcnow
from segdicom.errors import Conflict, NotFound

SliceKey = tuple[str, int]  # a slice's source: SOP Instance UID, 1-based frame number


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
    row.status = fields.status.value
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
    session.execute(
        delete(SliceMask).where(
            SliceMask.annotation_id == annotation_id,
            SliceMask.segment_number == number,
            SliceMask.slice_index.in_(list(masks)),
        )
    )
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
        session.execute(insert(SliceMask), rows)


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
    rows = [_Row(n, i, _key(uid, frame), data) for n, i, uid, frame, data in session.execute(query)]
    found: dict[int, dict[int, bytes]] = {}
    for (number, index), row in sorted(_place(rows, slices).items()):
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
    rows = [_Row(n, i, _key(uid, frame)) for n, i, uid, frame in session.execute(query)]
    if slices is None:
        places = sorted((r.number, r.index) for r in rows if r.index >= 0)
    else:
        places = sorted(_place(rows, slices))
    found: dict[int, list[int]] = {}
    for number, index in places:
        found.setdefault(number, []).append(index)
    return found


# -- placing stored rows on the current volume -------------------------------------


@dataclass(frozen=True)
class _Row:
    number: int
    index: int  # slice_index as stored
    key: SliceKey | None  # None: written before masks were pinned to their source slice
    data: bytes = b""


def _key(uid: str | None, frame: int | None) -> SliceKey | None:
    return None if uid is None else (uid, frame or 1)


def _place(rows: Iterable[_Row], slices: Sequence[SliceKey]) -> dict[tuple[int, int], _Row]:
    """(segment, current slice index) -> the row shown there.

    A pinned row goes where its source slice is now, and nowhere when that instance
    is gone; an unpinned row keeps its stored index, unless a pinned row takes it.
    """
    where = {key: i for i, key in enumerate(slices)}
    placed: dict[tuple[int, int], _Row] = {}
    for row in sorted(rows, key=lambda r: r.key is not None):  # pinned rows last: they win
        if row.key is not None:
            index = where.get(row.key)
        else:
            index = row.index if 0 <= row.index < len(slices) else None
        if index is not None:
            placed[(row.number, index)] = row
    return placed


def _renumber(
    session: Session, annotation_id: int, number: int, slices: Sequence[SliceKey]
) -> None:
    """Bring one segment's stored rows in line with the current volume, so that the
    primary key (annotation, segment, slice_index) of a write is free or its own:
    pinned rows move to their slice's index (negative when its instance is gone),
    unpinned ones are pinned where they are shown, shadowed ones are dropped."""
    where = (SliceMask.annotation_id == annotation_id, SliceMask.segment_number == number)
    query = select(SliceMask.slice_index, SliceMask.sop_instance_uid, SliceMask.frame)
    rows = [_Row(number, i, _key(uid, f)) for i, uid, f in session.execute(query.where(*where))]
    placed = {row.index: index for (_, index), row in _place(rows, slices).items()}
    gone = [r.index for r in rows if r.key is not None and r.index >= 0 and r.index not in placed]
    lowest = min([0, *(r.index for r in rows)])
    moves = {old: new for old, new in placed.items() if old != new}
    moves |= {old: lowest - 1 - n for n, old in enumerate(gone)}
    unpinned = {r.index: slices[r.index] for r in rows if r.key is None and r.index in placed}
    shadowed = [
        r.index for r in rows if r.key is None and r.index not in placed and r.index < len(slices)
    ]
    if shadowed:
        session.execute(delete(SliceMask).where(*where, SliceMask.slice_index.in_(shadowed)))
    if unpinned:
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
    if moves:
        _move(session, where, moves, lowest - 1 - len(gone))


def _move(session: Session, where: tuple[Any, ...], moves: dict[int, int], free: int) -> None:
    """Renumber rows old -> new through indexes below `free`, which no row holds, since
    a primary key is checked row by row and a shift would meet its neighbour."""
    parked = {old: free - n for n, old in enumerate(moves)}
    for mapping in (parked, {parked[old]: new for old, new in moves.items()}):
        session.execute(
            update(SliceMask)
            .execution_options(synchronize_session=False)
            .where(*where, SliceMask.slice_index.in_(list(mapping)))
            .values(slice_index=case(mapping, value=SliceMask.slice_index))
        )
