"""Annotations: segments and per-slice masks, every write versioned."""

import re
from typing import Any

from pydicom.uid import generate_uid
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from segdicom.api.common import if_match, json_body, path_int, required_version, state, user
from segdicom.auth.identity import identity, may_delete
from segdicom.db import annotations as repo
from segdicom.db import events
from segdicom.db.models import Annotation, Segment
from segdicom.errors import BadInput, Forbidden, NotFound
from segdicom.masks import decode_mask, empty_mask, is_empty
from segdicom.seg.codes import codes_for_label, default_color
from segdicom.state import AppState
from segdicom.uids import validate_uid
from segdicom.workflows import volumes

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
MAX_SEGMENTS = 255


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
    }
    if slices is not None:
        body["slices"] = slices
    return body


def _code(value: str, scheme: str, meaning: str) -> dict[str, str]:
    return {"code": value, "scheme": scheme, "meaning": meaning}


async def create_annotation(request: Request) -> JSONResponse:
    """Start an annotation of a stored series."""
    st = state(request)
    body = await json_body(request)
    series_uid = validate_uid(body.get("series_uid"), "series_uid")
    payload = await run_in_threadpool(_create_annotation, st, series_uid, user(request))
    return JSONResponse(payload, status_code=201, headers={"ETag": f'"{payload["version"]}"'})


def _create_annotation(st: AppState, series_uid: str, who: str) -> dict[str, Any]:
    volume = volumes.load_volume(st, series_uid)
    with st.sessions.begin() as session:
        row = repo.create(session, series_uid, volume.study_uid, who, generate_uid())
        events.append(
            session,
            user=who,
            action="create_annotation",
            study_uid=volume.study_uid,
            series_uid=series_uid,
            annotation_id=row.id,
        )
        session.flush()
        session.refresh(row)
        return annotation_json(row)


def list_annotations(request: Request) -> JSONResponse:
    """Annotations, of one series with `series_uid`."""
    st = state(request)
    series_uid = request.query_params.get("series_uid") or None
    if series_uid:
        validate_uid(series_uid, "series_uid")
    with st.sessions() as session:
        rows = repo.list_for_series(session, series_uid)
        return JSONResponse([annotation_json(r) for r in rows])


def get_annotation(request: Request) -> JSONResponse:
    """One annotation with its segments and the slices each segment is painted on."""
    st = state(request)
    annotation_id = path_int(request, "id", 1)
    with st.sessions() as session:
        series_uid = repo.get(session, annotation_id).series_uid
    slices = _slices_of(st, series_uid)
    with st.sessions() as session:
        row = repo.get(session, annotation_id)
        payload = annotation_json(row, repo.painted_slices(session, annotation_id, slices))
    return JSONResponse(payload, headers={"ETag": f'"{payload["version"]}"'})


def _slices_of(st: AppState, series_uid: str) -> tuple[tuple[str, int], ...]:
    """The series' current slices; none when no image of it is left, so nothing shows."""
    try:
        return volumes.slice_keys(volumes.load_volume(st, series_uid))
    except NotFound:
        return ()


def delete_annotation(request: Request) -> Response:
    """Delete an annotation, its segments and masks (its exported SEGs stay)."""
    st = state(request)
    annotation_id = path_int(request, "id", 1)
    expected = if_match(request, required=False)
    who = identity(request)
    with st.sessions.begin() as session:
        row = repo.get(session, annotation_id)
        if not may_delete(who, row.created_by):
            raise Forbidden(f"only {row.created_by!r} or an admin may delete annotation {row.id}")
        repo.bump_version(session, annotation_id, expected)
        events.append(
            session,
            user=user(request),
            action="delete_annotation",
            study_uid=row.study_uid,
            series_uid=row.series_uid,
            annotation_id=annotation_id,
        )
        session.delete(row)
    return Response(status_code=204)


def segment_fields(body: dict[str, Any], number: int, old: Segment | None) -> repo.SegmentFields:
    """Validate a segment body; codes come from the label's preset unless given."""
    label = body.get("label", old.label if old else None)
    if not isinstance(label, str) or not 0 < len(label.strip()) <= 64:
        raise BadInput(f"label must be a string of 1-64 characters, got {label!r}")
    label = label.strip()
    color = body.get("color") or (old.color if old else default_color(number))
    if not isinstance(color, str) or not _COLOR.fullmatch(color):
        raise BadInput(f"color must be '#rrggbb', got {color!r}")
    relabelled = old is None or old.label != label
    category, kind = codes_for_label(label)
    if old is not None and not relabelled:
        category_t = (old.category_code, old.category_scheme, old.category_meaning)
        type_t = (old.type_code, old.type_scheme, old.type_meaning)
    else:
        category_t = (category.value, category.scheme, category.meaning)
        type_t = (kind.value, kind.scheme, kind.meaning)
    return repo.SegmentFields(
        label=label,
        color=color.lower(),
        category=_code_field(body.get("category"), "category", category_t),
        type=_code_field(body.get("type"), "type", type_t),
    )


