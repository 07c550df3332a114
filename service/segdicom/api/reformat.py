"""Sagittal and coronal reformats of a series, in the slice endpoint's binary form."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from segdicom.api.common import path_int, path_uid, state
from segdicom.api.operation import BINARY, Answer, documented
from segdicom.api.series import VOLUME_ERRORS
from segdicom.workflows import reformat as workflow
from segdicom.workflows import volumes


@documented(
    {
        200: Answer(
            "raw little-endian values, gzip when accepted",
            media=BINARY,
            headers=("ETag", "X-Dtype", "X-Height", "X-Width"),
        ),
        304: Answer("not modified (If-None-Match)"),
    },
    errors=VOLUME_ERRORS,
)
async def reformat_data(request: Request) -> Response:
    """Values of one reformatted plane: raw little-endian `dtype`, `X-Height` rows (one a slice,
    slice 0 first) of `X-Width` values (image rows for sagittal, columns for coronal)."""
    st = state(request)
    series_uid = path_uid(request, "series_uid")
    axis = workflow.parse_axis(str(request.path_params["axis"]))
    index = path_int(request, "index")
    volume = await run_in_threadpool(volumes.load_volume, st, series_uid)
    etag = f'"{volume.token}-{axis}-{index}"'
    headers = {
        "ETag": etag,
        "Cache-Control": "private, no-cache",
        "Vary": "Accept-Encoding",
        "X-Dtype": volume.dtype,
        "X-Height": str(volume.num_slices),
        "Access-Control-Expose-Headers": "X-Dtype, X-Height, X-Width",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    gzip_ok = "gzip" in request.headers.get("accept-encoding", "")
    payload, width = await run_in_threadpool(
        workflow.reformat_payload, st, volume, axis, index, gzip_ok
    )
    headers["X-Width"] = str(width)
    if gzip_ok:
        headers["Content-Encoding"] = "gzip"
    return Response(payload, media_type="application/octet-stream", headers=headers)
