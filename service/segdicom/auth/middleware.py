"""ASGI middleware: every request gets an Identity, or a 401/403 before any handler runs."""

from collections.abc import Callable, Mapping

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from segdicom.asgi import HttpMiddleware
from segdicom.auth.authenticator import CSRF_COOKIE, CSRF_HEADER, Authenticator, Credentials
from segdicom.auth.cookies import csrf_cookie
from segdicom.auth.identity import Identity
from segdicom.auth.secrets import new_secret
from segdicom.config import Settings
from segdicom.errors import SegDicomError, Unauthorized

# What an anonymous caller may reach: health, and what the login page needs.
PUBLIC = frozenset(
    {
        "/healthz",
        "/login.html",
        "/login.js",
        "/login.css",
        "/favicon.svg",
        "/api/auth/login",
    }
)


# The app's one error renderer (api.errors.render), passed in: this layer is below api.
Render = Callable[[SegDicomError, Mapping[str, str]], Response]
NO_STORE = {"Cache-Control": "no-store"}


class AuthMiddleware(HttpMiddleware):
    def __init__(self, app: ASGIApp, render: Render) -> None:
        super().__init__(app)
        self.render = render

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        auth: Authenticator = scope["app"].state.segdicom.auth
        creds = _credentials(scope, auth.proxy_header)
        path = scope["path"]
        try:
            who = await run_in_threadpool(auth.resolve, creds)
            if who is None and path not in PUBLIC:
                raise Unauthorized("log in, or send 'Authorization: Bearer <API token>'")
        except SegDicomError as exc:
            if path in PUBLIC:
                who = None  # a stale cookie must not lock anyone out of the login page
            elif _wants_page(scope, exc):
                await _redirect(scope, send)
                return
            else:
                await self.render(exc, NO_STORE)(scope, receive, send)
                return
        if who is not None:
            state = scope.setdefault("state", {})
            state["identity"] = who
            state["user"] = who.username
        await self.app(scope, receive, _with_csrf_cookie(send, who, creds, auth.settings))


def _credentials(scope: Scope, proxy_header: str) -> Credentials:
    headers: dict[bytes, bytes] = {}
    for key, value in scope["headers"]:
        headers.setdefault(key, value)
    client = scope.get("client") or ("", 0)

    def get(name: str) -> str:
        return headers.get(name.encode("latin-1"), b"").decode("latin-1")

    return Credentials(
        method=scope["method"],
        peer=str(client[0]),
        authorization=get("authorization"),
        cookies=get("cookie"),
        csrf_header=get(CSRF_HEADER),
        proxy_user=get(proxy_header) if proxy_header else "",
    )


def _with_csrf_cookie(
    send: Send, who: Identity | None, creds: Credentials, settings: Settings
) -> Send:
    """Behind the proxy there is no login response: hand out the CSRF cookie on first use."""
    if who is None or who.via != "proxy" or f"{CSRF_COOKIE}=" in creds.cookies:
        return send
    cookie = csrf_cookie(new_secret(), settings).encode("latin-1")

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
        await send(message)

    return sending


def _wants_page(scope: Scope, exc: SegDicomError) -> bool:
    if not isinstance(exc, Unauthorized) or scope["method"] != "GET":
        return False
    if scope["path"].startswith("/api/"):
        return False
    accept = dict(scope["headers"]).get(b"accept", b"")
    return b"text/html" in accept


async def _redirect(scope: Scope, send: Send) -> None:
    location = scope.get("root_path", "") + "/login.html"
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", location.encode()), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": b""})
