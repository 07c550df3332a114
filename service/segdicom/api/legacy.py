"""The original SegDICOM endpoints, kept working for existing scripts."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from segdicom.api import legacy_answers as out
from segdicom.api.common import path_int, path_uid, state
from segdicom.api.operation import Answer, documented
from segdicom.api.schemas import LegacySaveIn
from segdicom.api.series import VOLUME_ERRORS
from segdicom.api.uploads import UPLOAD_ERRORS, multipart, receive_files
from segdicom.api.validation import parse_body
from segdicom.auth.identity import identity
from segdicom.errors import BadInput
from segdicom.workflows import legacy
from segdicom.workflows.volumes import load_volume


@documented(
    {200: Answer("the stored series, the largest as the volume", out.LegacyUpload)},
    body=multipart("files[]"),
    errors=UPLOAD_ERRORS,
)
async def upload(request: Request) -> JSONResponse:
    """Seed upload (field `files[]`): `volume_id` (the series UID) and `num_slices`."""
    st = state(request)
    result = await receive_files(request, "files[]")
    if not result["series"]:
        reasons = "; ".join(f"{r['name']}: {r['reason']}" for r in result["rejected"][:5])
        raise BadInput(f"no DICOM image could be stored: {reasons}")
    largest = max(result["series"], key=lambda s: s["received"])
    volume = await run_in_threadpool(load_volume, st, largest["series_uid"])
    return JSONResponse({"volume_id": volume.series_uid, "num_slices": volume.num_slices, **result})


@documented({200: Answer("the slice and its mask as JSON", out.LegacySlice)}, errors=VOLUME_ERRORS)
def get_slice(request: Request) -> JSONResponse:
    """Seed slice: 8-bit windowed `pixel_data` and the `mask` as JSON lists."""
    st = state(request)
    volume_id, index = path_uid(request, "volume_id"), path_int(request, "index")
    body = legacy.legacy_slice(st, volume_id, index, identity(request))
    return JSONResponse(body)


@documented(
    {200: Answer("saved; the SEG written when something is painted", out.LegacySaved)},
    body=LegacySaveIn,
    errors=VOLUME_ERRORS,
)
async def save_mask(request: Request) -> JSONResponse:
    """Seed save: JSON `mask` (rows x columns, 0 or segment number) and `labels`."""
    st = state(request)
    volume_id = path_uid(request, "volume_id")
    index = path_int(request, "index")
    parsed = await parse_body(request, LegacySaveIn, limit=64 * 1024 * 1024)
    body = {"mask": parsed.mask, "labels": parsed.labels}
    who = identity(request)
    result = await run_in_threadpool(legacy.legacy_save, st, volume_id, index, body, who)
    return JSONResponse(result)
