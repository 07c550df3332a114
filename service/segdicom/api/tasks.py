"""Tasks (readings of project cases): next, worklists, submit, review, assignment; comments."""

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from segdicom.api.common import json_body, path_int, state
from segdicom.auth.identity import check_username, identity, require_admin
from segdicom.db import annotations as annotation_rows
from segdicom.db import projects as repo
from segdicom.db.models import Comment
from segdicom.db.projects import TaskState
from segdicom.errors import BadInput
from segdicom.workflows import tasks as flow

MAX_COMMENT = 10_000


def task_json(reading: flow.Reading) -> dict[str, Any]:
    task, case = reading.task, reading.case
    return {
        "id": task.id,
        "project_id": reading.project_id,
        "case_id": case.id,
        "series_uid": case.series_uid,
        "study_uid": case.study_uid,
        "annotation_id": task.annotation_id,
        "assignee": task.reader,
        "slot": task.slot,
        "state": task.state,
        "lease_expires": task.lease_expires.isoformat() if task.lease_expires else None,
        "reviewed_by": task.reviewed_by or None,
        "export_id": task.export_id,
        "created_at": task.created_at.isoformat(),
        "updated_at": task.updated_at.isoformat(),
    }


def _caller(request: Request) -> str:
    who = identity(request)
    return who.username or state(request).settings.default_user


async def next_task(request: Request) -> JSONResponse:
    """The caller's next reading of the project, leased to them (their open one first).

    404 when no case is left for the caller.
    """
    project_id = path_int(request, "id", 1)
    reading = await run_in_threadpool(flow.next_task, state(request), project_id, _caller(request))
    return JSONResponse(task_json(reading))


def list_tasks(request: Request) -> JSONResponse:
    """Tasks, filtered by `project`, `assignee` and `state`; annotators see their own."""
    params = request.query_params
    project = params.get("project") or None
    if project is not None and not project.isdigit():
        raise BadInput(f"project must be a project id, got {project!r}")
    wanted = params.get("state") or None
    if wanted is not None and wanted not in set(TaskState):
        raise BadInput(f"state must be one of {', '.join(TaskState)}, got {wanted!r}")
    assignee = params.get("assignee") or None
    reader = flow.visible_reader(identity(request), assignee)
    with state(request).sessions() as session:
        rows = repo.list_tasks(session, int(project) if project else None, reader, wanted)
        return JSONResponse([task_json(flow.Reading(t, c, c.project_id)) for t, c in rows])


def _reading(request: Request, task_id: int) -> flow.Reading:
    with state(request).sessions() as session:
        task = repo.get_task(session, task_id)
        case = repo.get_case(session, task.case_id)
    flow.check_task_visible(identity(request), task)
    return flow.Reading(task, case, case.project_id)


def get_task(request: Request) -> JSONResponse:
    """One task."""
    return JSONResponse(task_json(_reading(request, path_int(request, "id", 1))))


async def create_task(request: Request) -> JSONResponse:
    """Assign a new reading of a case to a user (admins): body `{"case_id", "assignee"}`."""
    who = require_admin(request)
    body = await json_body(request)
    case_id = body.get("case_id")
    if isinstance(case_id, bool) or not isinstance(case_id, int) or case_id < 1:
        raise BadInput(f"case_id must be a case id, got {case_id!r}")
    assignee = check_username(body.get("assignee"))
    st = state(request)
    reading = await run_in_threadpool(flow.assign_case, st, case_id, assignee, who.username)
    return JSONResponse(task_json(reading), status_code=201)


async def update_task(request: Request) -> JSONResponse:
    """Reassign a reading (admins): body `{"assignee"}`."""
    who = require_admin(request)
    task_id = path_int(request, "id", 1)
    body = await json_body(request)
    unknown = sorted(set(body) - {"assignee"})
    if unknown or "assignee" not in body:
        raise BadInput(f'body must be {{"assignee"}}; unknown: {", ".join(unknown) or "none"}')
    assignee = check_username(body["assignee"])
    st = state(request)
    reading = await run_in_threadpool(flow.reassign, st, task_id, assignee, who.username)
    return JSONResponse(task_json(reading))


async def submit_task(request: Request) -> JSONResponse:
    """Hand a reading in for review (approved at once when the project needs no review)."""
    task_id = path_int(request, "id", 1)
    reading = await run_in_threadpool(flow.submit, state(request), task_id, identity(request))
    return JSONResponse(task_json(reading))


async def review_task(request: Request) -> JSONResponse:
    """Approve a submitted reading or ask for changes (reviewers, admins).

    Body `{"decision": "approve"|"request_changes", "comment"}`; a comment is required
    to ask for changes. Approval sends the SEG to the PACS when the project says so.
    """
    task_id = path_int(request, "id", 1)
    body = await json_body(request)
    decision = body.get("decision")
    if decision not in ("approve", "request_changes"):
        raise BadInput(f"decision must be 'approve' or 'request_changes', got {decision!r}")
    comment = body.get("comment") or ""
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise BadInput(f"comment must be a string of at most {MAX_COMMENT} characters")
    if decision == "request_changes" and not comment.strip():
        raise BadInput("comment is required to request changes: say what to change")
    approve = decision == "approve"
    reading = await run_in_threadpool(
        flow.review, state(request), task_id, identity(request), approve, comment.strip()
    )
    return JSONResponse(task_json(reading))


# -- comments ------------------------------------------------------------------------


def comment_json(row: Comment) -> dict[str, Any]:
    point = None if row.point_row is None else [row.point_row, row.point_column]
    return {
        "id": row.id,
        "annotation_id": row.annotation_id,
        "author": row.author,
        "text": row.text,
        "slice": row.slice,
        "point": point,
        "created_at": row.created_at.isoformat(),
    }


def comment_fields(body: dict[str, Any]) -> dict[str, Any]:
    text = body.get("text")
    if not isinstance(text, str) or not 0 < len(text.strip()) <= MAX_COMMENT:
        raise BadInput(f"text must be a string of 1-{MAX_COMMENT} characters")
    index = body.get("slice")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int) or index < 0):
        raise BadInput(f"slice must be a slice index >= 0, got {index!r}")
    point = body.get("point")
    if point is not None and not _is_point(point):
        raise BadInput(f"point must be [row, column], two numbers >= 0, got {point!r}")
    if point is not None and index is None:
        raise BadInput("point needs slice: the slice the point is on")
    row, column = (None, None) if point is None else (float(point[0]), float(point[1]))
    return {"text": text.strip(), "slice": index, "point_row": row, "point_column": column}


def _is_point(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in value)
    )


async def add_comment(request: Request) -> JSONResponse:
    """Comment on an annotation, optionally pinned to a slice and a point [row, column]."""
    annotation_id = path_int(request, "id", 1)
    fields = comment_fields(await json_body(request))
    st = state(request)
    await run_in_threadpool(
        flow.check_annotation_access, st, identity(request), annotation_id, False
    )
    with st.sessions.begin() as session:
        annotation_rows.get(session, annotation_id)
        row = repo.add_comment(
            session, annotation_id=annotation_id, author=_caller(request), **fields
        )
        payload = comment_json(row)
    return JSONResponse(payload, status_code=201)


def list_comments(request: Request) -> JSONResponse:
    """An annotation's comments, oldest first."""
    annotation_id = path_int(request, "id", 1)
    st = state(request)
    flow.check_annotation_access(st, identity(request), annotation_id, False)
    with st.sessions() as session:
        annotation_rows.get(session, annotation_id)
        return JSONResponse([comment_json(c) for c in repo.comments_of(session, annotation_id)])
