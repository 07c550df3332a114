"""Annotation use cases: each write is one transaction that bumps the version and logs an event.

Handlers parse the request and call these in a worker thread; the answers are plain JSON-ready
dicts (their shapes are documented by the API's response models).
"""

import re
from dataclasses import dataclass
from typing import Any

from pydicom.uid import generate_uid

from segdicom.auth.identity import Identity, may_delete
from segdicom.db import annotations as repo
from segdicom.db import events
from segdicom.db.events import OfSeries
from segdicom.db.models import Annotation, Segment
from segdicom.enums import SegmentStatus
from segdicom.errors import BadInput, Forbidden, NotFound
from segdicom.masks import decode_mask, empty_mask, is_empty
from segdicom.seg.codes import codes_for_label, default_color
from segdicom.state import AppState
from segdicom.workflows import volumes
from segdicom.workflows.import_seg import import_seg

CodeTuple = tuple[str, str, str]
COLOR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class SegmentChange:
    """What a segment write asks for; a field left None keeps the segment's value (or default)."""

    label: str | None = None
    color: str | None = None
    category: CodeTuple | None = None
    type: CodeTuple | None = None
    status: SegmentStatus | None = None


@dataclass(frozen=True)
class MaskRead:
    data: bytes
    version: int


def annotation_json(row: Annotation, painted: dict[int, list[int]] | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "series_uid": row.series_uid,
        "study_uid": row.study_uid,
        "version": row.version,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "seg_series_uid": row.seg_series_uid,
        "segments": [
            segment_json(s, None if painted is None else painted.get(s.number, []))
            for s in row.segments
        ],
    }


def segment_json(row: Segment, slices: list[int] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": row.number,
        "label": row.label,
        "color": row.color,
        "category": _code(row.category_code, row.category_scheme, row.category_meaning),
        "type": _code(row.type_code, row.type_scheme, row.type_meaning),
        "status": row.status,
    }
    if slices is not None:
        body["slices"] = slices
    return body


def _code(value: str, scheme: str, meaning: str) -> dict[str, str]:
    return {"code": value, "scheme": scheme, "meaning": meaning}


def create(st: AppState, series_uid: str, who: str) -> dict[str, Any]:
    """Start an annotation of a stored series (404 when the series is not held)."""
    volume = volumes.load_volume(st, series_uid)
    with st.sessions.begin() as session:
        row = repo.create(session, series_uid, volume.study_uid, who, generate_uid())
        events.on_annotation(session, row, row.id, who, "create_annotation")
        session.flush()
        session.refresh(row)
        return annotation_json(row)


def list_for_series(st: AppState, series_uid: str | None) -> list[dict[str, Any]]:
    with st.sessions() as session:
        return [annotation_json(r) for r in repo.list_for_series(session, series_uid)]


def read(st: AppState, annotation_id: int, of: OfSeries | None = None) -> dict[str, Any]:
    """One annotation with its segments and the slices each is painted on; `of`: its
    series when the caller has read it already."""
    # Outside a session: on SQLite each holds the write lock, which a volume rebuild needs.
    slices = _slices_of(st, _series(st, annotation_id, of).series_uid)
    with st.sessions() as session:
        row = repo.get(session, annotation_id)
        return annotation_json(row, repo.painted_slices(session, annotation_id, slices))


def import_local_seg(st: AppState, sop_uid: str, who: str) -> dict[str, Any]:
    """A new annotation from a SEG of the local store, with what could not be placed."""
    imported = import_seg(st, sop_uid, who)
    payload = read(st, imported.annotation_id)
    payload["imported_from"] = sop_uid
    payload["unmatched_frames"] = imported.unmatched_frames
    payload["notes"] = list(imported.notes)
    return payload


def _series(st: AppState, annotation_id: int, of: OfSeries | None) -> OfSeries:
    """The annotation's study and series: `of`, else its row (404 when there is none)."""
    if of is not None:
        return of
    with st.sessions() as session:
        return repo.get(session, annotation_id)


def _slices_of(st: AppState, series_uid: str) -> tuple[tuple[str, int], ...]:
    """The series' current slices; none when no image of it is left, so nothing shows."""
    try:
        return volumes.slice_keys(volumes.load_volume(st, series_uid))
    except NotFound:
        return ()


def delete(
    st: AppState, annotation_id: int, expected: int | None, who: Identity, user: str
) -> None:
    """Delete an annotation, its segments and masks (its exported SEGs stay); `who` must be
    its creator or an admin, `user` is the name the event log records."""
    with st.sessions.begin() as session:
        row = repo.get(session, annotation_id)
        if not may_delete(who, row.created_by):
            raise Forbidden(f"only {row.created_by!r} or an admin may delete annotation {row.id}")
        repo.bump_version(session, annotation_id, expected)
        events.on_annotation(session, row, annotation_id, user, "delete_annotation")
        repo.delete_annotation(session, row)


