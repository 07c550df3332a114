"""Projects, cases, progress and comments: the SQL of annotation projects (that of
their readings is in db/readings.py)."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    and_,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from segdicom.db.models import Case, Comment, Instance, Project, Task
from segdicom.errors import Conflict, NotFound

# -- projects ------------------------------------------------------------------------


def add_project(session: Session, **fields: object) -> Project:
    row = Project(**fields)
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"a project named {fields.get('name')!r} exists already") from None
    return row


def get_project(session: Session, project_id: int) -> Project:
    row = session.get(Project, project_id)
    if row is None:
        raise NotFound(f"no project {project_id}")
    return row


def list_projects(session: Session) -> Sequence[Project]:
    return session.scalars(select(Project).order_by(Project.id)).all()


def update_project(session: Session, project: Project, **fields: object) -> None:
    for name, value in fields.items():
        setattr(project, name, value)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"a project named {fields.get('name')!r} exists already") from None


def most_readings(session: Session, project_id: int) -> int:
    """The most reader slots taken on one case of the project (0: none)."""
    query = select(func.max(Case.readings)).where(Case.project_id == project_id)
    return int(session.scalar(query) or 0)


def has_readings(session: Session, project_id: int) -> bool:
    query = select(Task.id).join(Case, Case.id == Task.case_id)
    return session.scalar(query.where(Case.project_id == project_id).limit(1)) is not None


# -- cases ---------------------------------------------------------------------------


def case_series(session: Session, project_id: int) -> set[str]:
    query = select(Case.series_uid).where(Case.project_id == project_id)
    return set(session.scalars(query))


def add_case(
    session: Session, project_id: int, series_uid: str, study_uid: str, who: str, source: str
) -> Case | None:
    """A new case; None when the series is a case of the project already."""
    row = Case(
        project_id=project_id,
        series_uid=series_uid,
        study_uid=study_uid,
        readings=0,
        source=source,
        created_by=who,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the savepoint's rollback took the row out of the session
        if row in session:
            session.expunge(row)
        return None
    return row


def get_case(session: Session, case_id: int) -> Case:
    row = session.get(Case, case_id)
    if row is None:
        raise NotFound(f"no case {case_id}")
    return row


def cases_of(session: Session, project_id: int) -> Sequence[Case]:
    return session.scalars(
        select(Case).where(Case.project_id == project_id).order_by(Case.id)
    ).all()


@dataclass(frozen=True)
class CaseSeries:
    """What tells a case's series apart, from its instances held locally."""

    num_instances: int
    patient_name: str
    patient_id: str
    study_date: str
    modality: str
    series_description: str
    series_number: int | None


def series_of_cases(session: Session, project_id: int) -> dict[str, CaseSeries]:
    """series UID -> its instances held locally and its header facts, for the project's
    cases that have any (one query for the whole case list)."""
    query = (
        select(
            Instance.series_uid,
            func.count(),
            func.max(Instance.patient_name),
            func.max(Instance.patient_id),
            func.max(Instance.study_date),
            func.max(Instance.modality),
            func.max(Instance.series_description),
            func.max(Instance.series_number),
        )
        .join(Case, Case.series_uid == Instance.series_uid)
        .where(Case.project_id == project_id)
        .group_by(Instance.series_uid)
    )
    return {
        row[0]: CaseSeries(int(row[1]), row[2], row[3], row[4], row[5], row[6], row[7])
        for row in session.execute(query)
    }


def progress(session: Session, project_id: int) -> dict[str, dict[str, int]]:
    """reader -> state -> count of readings in the project."""
    query = (
        select(Task.reader, Task.state, func.count())
        .join(Case, and_(Case.id == Task.case_id, Case.project_id == project_id))
        .group_by(Task.reader, Task.state)
    )
    found: dict[str, dict[str, int]] = {}
    for reader, state, count in session.execute(query):
        found.setdefault(reader, {})[state] = int(count)
    return found


def local_studies(session: Session, series_uids: list[str]) -> dict[str, str]:
    """series UID -> study UID for those series that have images in the local store."""
    query = (
        select(Instance.series_uid, Instance.study_uid)
        .where(Instance.series_uid.in_(series_uids), Instance.is_image.is_(True))
        .distinct()
    )
    return {series: study for series, study in session.execute(query)}


# -- comments ------------------------------------------------------------------------


def add_comment(session: Session, **fields: object) -> Comment:
    row = Comment(**fields)
    session.add(row)
    session.flush()
    return row


def comments_of(session: Session, annotation_id: int) -> Sequence[Comment]:
    query = select(Comment).where(Comment.annotation_id == annotation_id).order_by(Comment.id)
    return session.scalars(query).all()
