"""Set-Cookie values: the session cookie is HttpOnly, both are SameSite=Strict."""

from segdicom.auth.authenticator import CSRF_COOKIE, SESSION_COOKIE
from segdicom.config import Settings


def _cookie(name: str, value: str, settings: Settings, http_only: bool, max_age: int) -> str:
    parts = [f"{name}={value}", "Path=/", "SameSite=Strict", f"Max-Age={max_age}"]
    if http_only:
        parts.append("HttpOnly")
    if settings.secure_cookies:
        parts.append("Secure")
    return "; ".join(parts)


def session_cookie(secret: str, settings: Settings) -> str:
    return _cookie(SESSION_COOKIE, secret, settings, True, int(settings.session_hours * 3600))


def csrf_cookie(token: str, settings: Settings) -> str:
    # Readable by the viewer's script, which echoes it in X-CSRF-Token.
    return _cookie(CSRF_COOKIE, token, settings, False, int(settings.session_hours * 3600))


def cleared() -> list[str]:
    return [f"{n}=; Path=/; SameSite=Strict; Max-Age=0" for n in (SESSION_COOKIE, CSRF_COOKIE)]