def segment_fields(change: SegmentChange, number: int, old: Segment | None) -> repo.SegmentFields:
    """The segment after `change`; codes come from the label's preset unless given."""
    label = change.label if change.label is not None else (old.label if old else None)
    if label is None:
        raise BadInput("`label` is required for a new segment")
    color = change.color or (old.color if old else default_color(number))
    if not COLOR.fullmatch(color):
        raise BadInput(f"`color` must be '#rrggbb', got {color!r}")
    if old is not None and old.label == label:
        category = (old.category_code, old.category_scheme, old.category_meaning)
        kind = (old.type_code, old.type_scheme, old.type_meaning)
    else:
        preset_category, preset_type = codes_for_label(label)
        category = (preset_category.value, preset_category.scheme, preset_category.meaning)
        kind = (preset_type.value, preset_type.scheme, preset_type.meaning)
    return repo.SegmentFields(
        label=label,
        color=color.lower(),
        category=change.category or category,
        type=change.type or kind,
        status=change.status or (SegmentStatus(old.status) if old else SegmentStatus.NOT_STARTED),
    )


def put_segment(
    st: AppState, annotation_id: int, number: int, change: SegmentChange, expected: int, who: str
) -> tuple[dict[str, Any], bool]:
    """Create or update a segment: the answer (`version` and the segment) and whether it is new."""
    with st.sessions.begin() as session:
        row = repo.get(session, annotation_id)
        old = next((s for s in row.segments if s.number == number), None)
        fields = segment_fields(change, number, old)
        version = repo.bump_version(session, annotation_id, expected)
        created = repo.put_segment(session, annotation_id, number, fields)
        events.on_annotation(
            session,
            row,
            annotation_id,
            who,
            "create_segment" if created else "update_segment",
            labels=fields.label,
        )
        session.flush()
        segment = repo.get_segment(session, annotation_id, number)
        return {"version": version, **segment_json(segment)}, created


def delete_segment(
    st: AppState, annotation_id: int, number: int, expected: int, who: str
) -> dict[str, Any]:
    """Delete a segment and all its masks: the new `version`."""
    with st.sessions.begin() as session:
        row = repo.get(session, annotation_id)
        label = repo.get_segment(session, annotation_id, number).label
        version = repo.bump_version(session, annotation_id, expected)
        repo.delete_segment(session, annotation_id, number)
        events.on_annotation(session, row, annotation_id, who, "delete_segment", labels=label)
    return {"version": version}


@dataclass(frozen=True)
class MaskWrite:
    annotation_id: int
    number: int
    slice_index: int
    body: bytes
    expected: int


def put_mask(st: AppState, write: MaskWrite, who: str, of: OfSeries | None = None) -> int:
    """Write one segment's mask on one slice (an empty mask clears it): the new version.
    `of`: the annotation's series when the caller has read it already."""
    row = _series(st, write.annotation_id, of)
    volume = volumes.load_volume(st, row.series_uid)
    volumes.check_index(volume, write.slice_index)
    empty = is_empty(decode_mask(write.body, volume.rows, volume.columns))
    with st.sessions.begin() as session:  # 404 here for a segment the annotation lacks
        label = repo.segment_label(session, write.annotation_id, write.number)
        version = repo.bump_version(session, write.annotation_id, write.expected)
        data = None if empty else write.body
        slices = volumes.slice_keys(volume)
        repo.put_mask(session, write.annotation_id, write.number, write.slice_index, data, slices)
        events.on_annotation(
            session,
            row,
            write.annotation_id,
            who,
            "clear_mask" if empty else "save_mask",
            slice=str(write.slice_index),
            labels=label,
        )
    return version


def read_mask(
    st: AppState, annotation_id: int, number: int, slice_index: int, of: OfSeries | None = None
) -> MaskRead:
    """One segment's mask on one slice (all zeros when nothing is painted) and the version;
    `of`: the annotation's series when the caller has read it already."""
    volume = volumes.load_volume(st, _series(st, annotation_id, of).series_uid)
    volumes.check_index(volume, slice_index)
    slices = volumes.slice_keys(volume)
    with st.sessions() as session:
        version = repo.get(session, annotation_id).version
        repo.segment_label(session, annotation_id, number)  # 404 for a segment it lacks
        data = repo.get_mask(session, annotation_id, number, slice_index, slices)
    payload = data if data is not None else empty_mask(volume.rows, volume.columns)
    return MaskRead(payload, version)
