"""Jobs: long work with progress, in the database so any process can report it."""

import json
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from segdicom.db.models import Job
from segdicom.db.rows import found, inserted
from segdicom.db.types import utcnow
from segdicom.enums import JobKind, JobState
from segdicom.process import identity

ABANDONED = "the service stopped while this job ran; start it again"
_UNFINISHED = (JobState.QUEUED, JobState.RUNNING)


def create(session: Session, kind: JobKind, params: dict[str, object], total: int = 0) -> Job:
    """A queued job, owned by this process (its work runs on a thread here: jobs.py)."""
    row = Job(
        id=uuid.uuid4().hex,
        kind=kind,
        state=JobState.QUEUED,
        total=total,
        params=json.dumps(params),
        owner=identity(),
    )
    return inserted(session, row)


def get(session: Session, job_id: str) -> Job:
    return found(session.get(Job, job_id), f"no job {job_id!r}")


def ended(session: Session, job_id: str) -> bool:
    """Whether the job has reported its end (done or failed); no row says nothing."""
    state = session.scalar(select(Job.state).where(Job.id == job_id))
    return state is not None and state not in _UNFINISHED


def progress(
    session: Session,
    job_id: str,
    *,
    state: JobState | None = None,
    done: int | None = None,
    total: int | None = None,
    error: str | None = None,
    result: dict[str, object] | None = None,
) -> None:
    values: dict[str, object] = {"updated_at": utcnow()}
    for name, value in (("state", state), ("done", done), ("total", total), ("error", error)):
        if value is not None:
            values[name] = value
    if result is not None:
        values["result"] = json.dumps(result)
    session.execute(update(Job).where(Job.id == job_id).values(**values))


def fail_abandoned(
    session: Session, is_gone: Callable[[str], bool | None], job_id: str | None = None
) -> int:
    """Fail the unfinished jobs (or job `job_id`) whose process is known to be gone:
    killed while they ran, nobody will finish them. Those of running processes, and
    of processes that cannot be told (another host's, no owner), stay."""
    query = select(Job.id, Job.owner).where(Job.state.in_(_UNFINISHED), Job.owner != "")
    if job_id is not None:
        query = query.where(Job.id == job_id)
    gone = [found for found, owner in session.execute(query) if is_gone(owner)]
    if gone:
        session.execute(
            update(Job)
            .where(Job.id.in_(gone), Job.state.in_(_UNFINISHED))
            .values(state=JobState.FAILED, error=ABANDONED, updated_at=utcnow())
        )
    return len(gone)


def running_progress(session: Session) -> list[tuple[str, str, int, int]]:
    """(id, kind, done, total) of every running job."""
    query = select(Job.id, Job.kind, Job.done, Job.total).where(Job.state == JobState.RUNNING)
    return [(r.id, r.kind, r.done, r.total) for r in session.execute(query)]


def count_by_state(session: Session) -> list[tuple[str, int]]:
    query = select(Job.state, func.count()).group_by(Job.state)
    return [(state, count) for state, count in session.execute(query)]


def report(sessions: sessionmaker[Session], job_id: str, **values: Any) -> None:
    """`progress` in a transaction of its own (a job's worker thread reports this way)."""
    with sessions.begin() as session:
        progress(session, job_id, **values)
