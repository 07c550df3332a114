"""Users, viewer sessions and API tokens. Secrets are stored only as SHA-256 digests."""

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, bindparam, delete, exists, select
from sqlalchemy.orm import Session

from segdicom.db.models import ApiToken, AuthSession, User
from segdicom.db.rows import found, inserted
from segdicom.db.types import utcnow
from segdicom.errors import Conflict, NotFound


def any_users(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(User.id.is_not(None)))))


def by_name(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def get_by_name(session: Session, username: str) -> User:
    return found(by_name(session, username), f"no user {username!r}")


def add(session: Session, username: str, password_hash: str, role: str) -> User:
    if by_name(session, username) is not None:
        raise Conflict(f"user {username!r} exists already")
    row = User(username=username, password_hash=password_hash, role=role, disabled=False)
    return inserted(session, row)


def list_all(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.username)).all()


def set_disabled(session: Session, username: str, disabled: bool) -> User:
    row = get_by_name(session, username)
    row.disabled = disabled
    if disabled:
        # A disabled user's logins end now, not when their sessions expire.
        session.execute(delete(AuthSession).where(AuthSession.user_id == row.id))
    return row


def add_session(
    session: Session, user: User, token_hash: str, csrf: str, expires_at: datetime
) -> None:
    session.execute(delete(AuthSession).where(AuthSession.expires_at < utcnow()))
    session.add(
        AuthSession(token_hash=token_hash, user_id=user.id, csrf_token=csrf, expires_at=expires_at)
    )


def session_user(session: Session, token_hash: str) -> tuple[User, AuthSession] | None:
    """The enabled user of an unexpired session, with the session row."""
    found = session.execute(
        select(User, AuthSession)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(AuthSession.token_hash == token_hash)
    ).first()
    if found is None:
        return None
    user, row = found
    if user.disabled or row.expires_at <= utcnow():
        return None
    return user, row


def end_session(session: Session, token_hash: str) -> None:
    session.execute(delete(AuthSession).where(AuthSession.token_hash == token_hash))


def add_token(session: Session, user: User, name: str, token_hash: str) -> ApiToken:
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash, revoked=False)
    return inserted(session, row)


def token_identity(connection: Connection, token_hash: str) -> tuple[str, str] | None:
    """(user name, role) of the enabled user of a live API token: the check of every
    request with a token, so one statement on a bare connection (no ORM session: a
    third of the cost of a small request went to it, bench_projects)."""
    row = connection.execute(_token_identity(), {"b_hash": token_hash}).first()
    return None if row is None else (str(row[0]), str(row[1]))


@functools.cache
def _token_identity() -> Any:
    return (
        select(User.username, User.role)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == bindparam("b_hash", type_=String),
            ApiToken.revoked.is_(False),
            User.disabled.is_(False),
        )
    )


def tokens_of(session: Session, user: User) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    ).all()


def revoke_token(session: Session, token_id: int, owner: User | None) -> ApiToken:
    """Revoke a token; `owner` None means any user's (an admin)."""
    row = session.get(ApiToken, token_id)
    if row is None or (owner is not None and row.user_id != owner.id):
        raise NotFound(f"no token {token_id}")
    row.revoked = True
    return row
