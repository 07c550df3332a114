"""Who is calling: users and roles, passwords, sessions, API tokens, CSRF, proxy header.

SECURITY.md describes the model. The middleware puts an `Identity` on every
request (`request.state.identity`, and its name in `request.state.user`).
"""

from segdicom.auth.authenticator import Authenticator
from segdicom.auth.identity import ROLES, Identity, identity, require_admin
from segdicom.auth.middleware import AuthMiddleware
from segdicom.auth.startup import check_binding, is_loopback

__all__ = [
    "ROLES",
    "AuthMiddleware",
    "Authenticator",
    "Identity",
    "check_binding",
    "identity",
    "is_loopback",
    "require_admin",
]
