"""The two steps every repository module takes with a single row."""

from typing import TypeVar

from sqlalchemy.orm import Session

from segdicom.errors import NotFound

T = TypeVar("T")


def inserted(session: Session, row: T) -> T:
    """Add a new row and flush, so its database defaults and keys are set."""
    session.add(row)
    session.flush()
    return row


def found(row: T | None, missing: str) -> T:
    """The row looked up, or NotFound saying what is missing ("no job 'ab12'")."""
    if row is None:
        raise NotFound(missing)
    return row
