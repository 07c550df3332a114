"""Browser upload: many files (a whole folder too) in one multipart request."""

from collections import Counter
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from segdicom.api import answers as out
from segdicom.api.common import state
from segdicom.api.errors import render
from segdicom.api.operation import Answer, Body, documented
from segdicom.db import instances as index
from segdicom.errors import BadInput, SegDicomError, TooLarge, Unprocessable
from segdicom.state import AppState
from segdicom.store import Stored

MAX_NAME = 255


def multipart(field: str) -> Body:
    """The documented form: many files in one multipart field."""
    files = {"type": "array", "items": {"type": "string", "format": "binary"}}
    schema = {"type": "object", "required": [field], "properties": {field: files}}
    return Body("multipart/form-data", schema, f"DICOM files (a whole folder too) in `{field}`")


UPLOAD_ERRORS = {413: "over SEGDICOM_MAX_UPLOAD_BYTES or _MAX_UPLOAD_FILES"}


@documented(
    {
        200: Answer(
            "what was stored, by series, and each refused file with its reason", out.Upload
        ),
        422: Answer(
            "no file could be stored: the error, its detail, and the lists", out.UploadRefused
        ),
    },
    body=multipart("files"),
    errors=UPLOAD_ERRORS,
)
async def upload(request: Request) -> JSONResponse:
    """Store every valid DICOM image or SEG; list the series and each refused file."""
    result = await receive_files(request, "files")
    if result["series"]:
        return JSONResponse(result)
    first = result["rejected"][0]
    detail = f"no file could be stored; {first['name']}: {first['reason']}"
    return render(Unprocessable(detail), **result)


async def receive_files(request: Request, field: str) -> dict[str, Any]:
    st = state(request)
    _check_length(request, st.settings.max_upload_bytes)
    limit = st.settings.max_upload_files
    try:
        form = await request.form(max_files=limit, max_fields=100, max_part_size=1024 * 1024)
    except HTTPException as exc:
        if "Too many files" in str(exc.detail):  # starlette answers 400; a limit is 413
            detail = f"more than {limit} files in one upload (SEGDICOM_MAX_UPLOAD_FILES)"
            raise TooLarge(detail) from None
        raise
    try:
        files = [f for f in form.getlist(field) if isinstance(f, UploadFile)]
        if not files:
            raise BadInput(f"no files in multipart field {field!r}")
        return await run_in_threadpool(_store_all, st, files)
    finally:
        await form.close()


def _check_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if length and length.isascii() and length.isdigit() and int(length) > limit:
        raise TooLarge(f"upload of {int(length)} bytes exceeds the limit of {limit} bytes")


def _store_all(st: AppState, files: list[UploadFile]) -> dict[str, Any]:
    stored: list[Stored] = []
    rejected: list[dict[str, str]] = []
    for upload_file in files:
        name = _display_name(upload_file.filename)
        try:
            data = upload_file.file.read()
            stored.append(st.store.put_bytes(data, source="upload", images_only=True, wait=False))
        except SegDicomError as exc:
            rejected.append({"name": name, "reason": exc.detail})
    st.store.flush()
    return {"series": _series_summary(st, stored), "rejected": rejected}


def _series_summary(st: AppState, stored: list[Stored]) -> list[dict[str, Any]]:
    received = Counter(s.info.series_uid for s in stored)
    study_of = {s.info.series_uid: s.info.study_uid for s in stored}
    modality_of = {s.info.series_uid: s.info.modality for s in stored}
    summary = []
    with st.sessions() as session:
        for series_uid, count in received.items():
            total, _ = index.series_state(session, series_uid)
            summary.append(
                {
                    "series_uid": series_uid,
                    "study_uid": study_of[series_uid],
                    "modality": modality_of[series_uid],
                    "num_instances": total,
                    "received": count,
                }
            )
    return summary


def _display_name(name: str | None) -> str:
    """The client's file name for messages only: never used to build a path."""
    text = "".join(ch if ch.isprintable() else "?" for ch in (name or "(unnamed)"))
    return text[:MAX_NAME]
