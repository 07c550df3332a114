"""Annotation projects and their cases; agreement CSV and consensus jobs."""

import csv
import io
from dataclasses import asdict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from segdicom.api import project_schemas as schemas
from segdicom.api.answers import Accepted
from segdicom.api.common import path_int, state, user
from segdicom.api.log import neutralise
from segdicom.api.operation import Answer, documented
from segdicom.api.schemas import CodeIn
from segdicom.api.validation import parse_body, parse_query
from segdicom.auth.identity import Identity, identity, require_admin
from segdicom.db import projects as repo
from segdicom.db import readings
from segdicom.db.models import Case, Project
from segdicom.enums import TaskState
from segdicom.errors import BadInput, Forbidden
from segdicom.state import AppState
from segdicom.workflows import agreement, consensus
from segdicom.workflows.annotations import CodeTuple, SegmentChange, segment_fields
from segdicom.workflows.projects import add_series, check_change

ADMINS = {403: "only admins may do this"}
NO_PROJECT = {404: "no such project"}
NAMED = {409: "a project of that name exists already"}
NOT_HELD = repo.CaseSeries(0, "", "", "", "", "", None)
REVIEWERS = {403: "reviewers and admins only (readers are blinded to each other)"}


def project_json(row: Project) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "labels": [{"number": n, **label} for n, label in enumerate(row.labels, 1)],
        "readers_per_case": row.readers_per_case,
        "blinded": row.readers_per_case > 1,
        "review_required": row.review_required,
        "export_on_approval": row.export_on_approval,
        "rules": row.rules,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
    }


# -- body validation -----------------------------------------------------------------


def project_fields(body: schemas.ProjectChange) -> dict[str, Any]:
    """The fields given, labels completed with their preset codes and colours."""
    fields = body.model_dump(exclude_unset=True, exclude={"labels", "rules"})
    if body.labels is not None:
        fields["labels"] = [_label(item, n) for n, item in enumerate(body.labels, 1)]
    if body.rules is not None:
        fields["rules"] = [rule.model_dump(exclude_none=True) for rule in body.rules]
    return fields


def _label(item: schemas.LabelIn, number: int) -> dict[str, Any]:
    change = SegmentChange(item.label, item.color, _code(item.category), _code(item.type))
    try:
        fields = segment_fields(change, number, None)
    except BadInput as exc:
        raise BadInput(f"`labels[{number - 1}]`: {exc.detail}") from None
    return {
        "label": fields.label,
        "color": fields.color,
        "category": dict(zip(("code", "scheme", "meaning"), fields.category, strict=True)),
        "type": dict(zip(("code", "scheme", "meaning"), fields.type, strict=True)),
    }


def _code(code: CodeIn | None) -> CodeTuple | None:
    return None if code is None else (code.code, code.scheme, code.meaning)


# -- projects ------------------------------------------------------------------------


@documented(
    {201: Answer("the project", schemas.Project)}, body=schemas.ProjectIn, errors=ADMINS | NAMED
)
async def create_project(request: Request) -> JSONResponse:
    """Create an annotation project (admins)."""
    who = require_admin(request)
    fields = project_fields(await parse_body(request, schemas.ProjectIn))
    defaults = {
        "description": "",
        "readers_per_case": 1,
        "review_required": True,
        "export_on_approval": False,
        "rules": [],
    }
    st = state(request)

    def add() -> dict[str, Any]:
        with st.sessions.begin() as session:
            row = repo.add_project(
                session, created_by=who.username or user(request), **(defaults | fields)
            )
            answer = project_json(row)
        _rules_changed(st, fields)
        return answer

    return JSONResponse(await run_in_threadpool(add), status_code=201)


@documented({200: Answer("every project", schemas.Project, many=True)})
def list_projects(request: Request) -> JSONResponse:
    """Every project."""
    with state(request).sessions() as session:
        return JSONResponse([project_json(p) for p in repo.list_projects(session)])


@documented({200: Answer("the project with its counts", schemas.ProjectDetail)}, errors=NO_PROJECT)
def get_project(request: Request) -> JSONResponse:
    """One project, with its reading counts by reader and state (`progress`)."""
    project_id = path_int(request, "id")
    with state(request).sessions() as session:
        payload = project_json(repo.get_project(session, project_id))
        cases = repo.cases_of(session, project_id)
        payload["num_cases"] = len(cases)
        payload["progress"] = repo.progress(session, project_id)
    if identity(request).role == "annotator":
        mine = identity(request).username
        payload["progress"] = {k: v for k, v in payload["progress"].items() if k == mine}
    return JSONResponse(payload)


@documented(
    {200: Answer("the project changed", schemas.Project)},
    body=schemas.ProjectChange,
    errors=ADMINS | NO_PROJECT | NAMED,
)
async def update_project(request: Request) -> JSONResponse:
    """Change a project's fields (admins)."""
    require_admin(request)
    project_id = path_int(request, "id")
    fields = project_fields(await parse_body(request, schemas.ProjectChange))
    st = state(request)

    def update() -> dict[str, Any]:
        with st.sessions.begin() as session:
            row = repo.get_project(session, project_id)
            check_change(session, row, fields)
            repo.update_project(session, row, **fields)
            answer = project_json(row)
        _rules_changed(st, fields)
        return answer

    return JSONResponse(await run_in_threadpool(update))


def _rules_changed(st: AppState, fields: dict[str, Any]) -> None:
    """Series seen before are matched again against new rules when they come again."""
    if fields.get("rules") and st.rules is not None:
        st.rules.forget()


