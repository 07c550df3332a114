"""Find the caller of a request: API token, trusted proxy header, or session cookie."""

import ipaddress
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import SimpleCookie

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from segdicom.auth import passwords
from segdicom.auth.identity import Identity, check_username
from segdicom.auth.secrets import digest, new_secret, same
from segdicom.config import Settings
from segdicom.db import users as repo
from segdicom.db.models import User
from segdicom.db.types import utcnow
from segdicom.errors import BadInput, Conflict, Forbidden, Unauthorized

log = logging.getLogger("segdicom.auth")
SESSION_COOKIE = "segdicom_session"
CSRF_COOKIE = "segdicom_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_RECHECK_OPEN = 2.0  # seconds between "are there users yet?" checks while open
MAX_FAILURES = 10  # failed logins per user name within FAILURE_WINDOW before a pause
FAILURE_WINDOW = 300.0


@dataclass(frozen=True)
class Credentials:
    """What a request brings, taken from its headers and TCP peer."""

    method: str
    peer: str
    authorization: str = ""
    cookies: str = ""
    csrf_header: str = ""
    proxy_user: str = ""


class Authenticator:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.engine: Engine = sessions.kw["bind"]
        self.proxies = [ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies]
        self.proxy_header = settings.proxy_user_header.lower()
        self._has_users = False
        self._checked_at = float("-inf")
        self._failures: dict[str, list[float]] = {}

    def has_users(self) -> bool:
        """Once a user exists the service never runs open again (users are only disabled)."""
        if self._has_users:
            return True
        now = time.monotonic()
        if now - self._checked_at >= _RECHECK_OPEN:
            with self.sessions() as session:
                self._has_users = repo.any_users(session)
            self._checked_at = now
        return self._has_users

    def users_changed(self) -> None:
        self._checked_at = float("-inf")

    def trusted_peer(self, peer: str) -> bool:
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.proxies)

    def resolve(self, creds: Credentials) -> Identity | None:
        """The caller, None when anonymous; Unauthorized/Forbidden for bad credentials."""
        if not self.has_users():
            return Identity(self.settings.default_user, "admin", "open")
        if creds.authorization:
            return self._bearer(creds.authorization)
        cookies = _cookies(creds.cookies)
        if creds.proxy_user and self.proxy_header:
            if self.trusted_peer(creds.peer):
                who = self._proxy(creds.proxy_user)
                _check_csrf(creds, cookies.get(CSRF_COOKIE, ""))
                return who
            log.warning("ignored %s from untrusted peer %s", self.proxy_header, creds.peer)
        secret = cookies.get(SESSION_COOKIE, "")
        if not secret:
            return None
        found = self._lookup_session(digest(secret))
        if found is None:
            raise Unauthorized("session expired or ended; log in again")
        _check_csrf(creds, found.csrf_token)
        return found

    def _bearer(self, header: str) -> Identity:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authorization must be 'Bearer <API token>'")
        with self.engine.connect() as connection:
            found = repo.token_identity(connection, digest(token.strip()))
        if found is None:
            raise Unauthorized("API token unknown, revoked, or its user is disabled")
        return Identity(found[0], found[1], "token")

    def _proxy(self, username: str, provision: bool = True) -> Identity:
        name = username.strip()
        with self.sessions() as session:
            user = repo.by_name(session, name)
            found = None if user is None else (user.username, user.role, user.disabled)
        if found is None and provision and self.settings.proxy_new_user_role:
            return self._provision(name)  # after the read session: SQLite has one writer
        if found is None or found[2]:
            raise Forbidden(f"user {username[:64]!r} from the proxy is unknown or disabled")
        return Identity(found[0], found[1], "proxy")

    def _provision(self, name: str) -> Identity:
        """Create the user the proxy vouches for (no password: only the proxy logs them in)."""
        try:
            username = check_username(name)
        except BadInput as exc:
            raise Forbidden(f"user name from the proxy refused: {exc.detail}") from None
        role = self.settings.proxy_new_user_role
        try:
            with self.sessions.begin() as session:
                repo.add(session, username, "", role)
        except (Conflict, IntegrityError):  # created meanwhile by a concurrent request
            return self._proxy(username, provision=False)
        log.info("user %r created on first sign-in through the proxy, role %s", username, role)
        self.users_changed()
        return Identity(username, role, "proxy")

    def _lookup_session(self, token_hash: str) -> Identity | None:
        with self.sessions() as session:
            found = repo.session_user(session, token_hash)
            if found is None:
                return None
            user, row = found
            return Identity(user.username, user.role, "session", row.csrf_token, token_hash)

    def login(self, username: str, password: str) -> tuple[Identity, str]:
        """Check the password and open a session: (identity, cookie secret)."""
        self._throttle(username)
        with self.sessions.begin() as session:
            user = repo.by_name(session, username)
            stored = user.password_hash if user is not None else None
            if not passwords.verify(stored, password) or user is None or user.disabled:
                self._failures.setdefault(username, []).append(time.monotonic())
                raise Unauthorized("wrong username or password, or the user is disabled")
            self._failures.pop(username, None)
            secret, csrf = new_secret(), new_secret()
            expires = utcnow() + timedelta(hours=self.settings.session_hours)
            repo.add_session(session, user, digest(secret), csrf, expires)
            return _identity(user, csrf, digest(secret)), secret

    def _throttle(self, username: str) -> None:
        """Password guessing gets MAX_FAILURES tries per name per FAILURE_WINDOW."""
        now = time.monotonic()
        if len(self._failures) > 10_000:  # bounded memory under a spray of names
            self._failures.clear()
        recent = [t for t in self._failures.get(username, []) if now - t < FAILURE_WINDOW]
        self._failures[username] = recent
        if len(recent) >= MAX_FAILURES:
            wait = int(FAILURE_WINDOW - (now - recent[0])) + 1
            raise Unauthorized(f"too many failed logins for this user name; try again in {wait} s")

    def logout(self, who: Identity) -> None:
        if who.session_hash:
            with self.sessions.begin() as session:
                repo.end_session(session, who.session_hash)


def _identity(user: User, csrf: str, session_hash: str) -> Identity:
    return Identity(user.username, user.role, "session", csrf, session_hash)


def _check_csrf(creds: Credentials, expected: str) -> None:
    """State changes from a browser carry the CSRF token in a header (OWASP synchronizer)."""
    if creds.method in SAFE_METHODS:
        return
    if not expected or not creds.csrf_header or not same(creds.csrf_header, expected):
        raise Forbidden("missing or wrong X-CSRF-Token header; reload the page and log in")


def _cookies(header: str) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed Cookie header is no cookie
        return {}
    return {key: morsel.value for key, morsel in jar.items()}
