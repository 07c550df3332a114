"""Tasks (readings): the SQL of taking, handing on and moving them through their states.

Taking a reading is a compare-and-swap on `cases.readings` plus an insert under
the unique constraints (case, slot) and (case, reader): two concurrent callers
can never hold the same reading. On PostgreSQL the candidate row is read with
FOR UPDATE SKIP LOCKED so that concurrent callers spread over different cases
instead of queueing on the first one; SQLite has one writer at a time anyway
(BEGIN IMMEDIATE, db/engine.py) and ignores the clause.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from segdicom.db import project_statements as statements
from segdicom.db.models import Case, Task, TaskReader
from segdicom.db.types import utcnow
from segdicom.enums import TaskState
from segdicom.errors import Conflict, NotFound

OPEN, LEASED = statements.OPEN, statements.LEASED


class Retry(Exception):
    """A concurrent caller took the row first: run the transaction again."""


def get_task(session: Session, task_id: int) -> Task:
    row = session.get(Task, task_id)
    if row is None:
        raise NotFound(f"no task {task_id}")
    return row


def list_tasks(
    session: Session, project_id: int | None, reader: str | None, state: str | None
) -> Sequence[tuple[Task, Case]]:
    query = select(Task, Case).join(Case, Case.id == Task.case_id).order_by(Task.id)
    if project_id is not None:
        query = query.where(Case.project_id == project_id)
    if reader is not None:
        query = query.where(Task.reader == reader)
    if state is not None:
        query = query.where(Task.state == state)
    return [(t, c) for t, c in session.execute(query)]


def tasks_of_case(session: Session, case_id: int) -> Sequence[Task]:
    return session.scalars(select(Task).where(Task.case_id == case_id).order_by(Task.slot)).all()


def own_open_task(session: Session, project_id: int, reader: str) -> Task | None:
    """The reader's unfinished reading in the project, oldest first."""
    query = (
        select(Task)
        .join(Case, Case.id == Task.case_id)
        .where(Case.project_id == project_id, Task.reader == reader, Task.state.in_(OPEN))
        .order_by(Task.id)
        .limit(1)
    )
    return session.scalars(query).first()


def claimable_task(session: Session, project_id: int, reader: str, now: datetime) -> Task | None:
    """In one query: the reader's own open reading (first), else another reader's
    reading whose lease ran out on a case the caller does not read; locked."""
    values = {"b_project": project_id, "b_reader": reader, "b_now": now}
    return session.scalars(statements.claimable(), values).first()


def release(session: Session, task: Task, now: datetime) -> int:
    """Take a reading whose lease ran out off its slot: it stays its reader's, released
    (Retry when someone else was quicker). Answers the slot it had."""
    slot, off_slot = task.slot, -task.id  # slots are >= 1: a negative one is taken by nobody
    released = session.execute(
        update(Task)
        .where(
            Task.id == task.id,
            Task.reader == task.reader,
            Task.state.in_(LEASED),
            Task.lease_expires < now,
        )
        .values(state=TaskState.RELEASED, slot=off_slot, lease_expires=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if released.rowcount != 1:  # type: ignore[attr-defined]
        raise Retry
    task.state, task.slot, task.lease_expires, task.updated_at = (
        TaskState.RELEASED,
        off_slot,
        None,
        now,
    )
    return slot


def claim_free_case(
    session: Session, project_id: int, reader: str, skip_locked: bool = True
) -> tuple[Case, list[dict[str, Any]]] | None:
    """The first case with a free reader slot the caller has not read, its slot taken in
    the same statement (`case.readings` is then the caller's slot), with the project's
    labels; None when none is left (or there is no such project).

    On PostgreSQL the candidate row is locked with SKIP LOCKED: concurrent callers take
    different cases instead of waiting for each other (so None may only mean that the
    free cases are being taken: ask again with `skip_locked=False` to wait for them).
    The case is not in the session (a plain row, made an object for the callers).
    """
    values = {"b_project": project_id, "b_reader": reader}
    row = session.execute(statements.claim_free_case(skip_locked), values).first()
    if row is None:
        return None
    columns = row._asdict()
    labels = columns.pop("labels")
    return Case(**columns), labels


def claim_slot(session: Session, case: Case) -> None:
    """Take the case's next reader slot: a compare-and-swap on `readings`."""
    swapped = session.execute(
        update(Case)
        .where(Case.id == case.id, Case.readings == case.readings)
        .values(readings=case.readings + 1)
        .execution_options(synchronize_session=False)
    )
    if swapped.rowcount != 1:  # type: ignore[attr-defined]
        raise Retry
    set_committed_value(case, "readings", case.readings + 1)  # the row has it already


def add_task(
    session: Session,
    case: Case,
    reader: str,
    lease: datetime | None,
    state: TaskState,
    annotation_id: int,
    slot: int | None = None,
) -> Task:
    """The reading of the slot just claimed, or of `slot` (IntegrityError: the reader reads
    the case already)."""
    now = utcnow()
    values = {
        "case_id": case.id,
        "slot": case.readings if slot is None else slot,
        "reader": reader,
        "annotation_id": annotation_id,
        "state": state,
        "lease_expires": lease,
        "reviewed_by": "",
        "export_id": None,
        "export_error": "",
        "created_at": now,
        "updated_at": now,
    }
    # Core statements, no ORM flush (this runs at every `next`): the task is not in the
    # session. A reading made a moment ago has no holder yet: no lookup.
    task_id = session.execute(statements.NEW_TASK, values).scalar_one()
    session.execute(statements.NEW_HOLDER, {"task_id": task_id, "reader": reader})
    return Task(id=task_id, **values)


def add_holder(session: Session, task_id: int, reader: str) -> None:
    """Note that `reader` holds (or held) the reading: they never get another of its case."""
    if session.get(TaskReader, (task_id, reader)) is None:
        session.add(TaskReader(task_id=task_id, reader=reader))
        session.flush()


def case_holders(session: Session, case_id: int, besides: int | None = None) -> set[str]:
    """Everyone who holds or has held a reading of the case, that of task `besides` aside."""
    query = (
        select(TaskReader.reader)
        .join(Task, Task.id == TaskReader.task_id)
        .where(Task.case_id == case_id)
    )
    if besides is not None:
        query = query.where(Task.id != besides)
    return set(session.scalars(query))


def add_segments(session: Session, annotation_id: int, labels: Sequence[dict[str, Any]]) -> None:
    """The project's labels as segments 1..n of a new annotation, in one statement."""
    rows = [
        {
            "annotation_id": annotation_id,
            "number": number,
            "label": label["label"],
            "color": label["color"],
            "category_code": label["category"]["code"],
            "category_scheme": label["category"]["scheme"],
            "category_meaning": label["category"]["meaning"],
            "type_code": label["type"]["code"],
            "type_scheme": label["type"]["scheme"],
            "type_meaning": label["type"]["meaning"],
        }
        for number, label in enumerate(labels, 1)
    ]
    if rows:
        session.execute(statements.NEW_SEGMENTS, rows)


def transition(
    session: Session, task: Task, allowed: Sequence[TaskState], to: TaskState, **values: object
) -> None:
    """Move `task` to `to` if it is still in one of `allowed` (Conflict otherwise)."""
    moved = session.execute(
        update(Task)
        .where(Task.id == task.id, Task.state.in_(allowed))
        .values(state=to, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        current = session.scalar(select(Task.state).where(Task.id == task.id))
        names = ", ".join(allowed)
        raise Conflict(f"task {task.id} is {current}; this needs it to be {names}")
    session.refresh(task)
