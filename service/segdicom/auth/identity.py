"""The caller of a request and what their role allows."""

import re
from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request

from segdicom.errors import BadInput, Forbidden

ROLES = ("annotator", "reviewer", "admin")
Via = Literal["open", "session", "token", "proxy"]
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


@dataclass(frozen=True)
class Identity:
    username: str
    role: str
    via: Via
    csrf_token: str = ""  # the session's synchronizer token ("" unless via == "session")
    session_hash: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def identity(request: Request) -> Identity:
    """The caller the middleware found (an anonymous annotator if none ran)."""
    found = getattr(request.state, "identity", None)
    if isinstance(found, Identity):
        return found
    return Identity(username="", role="annotator", via="open")


def require_admin(request: Request) -> Identity:
    who = identity(request)
    if not who.is_admin:
        raise Forbidden(f"user {who.username!r} ({who.role}) is not an admin")
    return who


def may_delete(who: Identity, owner: str) -> bool:
    """Only the creator of a piece of work, or an admin, may delete it."""
    return who.is_admin or who.username == owner


def check_username(value: object) -> str:
    if not isinstance(value, str) or _USERNAME.fullmatch(value) is None:
        raise BadInput(
            "username must be 1-64 characters: letters, digits and . _ @ - "
            f"(starting with a letter or digit), got {str(value)[:80]!r}"
        )
    return value


def check_role(value: object) -> str:
    if value not in ROLES:
        raise BadInput(f"role must be one of {', '.join(ROLES)}, got {str(value)[:80]!r}")
    return str(value)
