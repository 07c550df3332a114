"""PACS endpoints: pull a series (a job), follow a job, list and import SEGs, retry exports."""

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from segdicom.api.annotations import annotation_json
from segdicom.api.common import json_body, path_int, path_uid, state, user
from segdicom.api.exports import export_json
from segdicom.api.studies import pacs, source
from segdicom.db import annotations as repo
from segdicom.db import exports as outbox
from segdicom.db.models import Instance
from segdicom.errors import BadInput
from segdicom.state import AppState
from segdicom.uids import validate_uid
from segdicom.workflows import volumes
from segdicom.workflows.import_pacs import SegInPacs, start_pacs_import
from segdicom.workflows.import_seg import import_seg, local_segs
from segdicom.workflows.retrieve import job_json, start_retrieve

_JOB_ID = re.compile(r"[0-9a-f]{32}")


async def retrieve_series(request: Request) -> JSONResponse:
    """Pull a series from the PACS: 202 {"job_id"}; follow it at /api/jobs/{job_id}."""
    st = state(request)
    series_uid = path_uid(request, "series_uid")
    body = await json_body(request)
    study_uid = validate_uid(body.get("study_uid"), "study_uid")
    via = body.get("via", "dicomweb")
    job_id = await run_in_threadpool(start_retrieve, st, study_uid, series_uid, str(via))
    return _accepted(job_id)


def _accepted(job_id: str) -> JSONResponse:
    return JSONResponse(
        {"job_id": job_id, "url": f"/api/jobs/{job_id}"},
        status_code=202,
        headers={"Location": f"/api/jobs/{job_id}"},
    )


def get_job(request: Request) -> JSONResponse:
    """A job's progress: state queued|running|done|failed, done, total, error."""
    job_id = str(request.path_params["job_id"])
    if not _JOB_ID.fullmatch(job_id):
        raise BadInput(f"job_id must be 32 hex digits, got {job_id[:40]!r}")
    return JSONResponse(job_json(state(request), job_id))


def list_segs(request: Request) -> JSONResponse:
    """SEGs that reference a series, in the PACS (`source=pacs`) or the local store."""
    st = state(request)
    series_uid = path_uid(request, "series_uid")
    if source(request) == "local":
        return JSONResponse(local_segs(st, series_uid))
    study_uid = _study_of(st, request.query_params.get("study_uid"), series_uid)
    return JSONResponse(pacs(st).find_segs(study_uid, series_uid))


def _study_of(st: AppState, raw: object, series_uid: str) -> str:
    if raw:
        return validate_uid(raw, "study_uid")
    with st.sessions() as session:
        found = session.query(Instance.study_uid).filter_by(series_uid=series_uid).first()
    if found is None:
        raise BadInput(f"series {series_uid} is not held locally: give its study_uid")
    return str(found[0])


async def import_annotation(request: Request) -> JSONResponse:
    """Create an annotation from a SEG of the local store: body {"sop_instance_uid"}."""
    st = state(request)
    body = await json_body(request)
    sop_uid = validate_uid(body.get("sop_instance_uid"), "sop_instance_uid")
    payload = await run_in_threadpool(_import, st, sop_uid, user(request))
    return JSONResponse(payload, status_code=201, headers={"ETag": f'"{payload["version"]}"'})


async def import_from_pacs(request: Request) -> JSONResponse:
    """Import a SEG of the PACS in one step, as a job: body {"study_uid", "via"}; 202 {"job_id"}.

    `series_uid` is the series the SEG segments, as in GET /api/series/{series_uid}/segs
    (`study_uid` may be left out when that series is held locally; `via` is "dicomweb"
    (default) or "dimse"). The job pulls what the local store lacks (the SEG instance,
    then the instances of its source series), then imports the SEG; follow it at
    GET /api/jobs/{job_id}: `done`/`total` count instances, and once `state` is "done"
    its `result` holds `annotation_id`, `series_uid` (the source series), `unmatched_frames`
    and `fetched` {"seg", "source"}. 404 names the SEG or the source series the PACS lacks;
    502 names the PACS when it cannot be reached.
    """
    st = state(request)
    series_uid = path_uid(request, "series_uid")
    sop_uid = path_uid(request, "sop_instance_uid")
    body = await json_body(request)
    who = user(request)

    def start() -> str:
        study_uid = _study_of(st, body.get("study_uid"), series_uid)
        via = str(body.get("via", "dicomweb"))
        return start_pacs_import(st, SegInPacs(study_uid, series_uid, sop_uid, via, who))

    return _accepted(await run_in_threadpool(start))


def _import(st: AppState, sop_uid: str, who: str) -> dict[str, Any]:
    imported = import_seg(st, sop_uid, who)
    with st.sessions() as session:
        row = repo.get(session, imported.annotation_id)
        slices = volumes.slice_keys(volumes.load_volume(st, row.series_uid))
        payload = annotation_json(row, repo.painted_slices(session, row.id, slices))
    payload["imported_from"] = sop_uid
    payload["unmatched_frames"] = imported.unmatched_frames
    payload["notes"] = list(imported.notes)
    return payload


def retry_export(request: Request) -> JSONResponse:
    """Send a pending or failed export again now (a sent one stays sent)."""
    st = state(request)
    export_id = path_int(request, "id", 1)
    with st.sessions.begin() as session:
        if outbox.get(session, export_id).destination != "pacs":
            raise BadInput(f"export {export_id} has destination 'local': nothing to send")
        row = outbox.requeue(session, export_id)
        session.flush()
        payload = export_json(row)
    wake = st.services.get("outbox_wake")
    if callable(wake):
        wake()
    return JSONResponse(payload)
