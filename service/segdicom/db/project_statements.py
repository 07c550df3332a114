"""The statements asked at every `next` and every mask write, built once.

Their values are bound parameters: building these expressions (joins, aliases,
EXISTS) cost SQLAlchemy more than running them, at every call. db/readings.py
and db/annotation_places.py run them.
"""

import functools
from typing import Any, cast

from sqlalchemy import (
    Integer,
    String,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased

from segdicom.db.models import Annotation, Case, Instance, Project, Segment, Task, TaskReader
from segdicom.enums import TaskState

OPEN = (TaskState.TODO, TaskState.IN_PROGRESS, TaskState.CHANGES_REQUESTED)
LEASED = (TaskState.IN_PROGRESS,)  # an expired lease on these returns the reading to the pool


@functools.cache
def project_of_annotation() -> Any:
    """project_of_annotation's statement, built once (asked at every mask write): the
    annotation's reading task (or None), the case it reads or whose consensus it is,
    that case's project (Nones for an annotation outside projects), and the annotation's
    study, series and creator; no row for no annotation."""
    return (
        select(
            Task, Case, Project, Annotation.study_uid, Annotation.series_uid, Annotation.created_by
        )
        .select_from(Annotation)
        .outerjoin(Task, Task.annotation_id == Annotation.id)
        .outerjoin(Case, Case.id == func.coalesce(Task.case_id, Annotation.consensus_case_id))
        .outerjoin(Project, Project.id == Case.project_id)
        .where(Annotation.id == bindparam("b_annotation", type_=Integer))
    )


def not_read_by(reader: str, case_id: object) -> object:
    """No reading of the case is `reader`'s, nor ever was (task_readers: a reading an
    admin handed on keeps everyone who held it out of the case), so nobody reads a
    case twice."""
    held = aliased(Task)
    return ~exists().where(
        held.case_id == case_id, TaskReader.task_id == held.id, TaskReader.reader == reader
    )


@functools.cache
def claimable() -> Any:
    """claimable_task's statement, built once (at every `next`)."""
    reader = bindparam("b_reader", type_=String)
    mine = and_(Task.reader == reader, Task.state.in_(OPEN))
    expired = and_(
        Task.reader != reader,
        Task.state.in_(LEASED),
        Task.lease_expires < bindparam("b_now", type_=Task.lease_expires.type),
        not_read_by(reader, Task.case_id),  # type: ignore[arg-type]
    )
    return (
        select(Task)
        .join(Case, Case.id == Task.case_id)
        .where(Case.project_id == bindparam("b_project", type_=Integer), or_(mine, expired))
        .order_by((Task.reader == reader).desc(), Task.case_id)
        .limit(1)
        .with_for_update(skip_locked=True, of=Task)
    )


@functools.cache
def claim_free_case(skip_locked: bool) -> Any:
    """claim_free_case's statement, built once: its values are bound parameters (the
    expression over two aliases cost more to build than to run, at every `next`). Core on
    the table: the claimed case's columns and its project's labels come back from the same
    statement, with no ORM load and no lookup of the project before it."""
    cases = cast(Table, Case.__table__)
    inner = aliased(Case)
    project = bindparam("b_project", type_=Integer)
    readers = select(Project.readers_per_case).where(Project.id == project).scalar_subquery()
    candidate = (
        select(inner.id)
        .where(
            inner.project_id == project,
            inner.readings < readers,
            not_read_by(bindparam("b_reader", type_=String), inner.id),  # type: ignore[arg-type]
            # Its images are here (a pull that failed, or has not begun, leaves none).
            exists().where(Instance.series_uid == inner.series_uid),
        )
        .order_by(inner.id)
        .limit(1)
        .with_for_update(skip_locked=skip_locked)
        .scalar_subquery()
    )
    labels = select(Project.labels).where(Project.id == cases.c.project_id).scalar_subquery()
    return (
        update(cases)
        .where(cases.c.id == candidate, cases.c.readings < readers)
        .values(readings=cases.c.readings + 1)
        .returning(*cases.c, labels.label("labels"))
    )


NEW_HOLDER = insert(cast(Table, TaskReader.__table__))  # Core: no ORM unit of work
NEW_TASK = insert(cast(Table, Task.__table__)).returning(Task.id)  # Core: no ORM flush

# add_segments' statement. RETURNING makes SQLAlchemy send the rows as one multi-row VALUES,
# compiled once ("insertmanyvalues"); without it psycopg pipelines a round trip per row.
NEW_SEGMENTS = insert(cast(Table, Segment.__table__)).returning(Segment.number)