def _code_field(raw: object, name: str, default: tuple[str, str, str]) -> tuple[str, str, str]:
    if raw is None:
        return default
    if not isinstance(raw, dict):
        raise BadInput(f"{name} must be an object {{code, scheme, meaning}}, got {raw!r}")
    parts = tuple(str(raw.get(k) or "").strip() for k in ("code", "scheme", "meaning"))
    limits = (16, 16, 64)
    if not all(0 < len(p) <= n for p, n in zip(parts, limits, strict=True)):
        raise BadInput(f"{name} needs code (<=16), scheme (<=16) and meaning (<=64), got {raw!r}")
    return parts  # type: ignore[return-value]


async def put_segment(request: Request) -> JSONResponse:
    """Create or update a segment (label, colour, codes)."""
    st = state(request)
    annotation_id = path_int(request, "id", 1)
    number = path_int(request, "number", 1)
    if number > MAX_SEGMENTS:
        raise BadInput(f"segment number must be 1-{MAX_SEGMENTS}, got {number}")
    expected = required_version(request)
    body = await json_body(request)
    return await run_in_threadpool(
        _put_segment, st, annotation_id, number, body, expected, user(request)
    )


def _put_segment(
    st: AppState,
    annotation_id: int,
    number: int,
    body: dict[str, Any],
    expected: int,
    who: str,
) -> JSONResponse:
    with st.sessions.begin() as session:
        row = repo.get(session, annotation_id)
        old = next((s for s in row.segments if s.number == number), None)
        fields = segment_fields(body, number, old)
        version = repo.bump_version(session, annotation_id, expected)
        created = repo.put_segment(session, annotation_id, number, fields)
        events.append(
            session,
            user=who,
            action="create_segment" if created else "update_segment",
            study_uid=row.study_uid,
            series_uid=row.series_uid,
            annotation_id=annotation_id,
            labels=fields.label,
        )
        session.flush()
        segment = repo.get_segment(session, annotation_id, number)
        payload = {"version": version, **segment_json(segment)}
    return JSONResponse(payload, status_code=201 if created else 200)


def delete_segment(request: Request) -> JSONResponse:
    """Delete a segment and all its masks."""
    st = state(request)
    annotation_id = path_int(request, "id", 1)
    number = path_int(request, "number", 1)
    expected = required_version(request)
    with st.sessions.begin() as session:
        row = repo.get(session, annotation_id)
        label = repo.get_segment(session, annotation_id, number).label
        version = repo.bump_version(session, annotation_id, expected)
        repo.delete_segment(session, annotation_id, number)
        events.append(
            session,
            user=user(request),
            action="delete_segment",
            study_uid=row.study_uid,
            series_uid=row.series_uid,
            annotation_id=annotation_id,
            labels=label,
        )
    return JSONResponse({"version": version})


async def put_mask(request: Request) -> JSONResponse:
    """Write one segment's mask on one slice; If-Match carries the version seen."""
    st = state(request)
    annotation_id = path_int(request, "id", 1)
    number = path_int(request, "number", 1)
    slice_index = path_int(request, "index")
    expected = required_version(request)
    body = await _bounded_body(request, st.settings.max_mask_bytes)
    version = await run_in_threadpool(
        _put_mask, st, annotation_id, number, slice_index, body, expected, user(request)
    )
    return JSONResponse({"version": version}, headers={"ETag": f'"{version}"'})


async def _bounded_body(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadInput(f"mask body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _put_mask(
    st: AppState,
    annotation_id: int,
    number: int,
    slice_index: int,
    body: bytes,
    expected: int,
    who: str,
) -> int:
    with st.sessions() as session:
        row = repo.get(session, annotation_id)
        repo.get_segment(session, annotation_id, number)
    volume = volumes.load_volume(st, row.series_uid)
    volumes.check_index(volume, slice_index)
    mask = decode_mask(body, volume.rows, volume.columns)
    with st.sessions.begin() as session:
        label = repo.get_segment(session, annotation_id, number).label
        version = repo.bump_version(session, annotation_id, expected)
        data = None if is_empty(mask) else body
        repo.put_mask(session, annotation_id, number, slice_index, data, volumes.slice_keys(volume))
        events.append(
            session,
            user=who,
            action="save_mask" if not is_empty(mask) else "clear_mask",
            study_uid=row.study_uid,
            series_uid=row.series_uid,
            annotation_id=annotation_id,
            slice=str(slice_index),
            labels=label,
        )
    return version


def get_mask(request: Request) -> Response:
    """One segment's mask on one slice (all zeros when nothing is painted)."""
    st = state(request)
    annotation_id = path_int(request, "id", 1)
    number = path_int(request, "number", 1)
    slice_index = path_int(request, "index")
    with st.sessions() as session:
        series_uid = repo.get(session, annotation_id).series_uid
    volume = volumes.load_volume(st, series_uid)
    volumes.check_index(volume, slice_index)
    slices = volumes.slice_keys(volume)
    with st.sessions() as session:
        version = repo.get(session, annotation_id).version
        repo.get_segment(session, annotation_id, number)
        data = repo.get_mask(session, annotation_id, number, slice_index, slices)
    payload = data if data is not None else empty_mask(volume.rows, volume.columns)
    headers = {"X-Version": str(version), "Cache-Control": "no-store"}
    return Response(payload, media_type="application/octet-stream", headers=headers)
