"""SEGs of a series (local store or PACS) and their import as annotations."""

from dataclasses import asdict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from segdicom.api import answers as out
from segdicom.api.common import on_pacs_thread, path_uid, state, user
from segdicom.api.jobs import ACCEPTED, PACS_ERRORS, accepted
from segdicom.api.operation import Answer, documented
from segdicom.api.schemas import ImportSegIn, PacsImportIn, SegsQuery
from segdicom.api.studies import pacs
from segdicom.api.validation import parse_body, parse_query
from segdicom.auth.identity import identity
from segdicom.db import instances as index
from segdicom.errors import BadInput
from segdicom.state import AppState
from segdicom.workflows import annotations
from segdicom.workflows.blinding import check_seg_visible, visible_segs
from segdicom.workflows.import_pacs import SegInPacs, start_pacs_import
from segdicom.workflows.import_seg import local_segs

HIDDEN = "a SEG exported from another reader's annotation, or the consensus, of a blinded case"


@documented(
    {200: Answer("SEGs whose referenced series is this one", out.SegSummary, many=True)},
    query=SegsQuery,
    errors={502: "the PACS cannot be reached or refused"},
)
async def list_segs(request: Request) -> JSONResponse:
    """SEGs that reference a series, in the PACS (`source=pacs`) or the local store.
    Annotators do not see SEGs exported from annotations hidden from them (blinding)."""
    st = state(request)
    series_uid = path_uid(request, "series_uid")
    query = parse_query(request, SegsQuery)
    if query.source == "local":
        found = await run_in_threadpool(local_segs, st, series_uid)
    else:
        client = pacs(st)
        study_uid = await run_in_threadpool(_study_of, st, query.study_uid, series_uid)
        found = await on_pacs_thread(request, lambda: client.find_segs(study_uid, series_uid))
    shown = await run_in_threadpool(visible_segs, st, identity(request), found)
    return JSONResponse([asdict(s) for s in shown])


def _study_of(st: AppState, given: str | None, series_uid: str) -> str:
    if given:
        return given
    with st.sessions() as session:
        found = index.study_of_series(session, series_uid)
    if found is None:
        raise BadInput(f"series {series_uid} is not held locally: give its study_uid")
    return found


@documented(
    {201: Answer("the new annotation, with what could not be placed", out.ImportedAnnotation)},
    body=ImportSegIn,
    errors={
        403: HIDDEN,
        404: "no such SEG in the local store, or its source series is not held",
        422: "not a SEG",
    },
)
async def import_annotation(request: Request) -> JSONResponse:
    """Create an annotation from a SEG of the local store: body {"sop_instance_uid"}."""
    body = await parse_body(request, ImportSegIn)
    await run_in_threadpool(
        check_seg_visible, state(request), identity(request), body.sop_instance_uid
    )
    payload = await run_in_threadpool(
        annotations.import_local_seg, state(request), body.sop_instance_uid, user(request)
    )
    return JSONResponse(payload, status_code=201, headers={"ETag": f'"{payload["version"]}"'})


@documented(
    {202: ACCEPTED},
    body=PacsImportIn,
    body_required=False,
    errors={
        **PACS_ERRORS,
        403: HIDDEN,
        404: "the SEG, or the series it segments, is not in the PACS",
    },
)
async def import_from_pacs(request: Request) -> JSONResponse:
    """Import a SEG of the PACS in one step, as a job: body {"study_uid", "via"}; 202 {"job_id"}.

    `series_uid` is the series the SEG segments, as in GET /api/series/{series_uid}/segs
    (`study_uid` may be left out when that series is held locally; `via` is "dicomweb"
    (default) or "dimse"). The job pulls what the local store lacks (the SEG instance,
    then the instances of its source series), then imports the SEG; follow it at
    GET /api/jobs/{job_id}: `done`/`total` count instances, and once `state` is "done"
    its `result` holds `annotation_id`, `series_uid` (the source series), `unmatched_frames`,
    `notes` (how the SEG was read) and `fetched` {"seg", "source"}. 404 names the SEG or
    the source series the PACS lacks; 502 names the PACS when it cannot be reached.
    """
    st = state(request)
    series_uid = path_uid(request, "series_uid")
    sop_uid = path_uid(request, "sop_instance_uid")
    body = await parse_body(request, PacsImportIn)
    who = user(request)

    def start() -> str:
        check_seg_visible(st, identity(request), sop_uid)
        study_uid = _study_of(st, body.study_uid, series_uid)
        return start_pacs_import(st, SegInPacs(study_uid, series_uid, sop_uid, body.via, who))

    return accepted(await run_in_threadpool(start))
