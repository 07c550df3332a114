"""Sagittal and coronal reformats of a series, in the slice endpoint's binary form."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from segdicom.api.common import path_int, path_uid, state
from segdicom.api.operation import BINARY, Answer, documented
from segdicom.api.series import VOLUME_ERRORS
from segdicom.imaging.grid import PlaneGrid
from segdicom.workflows import reformat as workflow
from segdicom.workflows import volumes

EXPOSED = "X-Dtype, X-Height, X-Width, X-Pixel-Spacing, X-Image-Position, X-Image-Orientation"


@documented(
    {
        200: Answer(
            "raw little-endian values, gzip when accepted",
            media=BINARY,
            headers=(
                "ETag",
                "X-Dtype",
                "X-Height",
                "X-Width",
                "X-Pixel-Spacing",
                "X-Image-Position",
                "X-Image-Orientation",
            ),
        ),
        304: Answer("not modified (If-None-Match)"),
    },
    errors=VOLUME_ERRORS,
)
async def reformat_data(request: Request) -> Response:
    """Values of one reformatted plane: raw little-endian `dtype`, `X-Height` rows (along the
    slice normal, first slice first) of `X-Width` values, resampled in patient space; where it
    lies in the `X-Pixel-Spacing`, `X-Image-Position` and `X-Image-Orientation` headers."""
    st = state(request)
    series_uid = path_uid(request, "series_uid")
    axis = workflow.parse_axis(str(request.path_params["axis"]))
    index = path_int(request, "index")
    volume = await run_in_threadpool(volumes.load_volume, st, series_uid)
    grid = workflow.plane_grid(volume, axis, index)
    etag = f'"{volume.token}-{axis}-{index}"'
    headers = {
        "ETag": etag,
        "Cache-Control": "private, no-cache",
        "Vary": "Accept-Encoding",
        "X-Dtype": volume.dtype,
        **plane_headers(grid, index),
        "Access-Control-Expose-Headers": EXPOSED,
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    gzip_ok = "gzip" in request.headers.get("accept-encoding", "")
    payload, _ = await run_in_threadpool(
        workflow.reformat_payload, st, volume, axis, index, gzip_ok
    )
    if gzip_ok:
        headers["Content-Encoding"] = "gzip"
    return Response(payload, media_type="application/octet-stream", headers=headers)


def plane_headers(grid: PlaneGrid, index: int) -> dict[str, str]:
    """Size and place of plane `index`, DICOM DS style (backslash-separated)."""
    orientation = (*grid.row_direction, *grid.column_direction)
    return {
        "X-Height": str(grid.rows),
        "X-Width": str(grid.columns),
        "X-Pixel-Spacing": _ds(grid.pixel_spacing),
        "X-Image-Position": _ds(grid.plane_origin(index)),
        "X-Image-Orientation": _ds(orientation),
    }


def _ds(values: tuple[float, ...]) -> str:
    return "\\".join(f"{v:.10g}" if abs(v) >= 1e-9 else "0" for v in values)
