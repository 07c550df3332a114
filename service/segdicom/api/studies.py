"""Studies and their series, from the local store or the PACS."""

import re
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from segdicom.api.common import path_uid, query_int, state
from segdicom.db import instances as index
from segdicom.errors import BadInput
from segdicom.pacs.protocol import Pacs
from segdicom.state import AppState

_DATE = re.compile(r"\d{8}")
_FILTERS = ("patient_id", "patient_name", "modality", "date_from", "date_to", "accession")


def study_filter(request: Request) -> index.StudyFilter:
    """Search parameters, validated: dates are YYYYMMDD (or YYYY-MM-DD)."""
    values = {name: request.query_params.get(name, "").strip()[:64] for name in _FILTERS}
    for name in ("date_from", "date_to"):
        values[name] = values[name].replace("-", "")
        if values[name] and not _DATE.fullmatch(values[name]):
            raise BadInput(f"{name} must be a date YYYYMMDD, got {values[name]!r}")
    values["modality"] = values["modality"].upper()
    return index.StudyFilter(**values)


def source(request: Request) -> str:
    value = request.query_params.get("source", "local")
    if value not in ("local", "pacs"):
        raise BadInput(f"source must be 'local' or 'pacs', got {value!r}")
    return value


def list_studies(request: Request) -> JSONResponse:
    """Studies matching the filters; `limit`/`offset` page through them."""
    st = state(request)
    flt = study_filter(request)
    limit = query_int(request, "limit", 100, 1, 1000)
    offset = query_int(request, "offset", 0, 0, 10**9)
    if source(request) == "pacs":
        return JSONResponse([asdict(s) for s in pacs(st).search_studies(flt, limit, offset)])
    st.store.flush()  # read your writes: instances acknowledged a moment ago are listed
    with st.sessions() as session:
        rows = index.studies(session, flt, limit, offset)
    return JSONResponse([_study_json(asdict(r)) for r in rows])


def _study_json(row: dict[str, Any]) -> dict[str, Any]:
    row["accession"] = row.pop("accession_number")
    return row


def list_series(request: Request) -> JSONResponse:
    """The series of one study."""
    st = state(request)
    study_uid = path_uid(request, "study_uid")
    if source(request) == "pacs":
        return JSONResponse([asdict(s) for s in pacs(st).search_series(study_uid)])
    st.store.flush()
    with st.sessions() as session:
        rows = index.series_of_study(session, study_uid)
    return JSONResponse([asdict(r) for r in rows])


def pacs(st: AppState) -> Pacs:
    client = st.dicomweb or st.dimse
    if client is None:
        raise BadInput("no PACS configured: set SEGDICOM_DICOMWEB_URL or SEGDICOM_PACS_*")
    return client
