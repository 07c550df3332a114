"""Annotation projects and their cases; agreement CSV and consensus jobs."""

import csv
import io
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from segdicom.api.annotations import segment_fields
from segdicom.api.common import json_body, path_int, state, user
from segdicom.api.log import neutralise
from segdicom.auth.identity import Identity, identity, require_admin
from segdicom.db import projects as repo
from segdicom.db.models import Case, Project
from segdicom.db.projects import TaskState
from segdicom.errors import BadInput, Forbidden
from segdicom.state import AppState
from segdicom.uids import validate_uid
from segdicom.workflows import agreement, consensus
from segdicom.workflows.projects import RULE_FIELDS, add_series
from segdicom.workflows.retrieve import VIAS

FIELDS = (
    "name",
    "description",
    "labels",
    "readers_per_case",
    "review_required",
    "export_on_approval",
    "rules",
)
MAX_LABELS = 255
MAX_CASES_PER_CALL = 1000


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


def project_fields(body: dict[str, Any], partial: bool) -> dict[str, Any]:
    """The project fields of a POST (all but name optional) or PATCH body, validated."""
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise BadInput(
            f"unknown project field(s): {', '.join(unknown)}; known: {', '.join(FIELDS)}"
        )
    if not partial and "name" not in body:
        raise BadInput("name is required")
    if not partial and "labels" not in body:
        raise BadInput("labels is required: a list of {label, color?, category?, type?}")
    checks = {
        "name": _name,
        "description": _description,
        "labels": _labels,
        "readers_per_case": _readers,
        "review_required": lambda v: _bool("review_required", v),
        "export_on_approval": lambda v: _bool("export_on_approval", v),
        "rules": _rules,
    }
    return {name: checks[name](value) for name, value in body.items()}


def _name(value: object) -> str:
    if not isinstance(value, str) or not 0 < len(value.strip()) <= 128:
        raise BadInput(f"name must be a string of 1-128 characters, got {value!r}")
    return value.strip()


def _description(value: object) -> str:
    if not isinstance(value, str) or len(value) > 10_000:
        raise BadInput("description must be a string of at most 10000 characters")
    return value


def _bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise BadInput(f"{name} must be true or false, got {value!r}")
    return value


