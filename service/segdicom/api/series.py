"""A series as a volume: its geometry, and its slices as compact binary."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from segdicom.api import answers as out
from segdicom.api.common import path_int, path_uid, state
from segdicom.api.operation import BINARY, Answer, documented
from segdicom.imaging import Volume
from segdicom.imaging.grid import AXES, PlaneGrid
from segdicom.workflows import volumes

VOLUME_ERRORS = {
    404: "no such series (or slice) in the local store",
    413: "more slices than SEGDICOM_MAX_SLICES_PER_SERIES",
    422: "the images cannot be made into a volume or decoded",
}
SLICE_HEADERS = ("ETag", "X-Rows", "X-Columns", "X-Dtype", "X-Sop-Instance-Uid")


@documented({200: Answer("the series as a volume", out.Series)}, errors=VOLUME_ERRORS)
def series_info(request: Request) -> JSONResponse:
    """Dimensions, spacing, orientation, per-slice position, window presets."""
    st = state(request)
    volume = volumes.load_volume(st, path_uid(request, "series_uid"))
    sample = volumes.middle_sample(st, volume)
    header = {(center, width) for center, width, _ in volume.header_windows}
    return JSONResponse(
        {
            "series_uid": volume.series_uid,
            "study_uid": volume.study_uid,
            "modality": volume.modality,
            "rows": volume.rows,
            "columns": volume.columns,
            "dtype": volume.dtype,
            "num_slices": volume.num_slices,
            "spacing": list(volume.spacing),
            "orientation": list(volume.orientation) if volume.orientation else None,
            "frame_of_reference_uid": volume.frame_of_reference_uid,
            "invert": volume.invert,
            "slices": [
                {
                    "sop_instance_uid": f.sop_instance_uid,
                    "frame": f.frame + 1,
                    "position": list(f.position) if f.position else None,
                    "slice_location": f.slice_location,
                }
                for f in volume.frames
            ],
            "windows": [
                {
                    "name": w.name,
                    "center": w.center,
                    "width": w.width,
                    "header": (w.center, w.width) in header,
                }
                for w in volume.windows(sample)
            ],
            "geometry": geometry_json(volume),
            "excluded": [
                {
                    "sop_instance_uid": e.sop_instance_uid,
                    "reason": e.reason.value,
                    "detail": e.detail,
                    "frames": list(e.frames),
                }
                for e in volume.excluded
            ],
            "reformat": {axis: planes_json(volume.grid.axis(axis)) for axis in AXES},
        }
    )


def geometry_json(volume: Volume) -> dict[str, object]:
    """Tilt, spacing range along the normal and gaps: what makes a series irregular; and
    whether the pixel spacing is the images' own or 1 mm assumed (none usable in them)."""
    geometry = volume.geometry
    return {
        "regular": geometry.regular,
        "tilt_degrees": round(geometry.tilt_degrees, 4),
        "spacing_min": round(geometry.spacing_min, 6),
        "spacing_max": round(geometry.spacing_max, 6),
        "missing_slices": geometry.missing_slices,
        "shared_positions": geometry.shared_positions,
        "pixel_spacing_known": volume.pixel_spacing_known,
    }


def planes_json(grid: PlaneGrid) -> dict[str, object]:
    """Pixel (r, c) of plane i is at origin + i * plane_spacing * plane_normal
    + r * pixel_spacing[0] * column_direction + c * pixel_spacing[1] * row_direction."""
    return {
        "planes": grid.planes,
        "rows": grid.rows,
        "columns": grid.columns,
        "pixel_spacing": list(grid.pixel_spacing),
        "plane_spacing": grid.plane_spacing,
        "origin": list(grid.origin),
        "row_direction": list(grid.row_direction),
        "column_direction": list(grid.column_direction),
        "plane_normal": list(grid.plane_normal),
    }


@documented(
    {
        200: Answer(
            "raw little-endian values, gzip when accepted", media=BINARY, headers=SLICE_HEADERS
        ),
        304: Answer("not modified (If-None-Match)"),
    },
    errors=VOLUME_ERRORS,
)
async def slice_data(request: Request) -> Response:
    """Slice values after the modality LUT: raw little-endian `dtype`, row-major."""
    st = state(request)
    series_uid = path_uid(request, "series_uid")
    slice_index = path_int(request, "index")
    volume = await run_in_threadpool(volumes.load_volume, st, series_uid)
    volumes.check_index(volume, slice_index)
    etag = f'"{volume.token}-{slice_index}"'
    headers = {
        "ETag": etag,
        # Revalidate (cheap 304) rather than trust: a series can still be arriving.
        "Cache-Control": "private, no-cache",
        "Vary": "Accept-Encoding",
        "X-Rows": str(volume.rows),
        "X-Columns": str(volume.columns),
        "X-Dtype": volume.dtype,
        "X-Sop-Instance-Uid": volume.frames[slice_index].sop_instance_uid,
        "Access-Control-Expose-Headers": "X-Rows, X-Columns, X-Dtype, X-Sop-Instance-Uid",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    gzip_ok = "gzip" in request.headers.get("accept-encoding", "")
    payload = await run_in_threadpool(volumes.slice_payload, st, volume, slice_index, gzip_ok)
    if gzip_ok:
        headers["Content-Encoding"] = "gzip"
    return Response(payload, media_type="application/octet-stream", headers=headers)
