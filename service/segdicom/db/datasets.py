"""Dataset exports: the zips made for model training."""

import json

from sqlalchemy.orm import Session

from segdicom.db.models import DatasetExport
from segdicom.enums import DatasetFormat
from segdicom.errors import NotFound


def add(
    session: Session,
    *,
    job_id: str,
    format: DatasetFormat,
    path: str,
    size: int,
    num_cases: int,
    labels: dict[str, int],
    created_by: str,
) -> DatasetExport:
    """A new dataset row (its id assigned); `labels` stored as JSON."""
    row = DatasetExport(
        job_id=job_id,
        format=format,
        path=path,
        size=size,
        num_cases=num_cases,
        labels=json.dumps(labels),
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, dataset_id: int) -> DatasetExport:
    row = session.get(DatasetExport, dataset_id)
    if row is None:
        raise NotFound(f"no dataset {dataset_id}")
    return row
