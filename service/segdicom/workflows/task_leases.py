"""Leases of readings and the audit events of task transitions (workflows/tasks.py).

A reading is leased to its reader while they work; writing renews the lease, and
the first write after a reviewer asked for changes takes the reading back in progress.
"""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from segdicom.db import events, readings
from segdicom.db import projects as repo
from segdicom.db.models import Case, Task
from segdicom.db.types import utcnow
from segdicom.enums import TaskState
from segdicom.state import AppState

CLOSED = (TaskState.SUBMITTED, TaskState.APPROVED, TaskState.RELEASED)


def closed_reason(task: Task) -> str:
    """Why a reading takes no more changes nor a submission, in words its reader can act on
    (the viewer shows it as it is)."""
    if task.state == TaskState.RELEASED:
        return (
            f"your lease on task {task.id} ran out and the case went to another reader: "
            "this reading is closed and takes no more changes; take your next case "
            "from the project page"
        )
    if task.state == TaskState.APPROVED:
        return f"task {task.id} is approved: this reading is final"
    return f"task {task.id} is submitted: it is closed until a reviewer asks for changes"


def lease_until(st: AppState, now: datetime) -> datetime:
    return now + timedelta(minutes=st.settings.task_lease_minutes)


def task_event(
    session: Session, who: str, action: str, case: Case, task: Task, detail: str
) -> None:
    events.append(
        session,
        user=who,
        action=action,
        study_uid=case.study_uid,
        series_uid=case.series_uid,
        annotation_id=task.annotation_id,
        detail=f"project {case.project_id} case {case.id} task {task.id} "
        f"reader {task.reader} state {task.state}" + (f": {detail}" if detail else ""),
    )


def renew(st: AppState, task: Task) -> None:
    """Working on a reading keeps its lease: renewed once half of it is gone. The first
    write after a reviewer asked for changes (or to a reading waiting in a worklist)
    takes it back in progress, leased."""
    now = utcnow()
    if task.state in (TaskState.CHANGES_REQUESTED, TaskState.TODO):
        _resume(st, task, now)
        return
    if task.state != TaskState.IN_PROGRESS or task.lease_expires is None:
        return
    half = timedelta(minutes=st.settings.task_lease_minutes / 2)
    if task.lease_expires - now > half:
        return
    with st.sessions.begin() as session:
        row = readings.get_task(session, task.id)
        if row.reader == task.reader and row.state == TaskState.IN_PROGRESS:
            row.lease_expires = lease_until(st, now)


def _resume(st: AppState, task: Task, now: datetime) -> None:
    with st.sessions.begin() as session:
        row = readings.get_task(session, task.id)
        if row.reader != task.reader or row.state not in (
            TaskState.CHANGES_REQUESTED,
            TaskState.TODO,
        ):
            return
        lease = lease_until(st, now)
        row.state, row.lease_expires, row.updated_at = TaskState.IN_PROGRESS, lease, now
        case = repo.get_case(session, row.case_id)
        task_event(
            session, row.reader, "task_resume", case, row, f"lease until {lease.isoformat()}"
        )
