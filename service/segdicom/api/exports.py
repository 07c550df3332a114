"""SEG exports: write one, follow its delivery, download the file."""

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse

from segdicom.api import answers as out
from segdicom.api.annotations import guard
from segdicom.api.common import path_int, state, user
from segdicom.api.operation import Answer, documented
from segdicom.api.schemas import ExportIn, ExportsQuery
from segdicom.api.validation import parse_body, parse_query
from segdicom.auth.identity import identity
from segdicom.db import exports as outbox
from segdicom.db.models import Export
from segdicom.enums import SegmentationType
from segdicom.errors import BadInput, NotFound
from segdicom.workflows.blinding import check_export_visible, visible_exports
from segdicom.workflows.exports import check_pacs_export, export_annotation


def export_json(row: Export) -> dict[str, Any]:
    return {
        "id": row.id,
        "annotation_id": row.annotation_id,
        "annotation_version": row.annotation_version,
        "sop_instance_uid": row.sop_instance_uid,
        "series_instance_uid": row.series_instance_uid,
        "study_uid": row.study_uid,
        "instance_number": row.instance_number,
        "destination": row.destination,
        "status": row.status,
        "attempts": row.attempts,
        "error": row.error or None,
        "path": row.path,
        "created_by": row.created_by,
        "content_creator": row.content_creator or None,
        "approved_by": row.approved_by,
        "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        "segmentation_type": row.segmentation_type,
        "file_url": f"/api/exports/{row.id}/file",
        "sr_sop_instance_uid": row.sr_sop_instance_uid,
        "sr_series_instance_uid": row.sr_series_uid,
        "sr_url": f"/api/exports/{row.id}/sr" if row.sr_path else None,
    }


NOT_FOUND = {404: "no such export"}
HIDDEN = {
    403: "a SEG of another reader's annotation, or of the consensus, of a blinded project case"
}


def _visible(request: Request, export_id: int) -> Export:
    """The export row; 403 when its annotation is hidden from the caller (blinding)."""
    st = state(request)
    with st.sessions() as session:
        row = outbox.get(session, export_id)
    check_export_visible(st, identity(request), row)
    return row


@documented(
    {201: Answer("the SEG is written (and queued for the PACS with destination pacs)", out.Export)},
    body=ExportIn,
    body_required=False,
    errors={
        403: "the annotation is hidden from the caller (blinding); a project reading goes to "
        "the PACS by approval, or later by a reviewer or admin; a consensus by them only",
        404: "no such annotation (or its series is gone)",
        409: "PACS export of a project reading that is not approved yet",
        422: "labelmap asked for, but two segments overlap (named, with a slice); or the "
        "images have no usable Pixel Spacing",
    },
)
async def create_export(request: Request) -> JSONResponse:
    """Write the annotation as a DICOM SEG; `destination` pacs also queues delivery.

    `segmentation_type` "labelmap" writes a Label Map SEG (Supplement 243); it is
    refused with 422 naming two overlapping segments and a slice when segments overlap.
    `measurements` true also writes a TID 1500 measurement report (Comprehensive 3D SR:
    volume, mean and SD per segment, as GET /api/annotations/{id}/statistics answers
    them), delivered with the SEG; the answer gains
    `sr_sop_instance_uid` and GET /api/exports/{id}/sr serves it.

    A project reading reaches the PACS through review: its PACS export is refused
    (409) until it is approved, and after that only reviewers and admins send it; a
    case's consensus goes to the PACS by reviewers and admins only (403).
    """
    st = state(request)
    annotation_id = path_int(request, "id")
    await run_in_threadpool(guard, request, annotation_id, False)
    body = await parse_body(request, ExportIn)
    if body.destination == "pacs":
        await run_in_threadpool(check_pacs_export, st, identity(request), annotation_id)
    kind = SegmentationType(body.segmentation_type)
    row = await run_in_threadpool(
        export_annotation,
        st,
        annotation_id,
        body.destination,
        user(request),
        kind,
        body.measurements,
    )
    if body.destination == "pacs":
        st.wake_outbox()
    return JSONResponse(export_json(row), status_code=201)


@documented({200: Answer("the export", out.Export)}, errors=NOT_FOUND | HIDDEN)
def get_export(request: Request) -> JSONResponse:
    """An export and its delivery state (local, pending, sent, failed)."""
    return JSONResponse(export_json(_visible(request, path_int(request, "id"))))


@documented({200: Answer("exports, newest first", out.Export, many=True)}, query=ExportsQuery)
def list_exports(request: Request) -> JSONResponse:
    """Exports, newest first; of one annotation with `annotation_id`. Annotators do not
    see exports of annotations hidden from them (blinded readings, consensus)."""
    st = state(request)
    annotation_id = parse_query(request, ExportsQuery).annotation_id
    with st.sessions() as session:
        rows = outbox.list_for(session, annotation_id)
    return JSONResponse([export_json(r) for r in visible_exports(st, identity(request), rows)])


@documented(
    {200: Answer("the SEG (DICOM Part 10)", media="application/dicom")},
    errors=NOT_FOUND | HIDDEN,
)
def export_file(request: Request) -> FileResponse:
    """The SEG file, application/dicom."""
    st = state(request)
    row = _visible(request, path_int(request, "id"))
    path = st.store.files.absolute(row.path)
    return FileResponse(
        path,
        media_type="application/dicom",
        filename=f"SEG_{row.sop_instance_uid}.dcm",
    )


@documented(
    {200: Answer("the SR (DICOM Part 10)", media="application/dicom")},
    errors={404: "no such export, or it was written without measurements", **HIDDEN},
)
def export_sr(request: Request) -> FileResponse:
    """The measurement report (TID 1500 Comprehensive 3D SR) written with the SEG."""
    st = state(request)
    row = _visible(request, path_int(request, "id"))
    if not row.sr_path:
        raise NotFound(f'export {row.id} has no SR: export with "measurements": true')
    return FileResponse(
        st.store.files.absolute(row.sr_path),
        media_type="application/dicom",
        filename=f"SR_{row.sr_sop_instance_uid}.dcm",
    )


@documented({200: Answer("the export, queued again", out.Export)}, errors=NOT_FOUND | HIDDEN)
def retry_export(request: Request) -> JSONResponse:
    """Send a pending or failed export again now (a sent one stays sent)."""
    st = state(request)
    export_id = path_int(request, "id")
    _visible(request, export_id)
    with st.sessions.begin() as session:
        if outbox.get(session, export_id).destination != "pacs":
            raise BadInput(f"export {export_id} has destination 'local': nothing to send")
        row = outbox.requeue(session, export_id)
        session.flush()
        payload = export_json(row)
    st.wake_outbox()
    return JSONResponse(payload)
