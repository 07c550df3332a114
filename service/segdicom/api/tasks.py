"""Tasks (readings of project cases): next, worklists, submit, review, assignment; comments."""

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from segdicom.api import project_schemas as schemas
from segdicom.api.common import path_int, state
from segdicom.api.operation import Answer, documented
from segdicom.api.validation import parse_body, parse_query
from segdicom.auth.identity import identity, require_admin
from segdicom.db import annotations as annotation_rows
from segdicom.db import projects as repo
from segdicom.db import readings
from segdicom.db.models import Comment
from segdicom.errors import BadInput
from segdicom.workflows import reading_access as access
from segdicom.workflows import tasks as flow
from segdicom.workflows import volumes

NO_TASK = {404: "no such task"}
HIDDEN = {403: "another reader's annotation, or the consensus, of a blinded case"}
NO_ANNOTATION = {404: "no such annotation"}


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
        "export_error": task.export_error or None,
        "created_at": task.created_at.isoformat(),
        "updated_at": task.updated_at.isoformat(),
    }


def _caller(request: Request) -> str:
    who = identity(request)
    return who.username or state(request).settings.default_user


@documented(
    {200: Answer("the caller's reading, leased to them", schemas.Task)},
    errors={
        404: "no such project, or no case is left for the caller",
        409: "too many callers at once took the same readings: try again",
    },
)
async def next_task(request: Request) -> JSONResponse:
    """The caller's next reading of the project, leased to them (their open one first)."""
    project_id = path_int(request, "id")
    reading = await run_in_threadpool(flow.next_task, state(request), project_id, _caller(request))
    return JSONResponse(task_json(reading))


@documented(
    {200: Answer("the tasks", schemas.Task, many=True)},
    query=schemas.TasksQuery,
    errors={403: "an annotator asking for another reader's tasks"},
)
def list_tasks(request: Request) -> JSONResponse:
    """Tasks, filtered by `project`, `assignee` and `state`; annotators see their own."""
    query = parse_query(request, schemas.TasksQuery)
    reader = access.visible_reader(identity(request), query.assignee)
    with state(request).sessions() as session:
        rows = readings.list_tasks(session, query.project, reader, query.state)
        return JSONResponse([task_json(flow.Reading(t, c, c.project_id)) for t, c in rows])


def _reading(request: Request, task_id: int) -> flow.Reading:
    with state(request).sessions() as session:
        task = readings.get_task(session, task_id)
        case = repo.get_case(session, task.case_id)
    access.check_task_visible(identity(request), task)
    return flow.Reading(task, case, case.project_id)


@documented(
    {200: Answer("the task", schemas.Task)},
    errors={403: "an annotator's view of another reader's task", **NO_TASK},
)
def get_task(request: Request) -> JSONResponse:
    """One task."""
    return JSONResponse(task_json(_reading(request, path_int(request, "id"))))


@documented(
    {201: Answer("the new reading", schemas.Task)},
    body=schemas.TaskIn,
    errors={
        403: "only admins may assign",
        404: "no such case or user",
        409: "the case has all its readings, the user already reads it, or is disabled",
    },
)
async def create_task(request: Request) -> JSONResponse:
    """Assign a new reading of a case to a user (admins)."""
    who = require_admin(request)
    body = await parse_body(request, schemas.TaskIn)
    st = state(request)
    reading = await run_in_threadpool(
        flow.assign_case, st, body.case_id, body.assignee, who.username
    )
    return JSONResponse(task_json(reading), status_code=201)


@documented(
    {200: Answer("the task reassigned", schemas.Task)},
    body=schemas.TaskChange,
    errors={
        403: "only admins may reassign",
        404: "no such task or user",
        409: "the user already reads the case, or is disabled; the task is approved",
    },
)
async def update_task(request: Request) -> JSONResponse:
    """Reassign a reading (admins)."""
    who = require_admin(request)
    task_id = path_int(request, "id")
    body = await parse_body(request, schemas.TaskChange)
    st = state(request)
    reading = await run_in_threadpool(flow.reassign, st, task_id, body.assignee, who.username)
    return JSONResponse(task_json(reading))


@documented(
    {200: Answer("the task submitted (approved when the project needs no review)", schemas.Task)},
    errors={
        403: "not the caller's reading",
        409: "not open for submission (error `closed`: submitted, approved, or released "
        "when its lease ran out and the case went to another reader)",
        **NO_TASK,
    },
)
async def submit_task(request: Request) -> JSONResponse:
    """Hand a reading in for review (approved at once when the project needs no review)."""
    task_id = path_int(request, "id")
    reading = await run_in_threadpool(flow.submit, state(request), task_id, identity(request))
    return JSONResponse(task_json(reading))


@documented(
    {200: Answer("the task after review", schemas.Task)},
    body=schemas.ReviewIn,
    errors={403: "reviewers and admins only", 409: "the task is not submitted", **NO_TASK},
)
async def review_task(request: Request) -> JSONResponse:
    """Approve a submitted reading or ask for changes (reviewers, admins).

    A comment is required to ask for changes. Approval sends the SEG to the PACS
    when the project says so. With `version`, the decision is refused (409) when the
    annotation has changed since the reviewer looked at it; the audit log names the
    version decided on.
    """
    task_id = path_int(request, "id")
    body = await parse_body(request, schemas.ReviewIn)
    comment = body.comment.strip()
    if body.decision == "request_changes" and not comment:
        raise BadInput("a comment is required to request changes: say what to change")
    approve = body.decision == "approve"
    reading = await run_in_threadpool(
        flow.review, state(request), task_id, identity(request), approve, comment, body.version
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


def comment_fields(body: schemas.CommentIn) -> dict[str, Any]:
    if body.point is not None and body.slice is None:
        raise BadInput("`point` needs `slice`: the slice the point is on")
    row, column = (None, None) if body.point is None else (body.point[0], body.point[1])
    return {"text": body.text, "slice": body.slice, "point_row": row, "point_column": column}


@documented(
    {201: Answer("the comment", schemas.Comment)},
    body=schemas.CommentIn,
    errors=HIDDEN
    | NO_ANNOTATION
    | {409: "pinned to a slice of a series not in the local store (pull it first)"},
)
async def add_comment(request: Request) -> JSONResponse:
    """Comment on an annotation, optionally pinned to a slice and a point [row, column]."""
    annotation_id = path_int(request, "id")
    body = await parse_body(request, schemas.CommentIn)
    fields = comment_fields(body)
    st = state(request)
    who, author = identity(request), _caller(request)

    def add() -> dict[str, Any]:
        access.check_annotation_access(st, who, annotation_id, False)
        if body.slice is not None:
            with st.sessions() as session:
                series_uid = annotation_rows.get(session, annotation_id).series_uid
            volumes.check_pin(st, series_uid, body.slice, body.point)
        with st.sessions.begin() as session:
            annotation_rows.get(session, annotation_id)
            row = repo.add_comment(session, annotation_id=annotation_id, author=author, **fields)
            return comment_json(row)

    return JSONResponse(await run_in_threadpool(add), status_code=201)


@documented(
    {200: Answer("the comments, oldest first", schemas.Comment, many=True)},
    errors=HIDDEN | NO_ANNOTATION,
)
def list_comments(request: Request) -> JSONResponse:
    """An annotation's comments, oldest first."""
    annotation_id = path_int(request, "id")
    st = state(request)
    access.check_annotation_access(st, identity(request), annotation_id, False)
    with st.sessions() as session:
        annotation_rows.get(session, annotation_id)
        return JSONResponse([comment_json(c) for c in repo.comments_of(session, annotation_id)])
