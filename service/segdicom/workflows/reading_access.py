"""Who may see and change an annotation of a project: readers, reviewers, admins.

A reading is its reader's; in a blinded project (several readers per case) other
annotators never see it, nor the case's consensus. workflows/blinding.py applies
the same rule to everything made from an annotation.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from segdicom.auth.identity import Identity
from segdicom.db import annotation_places as places
from segdicom.db.models import Case, Project, Task
from segdicom.errors import Closed, Forbidden
from segdicom.state import AppState
from segdicom.workflows.task_leases import CLOSED, closed_reason, renew


def check_annotation_access(
    st: AppState, who: Identity, annotation_id: int, write: bool
) -> places.Whereabouts | None:
    """Forbidden when `who` may not read (or write) the annotation of a project reading,
    or the consensus of a project case.

    A reading is its reader's: other annotators get 403 when the project is blinded
    (several readers per case) and may never write it; reviewers read all readings;
    admins do everything. A submitted or approved reading is closed to writes until
    a reviewer asks for changes. A consensus is the reviewers' work (they build it, edit
    it and export it); annotators never write it, nor read it in a blinded project.
    An annotator who reads a series in a blinded project sees no one else's annotation of
    it, in any project or outside projects. Where the annotation is (its series; its project
    place, which `reading_json` tells), None for no such annotation.
    """
    with st.sessions() as session:
        where = places.whereabouts(session, annotation_id)
    found = None if where is None else where.project
    if found is not None and found.task is not None:
        _check_reading(st, who, annotation_id, write, found.task, found.project)
    elif found is not None:
        _check_consensus(who, annotation_id, write, found.case, found.project)
    if where is not None and who.role == "annotator" and not _own(who, where):
        _check_series_not_blind(st, who, annotation_id, where.series_uid)
    return where


def _own(who: Identity, where: places.Whereabouts) -> bool:
    """The caller's reading, or their annotation outside projects."""
    place = where.project
    if place is None:
        return where.created_by == who.username
    return place.task is not None and place.task.reader == who.username


def _check_series_not_blind(st: AppState, who: Identity, annotation_id: int, series: str) -> None:
    with st.sessions() as session:
        hidden = places.blinded_annotations(session, [annotation_id], who.username)
    if hidden:
        raise Forbidden(
            f"annotation {annotation_id} is another user's annotation of series {series}, "
            "which you read in a blinded project"
        )


def _check_reading(
    st: AppState, who: Identity, annotation_id: int, write: bool, task: Task, project: Project
) -> None:
    if task.reader == who.username:
        if write and task.state in CLOSED:
            raise Closed(f"{closed_reason(task)} (annotation {annotation_id})")
        if write:
            renew(st, task)
        return
    if who.is_admin or (who.role == "reviewer" and not write):
        return
    if project.readers_per_case > 1:
        raise Forbidden(
            f"annotation {annotation_id} is another reader's reading in the blinded "
            f"project {project.id}"
        )
    if write:
        raise Forbidden(f"annotation {annotation_id} is {task.reader!r}'s reading")


def _check_consensus(
    who: Identity, annotation_id: int, write: bool, case: Case, project: Project
) -> None:
    if who.role in ("reviewer", "admin"):
        return
    if project.readers_per_case > 1:
        raise Forbidden(
            f"annotation {annotation_id} is the consensus of the readings of case {case.id} "
            f"in the blinded project {project.id}: reviewers and admins only"
        )
    if write:
        raise Forbidden(
            f"annotation {annotation_id} is the consensus of case {case.id}: "
            "reviewers and admins edit it"
        )


def hidden_from(session: Session, who: Identity, annotation_ids: Sequence[int]) -> set[int]:
    """The annotations an annotator may not see: other readers' readings of blinded cases,
    and the consensus of blinded cases."""
    if who.role in ("reviewer", "admin") or not annotation_ids:
        return set()
    return places.blinded_annotations(session, annotation_ids, who.username)


def visible_annotations(
    st: AppState, who: Identity, annotations: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The annotation answers `who` may see (blinded readings and consensus left out)."""
    with st.sessions() as session:
        hidden = hidden_from(session, who, [a["id"] for a in annotations])
    return [a for a in annotations if a["id"] not in hidden]


def with_readings(st: AppState, annotations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The annotation answers, each with the project reading it is (`reading`: project,
    case, task, reader, state; task, reader and state are null for a case's consensus),
    null outside projects: the viewer names whose reading it shows."""
    with st.sessions() as session:
        found = places.readings_of(session, [a["id"] for a in annotations])
    return [{**a, "reading": _reading_json(found.get(a["id"]))} for a in annotations]


def reading_json(where: places.Whereabouts | None) -> dict[str, Any] | None:
    """`with_readings`' `reading` of one annotation, from what its access check found."""
    place = None if where is None else where.project
    if place is None:
        return None
    task = place.task
    return _reading_json(
        places.ReadingOf(
            place.project.id,
            place.case.id,
            None if task is None else task.id,
            None if task is None else task.reader,
            None if task is None else task.state,
        )
    )


def _reading_json(reading: places.ReadingOf | None) -> dict[str, Any] | None:
    if reading is None:
        return None
    return {
        "project_id": reading.project_id,
        "case_id": reading.case_id,
        "task_id": reading.task_id,
        "reader": reading.reader,
        "state": reading.state,
    }


def visible_reader(who: Identity, reader: str | None) -> str | None:
    """The assignee filter a caller may use: annotators see only their own readings."""
    if who.role in ("reviewer", "admin"):
        return reader
    if reader is not None and reader != who.username:
        raise Forbidden(f"annotators see their own tasks only, not {reader!r}'s")
    return who.username


def check_task_visible(who: Identity, task: Task) -> None:
    if who.role == "annotator" and task.reader != who.username:
        raise Forbidden(f"task {task.id} is another reader's")
