"""Readings of project cases: take the next one, submit, review, assign (who may see
what: workflows/reading_access.py).

Every transition appends an event (who, when, from which state to which) to
the audit log, so the CSV shows the whole history of a reading.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydicom.uid import generate_uid
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from segdicom.auth.identity import Identity
from segdicom.db import annotations as annotation_rows
from segdicom.db import events, readings, users
from segdicom.db import projects as repo
from segdicom.db.models import Case, Task
from segdicom.db.types import utcnow
from segdicom.enums import TaskState
from segdicom.errors import Closed, Conflict, Forbidden, NotFound, SegDicomError
from segdicom.state import AppState
from segdicom.workflows.exports import export_annotation
from segdicom.workflows.task_leases import CLOSED, closed_reason, lease_until, task_event

log = logging.getLogger("segdicom.tasks")
MAX_ATTEMPTS = 50
T = TypeVar("T")


@dataclass(frozen=True)
class Reading:
    """A task with its case, as read in one transaction."""

    task: Task
    case: Case
    project_id: int


def retried(st: AppState, work: Callable[[Session], T]) -> T:
    """Run `work` in a transaction, again when a concurrent caller won a race."""
    for _ in range(MAX_ATTEMPTS):
        try:
            with st.sessions.begin() as session:
                return work(session)
        except (readings.Retry, IntegrityError):
            continue
    raise Conflict("too many concurrent callers took the same readings; try again")


# -- next ----------------------------------------------------------------------------


def next_task(st: AppState, project_id: int, who: str) -> Reading:
    """The caller's open reading of the project, else one whose lease ran out, else a
    new one of the first case with a free reader slot; leased to the caller."""

    def take(session: Session) -> Reading:
        now = utcnow()
        lease = lease_until(st, now)
        task = readings.claimable_task(session, project_id, who, now)
        detail = f"lease until {lease.isoformat()}"
        if task is None:
            action = "task_next"
            task, case = new_reading(session, project_id, who, lease)
        elif task.reader == who:
            action = "task_resume"
            task.state, task.lease_expires, task.updated_at = TaskState.IN_PROGRESS, lease, now
            case = repo.get_case(session, task.case_id)
        else:
            action = "task_take_over"
            released = task
            task, case = take_over(session, released, who, now, lease)
            detail += f"; from {released.reader} (task {released.id}, released)"
        task_event(session, who, action, case, task, detail)
        return Reading(task, case, project_id)

    return retried(st, take)


def take_over(
    session: Session, task: Task, who: str, now: datetime, lease: datetime
) -> tuple[Task, Case]:
    """A fresh reading of an abandoned reading's slot for `who`: readers never see each
    other's masks. The abandoned one is released, and stays its reader's with its
    annotation (nothing is lost; reviewers still see it), so they never read the case again."""
    slot = readings.release(session, task, now)
    case = repo.get_case(session, task.case_id)
    task_event(session, who, "task_release", case, task, f"lease ran out; slot {slot} to {who}")
    labels = repo.get_project(session, case.project_id).labels
    annotation_id = new_annotation(session, labels, case, who)
    fresh = readings.add_task(session, case, who, lease, TaskState.IN_PROGRESS, annotation_id, slot)
    return fresh, case


def new_reading(session: Session, project_id: int, who: str, lease: datetime) -> tuple[Task, Case]:
    claimed = readings.claim_free_case(session, project_id, who) or readings.claim_free_case(
        session, project_id, who, skip_locked=False
    )
    if claimed is None:
        repo.get_project(session, project_id)  # NotFound when there is no such project
        raise NotFound(f"no case left for {who!r} in project {project_id}")
    case, labels = claimed
    annotation_id = new_annotation(session, labels, case, who)
    task = readings.add_task(session, case, who, lease, TaskState.IN_PROGRESS, annotation_id)
    return task, case


def new_annotation(session: Session, labels: Sequence[dict[str, Any]], case: Case, who: str) -> int:
    """An empty annotation of the case with the project's labels as its segments."""
    annotation_id = annotation_rows.create_id(
        session, case.series_uid, case.study_uid, who, generate_uid()
    )
    readings.add_segments(session, annotation_id, labels)
    return annotation_id


# -- assignment ----------------------------------------------------------------------


def assign_case(st: AppState, case_id: int, assignee: str, who: str) -> Reading:
    """A new reading of the case for `assignee` (admins), waiting in their worklist."""
    _check_user(st, assignee)

    def assign(session: Session) -> Reading:
        case = repo.get_case(session, case_id)
        project = repo.get_project(session, case.project_id)
        if case.readings >= project.readers_per_case:
            raise Conflict(f"case {case_id} has all its {project.readers_per_case} reader(s)")
        _check_not_reading(session, case, assignee)
        readings.claim_slot(session, case)
        annotation_id = new_annotation(session, project.labels, case, assignee)
        task = readings.add_task(session, case, assignee, None, TaskState.TODO, annotation_id)
        task_event(session, who, "task_assign", case, task, f"assigned to {assignee}")
        return Reading(task, case, project.id)

    return retried(st, assign)


