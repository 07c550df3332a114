"""The segment editor's server side: statistics and volume operations of an annotation."""

import base64
from dataclasses import asdict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from segdicom.api import answers as out
from segdicom.api.annotations import guard
from segdicom.api.common import path_int, required_version, state, user
from segdicom.api.editor_schemas import MODELS, OperationHead, OperationIn, to_operation
from segdicom.api.operation import Answer, documented
from segdicom.api.validation import parse_body, validate
from segdicom.imaging.statistics import SegmentStatistics
from segdicom.workflows import operations
from segdicom.workflows.operation_types import OperationResult
from segdicom.workflows.statistics import annotation_figures

NOT_FOUND = {404: "no such annotation or segment, or its series is not held"}


def statistics_json(found: SegmentStatistics) -> dict[str, Any]:
    body = asdict(found)
    body["slices"] = list(found.slices)
    if found.bbox is not None:
        body["bbox"] = {k: list(v) for k, v in asdict(found.bbox).items()}
    return body


@documented(
    {200: Answer("every segment's figures, by segment number", out.Statistics)},
    errors=NOT_FOUND,
)
async def statistics(request: Request) -> JSONResponse:
    """Per segment: voxels, volume (mm³, mL; true per-slice spacing), image values, extent.

    Values are in modality units (HU for CT). `bbox` holds inclusive index ranges
    `{"slices": [first, last], "rows": [..], "columns": [..]}` (null when empty); `slices`
    lists the painted slice indexes; `max_diameter_mm` is the largest distance between two
    voxel centres of the segment in patient coordinates.
    """
    st = state(request)
    annotation_id = path_int(request, "id")
    await run_in_threadpool(guard, request, annotation_id, False)
    found = await run_in_threadpool(annotation_figures, st, annotation_id)
    return JSONResponse(
        {
            "annotation_id": annotation_id,
            "segments": [statistics_json(s) for s in found.segments],
            "pixel_spacing_known": found.pixel_spacing_known,
        },
        headers={"Cache-Control": "no-store"},
    )


@documented(
    {200: Answer("what changed; with preview, the new masks and no version", out.OperationDone)},
    body=OperationIn,
    if_match="required",
    errors={
        400: "bad input (the detail names the field), or If-Match missing",
        **NOT_FOUND,
        409: "If-Match is not the current version (the detail names it)",
    },
)
async def run_operation(request: Request) -> JSONResponse:
    """Run a volume operation on the stored masks (If-Match: the version seen).

    One version bump and one audit event for every slice it changes; with
    `"preview": true` nothing is written and the answer carries the new masks.
    """
    st = state(request)
    annotation_id = path_int(request, "id")
    expected = required_version(request)
    head = await parse_body(request, OperationHead)
    await run_in_threadpool(guard, request, annotation_id, not head.model_dump().get("preview"))
    body = validate(MODELS[head.operation], head.model_dump())
    op, preview = to_operation(body), body.preview
    result = await run_in_threadpool(
        operations.run, st, annotation_id, op, expected, user(request), preview, body.area()
    )
    return JSONResponse(_result_json(result, operations.name_of(op), preview))


def _result_json(result: OperationResult, name: str, preview: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "operation": name,
        "preview": preview,
        "version": result.version,
        "changed": [{"segment": c.segment, "slices": list(c.slices)} for c in result.changed],
        "created": list(result.created),
    }
    if preview:
        body["masks"] = [
            {"segment": n, "slice": k, "mask": base64.b64encode(data).decode("ascii")}
            for n, by_slice in sorted(result.masks.items())
            for k, data in sorted(by_slice.items())
        ]
    return body
