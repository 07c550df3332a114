"""Dataset exports: the zips made for model training."""

from sqlalchemy.orm import Session

from segdicom.db.models import DatasetExport
from segdicom.errors import NotFound


def add(session: Session, row: DatasetExport) -> DatasetExport:
    session.add(row)
    session.flush()
    return row


def get(session: Session, dataset_id: int) -> DatasetExport:
    row = session.get(DatasetExport, dataset_id)
    if row is None:
        raise NotFound(f"no dataset {dataset_id}")
    return row