def reassign(st: AppState, task_id: int, assignee: str, who: str) -> Reading:
    """Hand a reading (with its annotation) to another reader; it waits in their worklist."""
    _check_user(st, assignee)

    def move(session: Session) -> Reading:
        task = readings.get_task(session, task_id)
        case = repo.get_case(session, task.case_id)
        if task.state in (TaskState.APPROVED, TaskState.RELEASED):
            raise Conflict(f"task {task_id} is {task.state}: it cannot change hands")
        previous = task.reader
        if previous == assignee:  # theirs already: nothing changes, the lease stays
            return Reading(task, case, case.project_id)
        _check_not_reading(session, case, assignee, moving=task)
        task.reader, task.lease_expires, task.updated_at = assignee, None, utcnow()
        readings.add_holder(session, task.id, assignee)
        if task.state == TaskState.IN_PROGRESS:
            task.state = TaskState.TODO
        task_event(session, who, "task_reassign", case, task, f"{previous} -> {assignee}")
        return Reading(task, case, case.project_id)

    return retried(st, move)


def _check_not_reading(
    session: Session, case: Case, reader: str, moving: Task | None = None
) -> None:
    """Conflict when `reader` holds a reading of the case, or held one before it was handed
    on (`moving`, the reading being handed, aside: it may go back to them). The unique
    constraint is the last word when two admins race: `retried` then runs this again."""
    holders = readings.case_holders(session, case.id, None if moving is None else moving.id)
    if reader in holders:
        raise Conflict(f"{reader!r} reads, or has read, case {case.id} already")


def _check_user(st: AppState, username: str) -> None:
    """NotFound for an assignee who is not a user (once users exist), Conflict for one who
    is disabled: they could never open the reading."""
    with st.sessions() as session:
        if not users.any_users(session):
            return
        found = users.by_name(session, username)
    if found is None:
        raise NotFound(f"assignee {username!r} is not a user")
    if found.disabled:
        raise Conflict(f"assignee {username!r} is disabled: enable them to assign readings")


# -- submit and review ---------------------------------------------------------------


def submit(st: AppState, task_id: int, who: Identity) -> Reading:
    """Hand the reading in: submitted, or approved at once when the project needs no review."""
    with st.sessions.begin() as session:
        task = readings.get_task(session, task_id)
        case = repo.get_case(session, task.case_id)
        project = repo.get_project(session, case.project_id)
        if task.reader != who.username and not who.is_admin:
            raise Forbidden(f"task {task_id} is {task.reader!r}'s reading, not {who.username!r}'s")
        if task.state in CLOSED:
            raise Closed(closed_reason(task))
        to = TaskState.SUBMITTED if project.review_required else TaskState.APPROVED
        readings.transition(session, task, readings.OPEN, to, lease_expires=None)
        task_event(session, who.username, "task_submit", case, task, f"-> {to}")
        export = project.export_on_approval and to == TaskState.APPROVED
    if export:
        _export(st, task, who.username)
    return Reading(task, case, case.project_id)


def review(
    st: AppState,
    task_id: int,
    who: Identity,
    approve: bool,
    comment: str,
    version: int | None = None,
) -> Reading:
    """A reviewer approves a submitted reading (and sends it out) or asks for changes; with
    `version`, only while the annotation is at the version the reviewer looked at (its row
    is locked meanwhile: no write slips in before the decision)."""
    if who.role not in ("reviewer", "admin"):
        raise Forbidden(f"user {who.username!r} ({who.role}) is not a reviewer")
    with st.sessions.begin() as session:
        task = readings.get_task(session, task_id)
        case = repo.get_case(session, task.case_id)
        project = repo.get_project(session, case.project_id)
        if task.reader == who.username and not who.is_admin:
            raise Forbidden(f"task {task_id} is {who.username!r}'s own reading: another reviews it")
        seen = _decided_version(session, task, version)
        to = TaskState.APPROVED if approve else TaskState.CHANGES_REQUESTED
        readings.transition(session, task, (TaskState.SUBMITTED,), to, reviewed_by=who.username)
        if comment and task.annotation_id is not None:
            repo.add_comment(
                session, annotation_id=task.annotation_id, author=who.username, text=comment
            )
        action = "task_approve" if approve else "task_request_changes"
        detail = "; ".join(part for part in (seen, comment) if part)
        task_event(session, who.username, action, case, task, detail)
        export = approve and project.export_on_approval
    if export:
        _export(st, task, who.username)
    return Reading(task, case, case.project_id)


def _decided_version(session: Session, task: Task, version: int | None) -> str:
    """What the audit says was decided on ("annotation version 7"); Conflict when the
    reviewer looked at another version than the annotation's now."""
    if task.annotation_id is None:
        return ""
    now = annotation_rows.locked_version(session, task.annotation_id)
    if version is not None and version != now:
        raise Conflict(
            f"annotation {task.annotation_id} is at version {now}; you reviewed version "
            f"{version}: look at it again before you decide"
        )
    return f"annotation version {now}"


def _export(st: AppState, task: Task, who: str) -> None:
    """The approved SEG to the PACS through the outbox, the approver recorded as its sender.
    When it cannot be written, the reading stays approved and says why (`export_error`)."""
    if task.annotation_id is None:
        return
    error = ""
    export_id = None
    try:
        export_id = export_annotation(st, task.annotation_id, "pacs", who).id
    except SegDicomError as exc:
        error = f"the SEG was not sent to the PACS: {exc.detail}"[:300]
        log.warning("approved task %d was not exported: %s", task.id, exc.detail)
    with st.sessions.begin() as session:
        row = readings.get_task(session, task.id)
        row.export_id, row.export_error = export_id, error
        if error:
            events.append(
                session,
                user=who,
                action="task_export_failed",
                annotation_id=task.annotation_id,
                detail=f"task {task.id}: {error}",
            )
    task.export_id, task.export_error = export_id, error
