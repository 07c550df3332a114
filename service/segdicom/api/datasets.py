"""Dataset exports for model training: start one (a job), describe it, download its zip."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse

from segdicom.api import answers as out
from segdicom.api.common import path_int, state
from segdicom.api.jobs import ACCEPTED, accepted
from segdicom.api.operation import Answer, documented
from segdicom.api.schemas import DatasetIn
from segdicom.api.validation import parse_body
from segdicom.auth.identity import identity
from segdicom.db import datasets as rows
from segdicom.errors import NotFound
from segdicom.workflows.blinding import check_dataset_visible
from segdicom.workflows.dataset_request import DatasetRequest
from segdicom.workflows.datasets import dataset_json, start_dataset_export

NOT_FOUND = {404: "no such dataset"}
OTHERS = {403: "an annotator asking for another user's dataset (it may hold blinded readings)"}


@documented(
    {202: ACCEPTED},
    body=DatasetIn,
    errors={
        400: "bad format, no series, a series without annotation, unknown labels",
        403: "an annotator asking for masks they may not see (blinded readings, consensus)",
        404: "a series not in the local store, or no such project",
    },
)
async def create_dataset(request: Request) -> JSONResponse:
    """Export annotated series as a training dataset (NIfTI), as a job: 202 {"job_id"}.

    Body {"format": "nnunet"|"nifti", "series_uids": [...], "labels"?: [...]}: for each
    series its latest annotation; `labels` keeps only those labels, valued 1, 2, ... in the
    order given (default: every label, in order of first appearance). With `project_id`,
    each case of the project is taken once, with its latest reading in `states` (default
    approved; `series_uids` then narrows the cases). Follow the job at
    GET /api/jobs/{job_id}; once done its `result` is a DatasetResult (`dataset_id`,
    `file_url`, `notes` on irregular series).
    """
    st = state(request)
    body = await parse_body(request, DatasetIn)
    parsed = DatasetRequest.parse(body.model_dump(exclude_none=True))
    job_id = await run_in_threadpool(start_dataset_export, st, parsed, identity(request))
    return accepted(job_id)


@documented({200: Answer("the dataset", out.Dataset)}, errors=NOT_FOUND | OTHERS)
def get_dataset(request: Request) -> JSONResponse:
    """A dataset export: format, number of cases, labels, size, file_url (annotators:
    their own)."""
    st = state(request)
    with st.sessions() as session:
        row = rows.get(session, path_int(request, "id"))
        check_dataset_visible(identity(request), row)
        return JSONResponse(dataset_json(row))


@documented(
    {200: Answer("the dataset zip", media="application/zip")},
    errors={404: "no such dataset, or its zip is gone from the data folder", **OTHERS},
)
def dataset_file(request: Request) -> FileResponse:
    """The dataset as a zip (nnU-Net v2 layout, or MONAI-style NIfTI pairs and datalist.json);
    annotators download their own."""
    st = state(request)
    with st.sessions() as session:
        row = rows.get(session, path_int(request, "id"))
        check_dataset_visible(identity(request), row)
        path, fmt, number = st.settings.data_dir / row.path, row.format, row.id
    if not path.is_file():
        raise NotFound(f"the zip of dataset {number} is gone from the data folder ({row.path})")
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"segdicom_dataset_{number}_{fmt}.zip",
    )
