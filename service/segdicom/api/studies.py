"""Studies and their series, from the local store or the PACS."""

from dataclasses import asdict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from segdicom.api import answers as out
from segdicom.api.common import on_pacs_thread, path_uid, state
from segdicom.api.operation import Answer, documented
from segdicom.api.schemas import SourceQuery, StudyQuery
from segdicom.api.validation import parse_query
from segdicom.auth.identity import Identity, identity
from segdicom.db import instances as index
from segdicom.errors import BadInput
from segdicom.pacs.protocol import Pacs
from segdicom.state import AppState
from segdicom.workflows.blinding import hidden_series

_FILTERS = ("patient_id", "patient_name", "modality", "date_from", "date_to", "accession")
PACS_DOWN = {502: "the PACS cannot be reached or refused"}


def study_filter(query: StudyQuery) -> index.StudyFilter:
    """Search parameters (StudyQuery checked the dates and gives them as YYYYMMDD)."""
    values = {name: str(getattr(query, name)).strip()[:64] for name in _FILTERS}
    values["modality"] = values["modality"].upper()
    return index.StudyFilter(**values)


@documented({200: Answer("studies", out.Study, many=True)}, query=StudyQuery, errors=PACS_DOWN)
async def list_studies(request: Request) -> JSONResponse:
    """Studies matching the filters; `limit`/`offset` page through them."""
    st = state(request)
    query = parse_query(request, StudyQuery)
    flt = study_filter(query)
    if query.source == "pacs":
        client = pacs(st)
        found = await on_pacs_thread(
            request, lambda: client.search_studies(flt, query.limit, query.offset)
        )
        return JSONResponse([asdict(s) for s in found])
    return JSONResponse(await run_in_threadpool(_local_studies, st, flt, query.limit, query.offset))


def _local_studies(
    st: AppState, flt: index.StudyFilter, limit: int, offset: int
) -> list[dict[str, Any]]:
    st.store.flush()  # read your writes: instances acknowledged a moment ago are listed
    with st.sessions() as session:
        rows = index.studies(session, flt, limit, offset)
    return [_study_json(asdict(r)) for r in rows]


def _study_json(row: dict[str, Any]) -> dict[str, Any]:
    row["accession"] = row.pop("accession_number")
    return row


@documented(
    {200: Answer("the series of the study", out.SeriesSummary, many=True)},
    query=SourceQuery,
    errors=PACS_DOWN,
)
async def list_series(request: Request) -> JSONResponse:
    """The series of one study; annotators do not see the SEG and SR series exported from
    annotations hidden from them (blinding)."""
    st = state(request)
    study_uid = path_uid(request, "study_uid")
    if parse_query(request, SourceQuery).source == "pacs":
        client = pacs(st)
        found = await on_pacs_thread(request, lambda: client.search_series(study_uid))
        listed = [asdict(s) for s in found]
    else:
        listed = await run_in_threadpool(_local_series, st, study_uid)
    return JSONResponse(await run_in_threadpool(_visible, st, identity(request), listed))


def _local_series(st: AppState, study_uid: str) -> list[dict[str, Any]]:
    st.store.flush()
    with st.sessions() as session:
        rows = index.series_of_study(session, study_uid)
    return [asdict(r) for r in rows]


def _visible(st: AppState, who: Identity, listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    hidden = hidden_series(st, who, [s["series_uid"] for s in listed])
    return [s for s in listed if s["series_uid"] not in hidden]


def pacs(st: AppState) -> Pacs:
    client = st.dicomweb or st.dimse
    if client is None:
        raise BadInput("no PACS configured: set SEGDICOM_DICOMWEB_URL or SEGDICOM_PACS_*")
    return client