def _readers(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3:
        raise BadInput(f"readers_per_case must be 1, 2 or 3, got {value!r}")
    return value


def _labels(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_LABELS:
        raise BadInput(f"labels must be a list of 1-{MAX_LABELS} objects, got {str(value)[:80]}")
    labels = []
    for number, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise BadInput(f"labels[{number - 1}] must be an object, got {item!r}")
        try:
            fields = segment_fields(item, number, None)
        except BadInput as exc:
            raise BadInput(f"labels[{number - 1}]: {exc.detail}") from None
        labels.append(
            {
                "label": fields.label,
                "color": fields.color,
                "category": dict(zip(("code", "scheme", "meaning"), fields.category, strict=True)),
                "type": dict(zip(("code", "scheme", "meaning"), fields.type, strict=True)),
            }
        )
    names = [str(label["label"]).casefold() for label in labels]
    if len(set(names)) != len(names):
        raise BadInput("labels must have distinct names")
    return labels


def _rules(value: object) -> list[dict[str, str]]:
    if not isinstance(value, list) or len(value) > 100:
        raise BadInput("rules must be a list of at most 100 objects")
    rules = []
    for n, rule in enumerate(value):
        if not isinstance(rule, dict) or not rule:
            raise BadInput(f"rules[{n}] must be a non-empty object of {', '.join(RULE_FIELDS)}")
        unknown = sorted(set(rule) - set(RULE_FIELDS))
        if unknown:
            raise BadInput(f"rules[{n}]: unknown field(s) {', '.join(unknown)}")
        for name, pattern in rule.items():
            if not isinstance(pattern, str) or not 0 < len(pattern.strip()) <= 64:
                raise BadInput(f"rules[{n}].{name} must be a string of 1-64 characters")
        rules.append({k: v.strip() for k, v in rule.items()})
    return rules


# -- projects ------------------------------------------------------------------------


async def create_project(request: Request) -> JSONResponse:
    """Create an annotation project (admins)."""
    who = require_admin(request)
    fields = project_fields(await json_body(request), partial=False)
    defaults = {
        "description": "",
        "readers_per_case": 1,
        "review_required": True,
        "export_on_approval": False,
        "rules": [],
    }
    st = state(request)
    with st.sessions.begin() as session:
        row = repo.add_project(
            session, created_by=who.username or user(request), **(defaults | fields)
        )
        payload = project_json(row)
    return JSONResponse(payload, status_code=201)


def list_projects(request: Request) -> JSONResponse:
    """Every project."""
    with state(request).sessions() as session:
        return JSONResponse([project_json(p) for p in repo.list_projects(session)])


def get_project(request: Request) -> JSONResponse:
    """One project, with its reading counts by reader and state (`progress`)."""
    project_id = path_int(request, "id", 1)
    with state(request).sessions() as session:
        payload = project_json(repo.get_project(session, project_id))
        cases = repo.cases_of(session, project_id)
        payload["num_cases"] = len(cases)
        payload["progress"] = repo.progress(session, project_id)
    if identity(request).role == "annotator":
        mine = identity(request).username
        payload["progress"] = {k: v for k, v in payload["progress"].items() if k == mine}
    return JSONResponse(payload)


async def update_project(request: Request) -> JSONResponse:
    """Change a project's fields (admins)."""
    require_admin(request)
    project_id = path_int(request, "id", 1)
    fields = project_fields(await json_body(request), partial=True)
    with state(request).sessions.begin() as session:
        row = repo.get_project(session, project_id)
        repo.update_project(session, row, **fields)
        payload = project_json(row)
    return JSONResponse(payload)


# -- cases ---------------------------------------------------------------------------


def case_json(row: Case, tasks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
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
    return body


def _case_items(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    raw = body.get("series_uids")
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_CASES_PER_CALL:
        raise BadInput(f"series_uids must be a list of 1-{MAX_CASES_PER_CALL} series UIDs")
    items: list[tuple[str, str | None]] = []
    for n, item in enumerate(raw):
        if isinstance(item, dict):
            series = validate_uid(item.get("series_uid"), f"series_uids[{n}].series_uid")
            items.append(
                (series, validate_uid(item.get("study_uid"), f"series_uids[{n}].study_uid"))
            )
        else:
            items.append((validate_uid(item, f"series_uids[{n}]"), None))
    return items


async def add_cases(request: Request) -> JSONResponse:
    """Add series as cases (admins): local ones at once, others pulled from the PACS as jobs.

    Body `{"series_uids": [uid | {"series_uid", "study_uid"}], "via"?: "dicomweb"|"dimse"}`.
    A series not in the local store is pulled when given with its study UID and `via`,
    and listed in `missing` otherwise.
    """
    who = require_admin(request)
    project_id = path_int(request, "id", 1)
    body = await json_body(request)
    items = _case_items(body)
    via = body.get("via")
    if via is not None and via not in VIAS:
        raise BadInput(f"via must be 'dicomweb' or 'dimse', got {via!r}")
    st = state(request)
    done = await run_in_threadpool(
        add_series, st, project_id, items, who.username or user(request), via
    )
    payload = {
        "added": [case_json(c) for c in done.added],
        "existing": done.existing,
        "pulling": done.pulling,
        "missing": done.missing,
    }
    return JSONResponse(payload, status_code=201 if done.added else 200)


def list_cases(request: Request) -> JSONResponse:
    """The project's cases with their readings (annotators see only their own)."""
    project_id = path_int(request, "id", 1)
    who = identity(request)
    with state(request).sessions() as session:
        repo.get_project(session, project_id)
        rows = repo.list_tasks(session, project_id, None, None)
        by_case: dict[int, list[dict[str, Any]]] = {}
        for task, _ in rows:
            if who.role != "annotator" or task.reader == who.username:
                by_case.setdefault(task.case_id, []).append(
                    {"id": task.id, "reader": task.reader, "state": task.state}
                )
        cases = [case_json(c, by_case.get(c.id, [])) for c in repo.cases_of(session, project_id)]
    return JSONResponse(cases)


# -- agreement and consensus ---------------------------------------------------------


async def agreement_csv(request: Request) -> Response:
    """Per case, segment and reader pair: Dice, HD95 (mm), volumes and their difference (mL).

    Readings in `states` (comma-separated; default submitted,approved) are compared.
    """
    _require_reviewer(request)
    st = state(request)
    project_id = path_int(request, "id", 1)
    states = _states(request.query_params.get("states"))
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


async def start_consensus(request: Request) -> JSONResponse:
    """Build a consensus annotation of a case's readings (reviewers, admins): a job."""
    who = _require_reviewer(request)
    case_id = path_int(request, "id", 1)
    body = await json_body(request)
    method = consensus.parse_method(body.get("method", "staple"))
    st = state(request)
    job_id = await run_in_threadpool(_start, st, case_id, method, who.username or user(request))
    return JSONResponse({"job_id": job_id, "url": f"/api/jobs/{job_id}"}, status_code=202)


def _start(st: AppState, case_id: int, method: consensus.Method, who: str) -> str:
    return consensus.start_consensus(st, case_id, method, who)
