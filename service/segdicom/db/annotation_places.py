"""Where an annotation sits in a project: the reading it is, or the consensus of a case.

Asked at every read and write of an annotation (access checks, blinding), so the
single-annotation statement is built once (db/project_statements.py).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, select, union
from sqlalchemy.orm import Session

from segdicom.db import project_statements as statements
from segdicom.db.models import Annotation, Case, Project, Task, TaskReader


@dataclass(frozen=True)
class AnnotationProject:
    """What a project says of an annotation: the reading it is (`task`), or the
    consensus of `case` (`task` None); `project` owns the case."""

    task: Task | None
    case: Case
    project: Project


@dataclass(frozen=True)
class Whereabouts:
    """An annotation's study and series (what its events name: db.events.OfSeries), its
    creator and its place in a project, None outside projects."""

    study_uid: str
    series_uid: str
    project: AnnotationProject | None
    created_by: str = ""


def whereabouts(session: Session, annotation_id: int) -> Whereabouts | None:
    """Where the annotation is (one query): asked at every read and write of one, so that
    what follows needs no second look at its row. None: no such annotation."""
    found = session.execute(
        statements.project_of_annotation(), {"b_annotation": annotation_id}
    ).first()
    if found is None:
        return None
    task, case, project, study_uid, series_uid, created_by = found
    place = None if case is None or project is None else AnnotationProject(task, case, project)
    return Whereabouts(study_uid, series_uid, place, created_by)


def project_of_annotation(session: Session, annotation_id: int) -> AnnotationProject | None:
    """The annotation's place in a project (one query); None outside projects."""
    found = whereabouts(session, annotation_id)
    return None if found is None else found.project


@dataclass(frozen=True)
class ReadingOf:
    """The project place of an annotation: a reading (`task_id`, `reader`, `state`) of a
    case, or the consensus of a case (those three None)."""

    project_id: int
    case_id: int
    task_id: int | None
    reader: str | None
    state: str | None


def readings_of(session: Session, annotation_ids: Sequence[int]) -> dict[int, ReadingOf]:
    """Those of `annotation_ids` that belong to a project, by id (two queries)."""
    if not annotation_ids:
        return {}
    readings = session.execute(
        select(Task.annotation_id, Case.project_id, Case.id, Task.id, Task.reader, Task.state)
        .join(Case, Case.id == Task.case_id)
        .where(Task.annotation_id.in_(annotation_ids))
    )
    found = {int(a): ReadingOf(p, c, t, r, s) for a, p, c, t, r, s in readings if a is not None}
    consensus = session.execute(
        select(Annotation.id, Case.project_id, Case.id)
        .join(Case, Case.id == Annotation.consensus_case_id)
        .where(Annotation.id.in_(annotation_ids))
    )
    for a, p, c in consensus:
        found.setdefault(int(a), ReadingOf(p, c, None, None, None))
    return found


def blinded_annotations(session: Session, annotation_ids: Sequence[int], reader: str) -> set[int]:
    """Those of `annotation_ids` that are other readers' readings of blinded projects, or
    consensus annotations of their cases; and every annotation not `reader`'s own of a series
    that `reader` reads (or has read) in a blinded project: another project's reading, a
    consensus or an annotation outside projects would show them the others' work too."""
    readings = (
        select(Task.annotation_id)
        .join(Case, Case.id == Task.case_id)
        .join(Project, Project.id == Case.project_id)
        .where(
            Task.annotation_id.in_(annotation_ids),
            Task.reader != reader,
            Project.readers_per_case > 1,
        )
    )
    consensus = (
        select(Annotation.id)
        .join(Case, Case.id == Annotation.consensus_case_id)
        .join(Project, Project.id == Case.project_id)
        .where(Annotation.id.in_(annotation_ids), Project.readers_per_case > 1)
    )
    statement = union(readings, consensus, _others_on_blind_series(annotation_ids, reader))
    return {int(a) for a in session.scalars(statement) if a is not None}


def _others_on_blind_series(annotation_ids: Sequence[int], reader: str) -> Select[Any]:
    blind_series = (
        select(Case.series_uid)
        .join(Task, Task.case_id == Case.id)
        .join(TaskReader, TaskReader.task_id == Task.id)
        .join(Project, Project.id == Case.project_id)
        .where(TaskReader.reader == reader, Project.readers_per_case > 1)
    )
    read = select(Task.annotation_id).where(Task.annotation_id.is_not(None))
    own_readings = read.where(Task.reader == reader)
    own_free = and_(
        Annotation.created_by == reader,
        Annotation.consensus_case_id.is_(None),
        Annotation.id.not_in(read),
    )
    return select(Annotation.id).where(
        Annotation.id.in_(annotation_ids),
        Annotation.series_uid.in_(blind_series),
        Annotation.id.not_in(own_readings),
        ~own_free,
    )
