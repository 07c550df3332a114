"""Annotations: segments and per-slice masks, every write versioned (If-Match).

Thin handlers: parse, call workflows/annotations.py in a worker thread, answer.
"""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from segdicom.api import answers as out
from segdicom.api.common import if_match, path_int, required_version, state, user
from segdicom.api.operation import BINARY, Answer, Body, documented
from segdicom.api.schemas import CodeIn, CreateAnnotation, SegmentIn, SeriesQuery
from segdicom.api.validation import parse_body, parse_query
from segdicom.auth.identity import identity
from segdicom.db.annotation_places import Whereabouts
from segdicom.errors import BadInput
from segdicom.workflows import annotations as flow
from segdicom.workflows.reading_access import (
    check_annotation_access,
    reading_json,
    visible_annotations,
    with_readings,
)

NOT_FOUND = {404: "no such annotation, segment or slice"}
HIDDEN = "another reader's annotation, or the consensus, of a blinded project case"
HIDDEN_WRITE = f"{HIDDEN}; a consensus is changed by reviewers and admins only"
CLOSED = {
    409: "If-Match is stale (error `conflict`), or the project reading is submitted, approved "
    "or released (error `closed`)"
}
MASK_BODY = Body(
    BINARY,
    {"type": "string", "format": "binary"},
    "the zlib stream of the slice's rows x columns booleans, row-major, packed 8 to a byte, "
    "first pixel in the highest bit (numpy.packbits); an empty mask clears the slice",
)


def guard(request: Request, annotation_id: int, write: bool) -> Whereabouts | None:
    """403 on another reader's annotation, or the consensus, of a blinded project case, and on
    writes to a consensus by annotators (workflows.reading_access); where the annotation is, None
    when there is no such annotation (the workflow then says 404)."""
    return check_annotation_access(state(request), identity(request), annotation_id, write)


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


@documented(
    {201: Answer("the new annotation (version 1)", out.Annotation, headers=("ETag",))},
    body=CreateAnnotation,
    errors={404: "the series is not held locally"},
)
async def create_annotation(request: Request) -> JSONResponse:
    """Start an annotation of a stored series."""
    body = await parse_body(request, CreateAnnotation)
    payload = await run_in_threadpool(flow.create, state(request), body.series_uid, user(request))
    return JSONResponse(payload, status_code=201, headers=_etag(payload["version"]))


@documented(
    {200: Answer("annotations, oldest first", out.Annotation, many=True)}, query=SeriesQuery
)
def list_annotations(request: Request) -> JSONResponse:
    """Annotations, of one series with `series_uid`."""
    query = parse_query(request, SeriesQuery)
    st = state(request)
    found = flow.list_for_series(st, query.series_uid)
    return JSONResponse(with_readings(st, visible_annotations(st, identity(request), found)))


@documented(
    {200: Answer("the annotation; each segment lists its painted slices", out.Annotation)},
    errors={403: HIDDEN, **NOT_FOUND},
)
def get_annotation(request: Request) -> JSONResponse:
    """One annotation with its segments and the slices each segment is painted on."""
    annotation_id = path_int(request, "id")
    where = guard(request, annotation_id, write=False)
    payload = {**flow.read(state(request), annotation_id, where), "reading": reading_json(where)}
    return JSONResponse(payload, headers=_etag(payload["version"]))


@documented(
    {204: Answer("deleted")},
    if_match="optional",
    errors={
        403: f"only its creator or an admin may delete it; {HIDDEN_WRITE}",
        **NOT_FOUND,
        **CLOSED,
    },
)
def delete_annotation(request: Request) -> Response:
    """Delete an annotation, its segments and masks (its exported SEGs stay)."""
    annotation_id = path_int(request, "id")
    expected = if_match(request, required=False)
    guard(request, annotation_id, write=True)
    flow.delete(state(request), annotation_id, expected, identity(request), user(request))
    return Response(status_code=204)


def _code(code: CodeIn | None) -> flow.CodeTuple | None:
    return None if code is None else (code.code, code.scheme, code.meaning)


@documented(
    {
        200: Answer("the segment changed; `version` is the new one", out.SegmentAnswer),
        201: Answer("the segment created; `version` is the new one", out.SegmentAnswer),
    },
    body=SegmentIn,
    if_match="required",
    errors={400: "bad input, or If-Match missing", 403: HIDDEN_WRITE, **NOT_FOUND, **CLOSED},
)
async def put_segment(request: Request) -> JSONResponse:
    """Create or update a segment (label, colour, codes, status); If-Match: the version seen."""
    annotation_id, number = path_int(request, "id"), path_int(request, "number")
    expected = required_version(request)
    body = await parse_body(request, SegmentIn)
    await run_in_threadpool(guard, request, annotation_id, True)
    change = flow.SegmentChange(
        body.label, body.color, _code(body.category), _code(body.type), body.status
    )
    payload, created = await run_in_threadpool(
        flow.put_segment, state(request), annotation_id, number, change, expected, user(request)
    )
    return JSONResponse(payload, status_code=201 if created else 200)


@documented(
    {200: Answer("the segment and its masks are gone; the new `version`", out.Version)},
    if_match="required",
    errors={400: "If-Match missing", 403: HIDDEN_WRITE, **NOT_FOUND, **CLOSED},
)
def delete_segment(request: Request) -> JSONResponse:
    """Delete a segment and all its masks; If-Match carries the version seen."""
    annotation_id, number = path_int(request, "id"), path_int(request, "number")
    expected = required_version(request)
    guard(request, annotation_id, write=True)
    payload = flow.delete_segment(state(request), annotation_id, number, expected, user(request))
    return JSONResponse(payload)


@documented(
    {200: Answer("written; the new `version` (also the ETag)", out.Version, headers=("ETag",))},
    body=MASK_BODY,
    if_match="required",
    errors={
        400: "not a mask of the slice's size, or If-Match missing",
        403: HIDDEN_WRITE,
        **NOT_FOUND,
        **CLOSED,
    },
)
async def put_mask(request: Request) -> JSONResponse:
    """Write one segment's mask on one slice; If-Match carries the version seen."""
    st = state(request)
    expected = required_version(request)
    write = flow.MaskWrite(
        path_int(request, "id"),
        path_int(request, "number"),
        path_int(request, "index"),
        await _bounded_body(request, st.settings.max_mask_bytes),
        expected,
    )

    def guarded() -> int:  # one trip to a request thread: the check, then the write
        where = guard(request, write.annotation_id, True)
        return flow.put_mask(st, write, user(request), where)

    version = await run_in_threadpool(guarded)
    return JSONResponse({"version": version}, headers=_etag(version))


async def _bounded_body(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadInput(f"mask body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@documented(
    {200: Answer("the mask (format of PUT); `X-Version` the annotation's", media=BINARY)},
    errors={403: HIDDEN, **NOT_FOUND},
)
def get_mask(request: Request) -> Response:
    """One segment's mask on one slice (all zeros when nothing is painted)."""
    ids = (path_int(request, "id"), path_int(request, "number"), path_int(request, "index"))
    where = guard(request, ids[0], write=False)
    found = flow.read_mask(state(request), *ids, where)
    headers = {"X-Version": str(found.version), "Cache-Control": "no-store"}
    return Response(found.data, media_type=BINARY, headers=headers)