# -- cases ---------------------------------------------------------------------------


def case_json(
    row: Case, tasks: list[dict[str, Any]] | None = None, series: repo.CaseSeries | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": row.id,
        "project_id": row.project_id,
        "series_uid": row.series_uid,
        "study_uid": row.study_uid,
        "readings": row.readings,
        "source": row.source,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
    }
    if tasks is not None:
        body["tasks"] = tasks
        body |= asdict(series or NOT_HELD)  # what tells the cases apart; empty before a pull
    return body


def _case_items(body: schemas.CasesIn) -> list[tuple[str, str | None]]:
    return [
        (item, None) if isinstance(item, str) else (item.series_uid, item.study_uid)
        for item in body.series_uids
    ]


@documented(
    {
        201: Answer("some cases were added", schemas.CasesAdded),
        200: Answer("no case was added (all existing or missing)", schemas.CasesAdded),
    },
    body=schemas.CasesIn,
    errors=ADMINS | NO_PROJECT,
)
async def add_cases(request: Request) -> JSONResponse:
    """Add series as cases (admins): local ones at once, others pulled from the PACS as jobs.

    A series not in the local store is pulled when given with its study UID and `via`,
    and listed in `missing` otherwise.
    """
    who = require_admin(request)
    project_id = path_int(request, "id")
    body = await parse_body(request, schemas.CasesIn)
    st = state(request)
    done = await run_in_threadpool(
        add_series, st, project_id, _case_items(body), who.username or user(request), body.via
    )
    payload = {
        "added": [case_json(c) for c in done.added],
        "existing": done.existing,
        "pulling": done.pulling,
        "missing": done.missing,
    }
    return JSONResponse(payload, status_code=201 if done.added else 200)


@documented(
    {200: Answer("the cases, oldest first, with their readings", schemas.Case, many=True)},
    errors=NO_PROJECT,
)
def list_cases(request: Request) -> JSONResponse:
    """The project's cases with their readings (annotators see only their own), the
    instances held locally (`num_instances`: 0 while a pull has brought none, or when it
    failed; `next` hands out only cases with images) and what tells them apart (patient,
    study date, modality, series description and number; empty while none is held)."""
    project_id = path_int(request, "id")
    who = identity(request)
    with state(request).sessions() as session:
        repo.get_project(session, project_id)
        rows = readings.list_tasks(session, project_id, None, None)
        by_case: dict[int, list[dict[str, Any]]] = {}
        for task, _ in rows:
            if who.role != "annotator" or task.reader == who.username:
                by_case.setdefault(task.case_id, []).append(
                    {"id": task.id, "reader": task.reader, "state": task.state}
                )
        held = repo.series_of_cases(session, project_id)
        cases = [
            case_json(c, by_case.get(c.id, []), held.get(c.series_uid))
            for c in repo.cases_of(session, project_id)
        ]
    return JSONResponse(cases)


# -- agreement and consensus ---------------------------------------------------------


@documented(
    {200: Answer("one row per case, segment and reader pair", media="text/csv")},
    query=schemas.AgreementQuery,
    errors=REVIEWERS | NO_PROJECT,
)
async def agreement_csv(request: Request) -> Response:
    """Per case, segment and reader pair: Dice, HD95 (mm), volumes and their difference (mL).

    Readings in `states` (comma-separated; default submitted,approved) are compared.
    """
    _require_reviewer(request)
    st = state(request)
    project_id = path_int(request, "id")
    states = _states(parse_query(request, schemas.AgreementQuery).states)
    text = await run_in_threadpool(_agreement_text, st, project_id, states)
    headers = {"Content-Disposition": f'attachment; filename="agreement-{project_id}.csv"'}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


def _agreement_text(st: AppState, project_id: int, states: tuple[str, ...]) -> str:
    with st.sessions() as session:
        repo.get_project(session, project_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(agreement.COLUMNS)
    for row in agreement.project_rows(st, project_id, states):
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue()


def _require_reviewer(request: Request) -> Identity:
    """Agreement and consensus compare readers: reviewers and admins only (blinding)."""
    who = identity(request)
    if who.role not in ("reviewer", "admin"):
        raise Forbidden(f"user {who.username!r} ({who.role}) is not a reviewer")
    return who


def _states(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return tuple(agreement.DEFAULT_STATES)
    states = tuple(s.strip() for s in raw.split(",") if s.strip())
    bad = [s for s in states if s not in set(TaskState)]
    if bad:
        raise BadInput(f"states must be among {', '.join(TaskState)}, got {', '.join(bad)}")
    return states


@documented(
    {202: Answer("the consensus job started", Accepted)},
    body=schemas.ConsensusIn,
    body_required=False,
    errors=REVIEWERS | {404: "no such case"},
)
async def start_consensus(request: Request) -> JSONResponse:
    """Build a consensus annotation of a case's readings (reviewers, admins): a job."""
    who = _require_reviewer(request)
    case_id = path_int(request, "id")
    method = consensus.Method((await parse_body(request, schemas.ConsensusIn)).method)
    st = state(request)
    job_id = await run_in_threadpool(_start, st, case_id, method, who.username or user(request))
    return JSONResponse({"job_id": job_id, "url": f"/api/jobs/{job_id}"}, status_code=202)


def _start(st: AppState, case_id: int, method: consensus.Method, who: str) -> str:
    return consensus.start_consensus(st, case_id, method, who)
