"""Which (series, annotation) pairs a dataset holds: the series asked for, each with
its latest annotation, or a project's cases, each with its latest reading in the
task states asked for (approved by default)."""

from dataclasses import dataclass
from typing import Any

from segdicom.db import annotations as repo
from segdicom.db import instances as index
from segdicom.db import projects as project_rows
from segdicom.db import readings
from segdicom.enums import TaskState
from segdicom.errors import BadInput, NotFound
from segdicom.state import AppState
from segdicom.workflows.dataset_request import DatasetRequest


@dataclass(frozen=True)
class Case:
    """One (series, annotation) pair of a dataset, and its name in the dataset."""

    case_id: str
    series_uid: str
    annotation_id: int
    version: int = 0  # the annotation's version when the case was selected


def select_cases(st: AppState, request: DatasetRequest) -> list[Case]:
    """The (series, annotation) pairs the dataset holds: with `project_id`, each case's
    latest reading in `states`; otherwise, for each series, its most recently changed
    annotation. BadInput names a series without one."""
    if request.states and request.project_id is None:
        raise BadInput("states select readings of a project: give project_id too")
    if request.project_id is not None:
        return project_cases(st, request.project_id, request)
    if not request.series_uids:
        raise BadInput("series_uids must name at least one series")
    cases = []
    with st.sessions() as session:
        for number, series_uid in enumerate(request.series_uids, start=1):
            found = repo.list_for_series(session, series_uid)
            if not found and index.series_state(session, series_uid)[0] == 0:
                raise NotFound(f"series {series_uid} is not in the local store")
            if not found:
                raise BadInput(f"series {series_uid} has no annotation to export")
            latest = max(found, key=lambda a: (a.updated_at, a.id))
            cases.append(
                Case(f"case_{number:04d}", series_uid, int(latest.id), int(latest.version))
            )
    return cases


def project_cases(st: AppState, project_id: int, request: DatasetRequest) -> list[Case]:
    """Each case of the project, once: its most recently changed reading in the states
    asked (approved by default), of the series asked (all when none)."""
    states = request.states or (TaskState.APPROVED,)
    bad = [s for s in states if s not in set(TaskState)]
    if bad:
        raise BadInput(f"states must be among {', '.join(TaskState)}, got {', '.join(bad)}")
    wanted = set(request.series_uids)
    latest: dict[int, tuple[Any, str, int]] = {}
    with st.sessions() as session:
        project_rows.get_project(session, project_id)
        for state in dict.fromkeys(states):
            for task, case in readings.list_tasks(session, project_id, None, state):
                if task.annotation_id is None or (wanted and case.series_uid not in wanted):
                    continue
                key = (task.updated_at, task.id)
                if case.id not in latest or key > latest[case.id][0]:
                    latest[case.id] = (key, case.series_uid, task.annotation_id)
        if not latest:
            shown = ", ".join(states)
            raise BadInput(f"project {project_id} has no reading in state(s) {shown} to export")
        chosen = [latest[case_id] for case_id in sorted(latest)]
        return [
            Case(f"case_{n:04d}", series, aid, int(repo.get(session, aid).version))
            for n, (_, series, aid) in enumerate(chosen, start=1)
        ]
