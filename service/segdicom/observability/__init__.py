"""Observability: a request id on every log line, JSON logs as an option, /metrics.

`Observe` (ASGI middleware) gives each request an id (the client's
`X-Request-Id` when it is sane, else a new one), answers it in the same header,
and times the request by route. `services.start_services` configures logging
and, when `SEGDICOM_METRICS` is on, sets the Prometheus `Metrics` on the state.
"""

from segdicom.observability.context import request_id
from segdicom.observability.logs import JsonFormatter, RequestIdFilter, configure_logging
from segdicom.observability.metrics import Metrics, metrics_endpoint
from segdicom.observability.middleware import Observe

__all__ = [
    "JsonFormatter",
    "Metrics",
    "Observe",
    "RequestIdFilter",
    "configure_logging",
    "metrics_endpoint",
    "request_id",
]
