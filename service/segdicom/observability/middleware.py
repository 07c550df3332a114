"""ASGI middleware: a request id in and out (X-Request-Id), and latency by route."""

import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from segdicom.asgi import HttpMiddleware
from segdicom.observability.context import accept_or_new, request_id
from segdicom.observability.metrics import Metrics

HEADER = "x-request-id"


class Observe(HttpMiddleware):
    """Outermost middleware: every log line of a request carries its id."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        rid = accept_or_new(Headers(scope=scope).get(HEADER))
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
            _observe(scope, status, time.perf_counter() - started)


def _observe(scope: Scope, status: int, seconds: float) -> None:
    app_state = getattr(scope.get("app"), "state", None)
    st = getattr(app_state, "segdicom", None)
    metrics = getattr(st, "metrics", None)
    if isinstance(metrics, Metrics):
        metrics.observe_request(route_label(scope), scope["method"], status, seconds)


def route_label(scope: Scope) -> str:
    """The route template ("/api/series/{series_uid}"), never the raw path (bounded labels)."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    path = getattr(route, "path", "")
    return str(path) if path else "static"
