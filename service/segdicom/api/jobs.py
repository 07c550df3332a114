"""Jobs: long work (pulls, SEG imports) answered 202 and followed at /api/jobs/{job_id}."""

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from segdicom.api import answers as out
from segdicom.api.common import PATH_PARAMS, path_uid, state
from segdicom.api.operation import Answer, documented
from segdicom.api.schemas import RetrieveIn
from segdicom.api.validation import parse_body
from segdicom.errors import BadInput
from segdicom.workflows.retrieve import job_json, start_retrieve

JOB_ID = re.compile(PATH_PARAMS["job_id"]["pattern"])
ACCEPTED = Answer(
    "the job started (or the one already running)", out.Accepted, headers=("Location",)
)
PACS_ERRORS = {404: "the PACS does not have it", 502: "the PACS cannot be reached or refused"}


def accepted(job_id: str) -> JSONResponse:
    return JSONResponse(
        {"job_id": job_id, "url": f"/api/jobs/{job_id}"},
        status_code=202,
        headers={"Location": f"/api/jobs/{job_id}"},
    )


@documented({202: ACCEPTED}, body=RetrieveIn, errors=PACS_ERRORS)
async def retrieve_series(request: Request) -> JSONResponse:
    """Pull a series from the PACS: 202 {"job_id"}; follow it at /api/jobs/{job_id}."""
    series_uid = path_uid(request, "series_uid")
    body = await parse_body(request, RetrieveIn)
    job_id = await run_in_threadpool(
        start_retrieve, state(request), body.study_uid, series_uid, body.via
    )
    return accepted(job_id)


@documented({200: Answer("the job's progress", out.Job)}, errors={404: "no such job"})
def get_job(request: Request) -> JSONResponse:
    """A job's progress: state queued|running|done|failed, done, total, error."""
    job_id = str(request.path_params["job_id"])
    if not JOB_ID.fullmatch(job_id):
        raise BadInput(f"job_id must be 32 hex digits, got {job_id[:40]!r}")
    return JSONResponse(job_json(state(request), job_id))
