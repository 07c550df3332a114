"""Jobs: long work with progress, in the database so any process can report it."""

import json
import uuid

from sqlalchemy import update
from sqlalchemy.orm import Session

from segdicom.db.models import Job
from segdicom.db.types import utcnow
from segdicom.errors import NotFound


def create(session: Session, kind: str, params: dict[str, object], total: int = 0) -> Job:
    row = Job(
        id=uuid.uuid4().hex, kind=kind, state="queued", total=total, params=json.dumps(params)
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, job_id: str) -> Job:
    row = session.get(Job, job_id)
    if row is None:
        raise NotFound(f"no job {job_id!r}")
    return row


def progress(
    session: Session,
    job_id: str,
    *,
    state: str | None = None,
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
