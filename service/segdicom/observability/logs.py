"""Log records carry the request id; `SEGDICOM_LOG_FORMAT=json` writes one JSON object a line."""

import json
import logging
from datetime import UTC, datetime

from segdicom.observability.context import request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# uvicorn's loggers have their own handlers and do not propagate to the root.
OWN_HANDLER_LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error")


class RequestIdFilter(logging.Filter):
    """Stamps `record.request_id` ("-" outside a request); never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id (+ exc)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id.get()),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: str) -> None:
    """Put the request-id filter and the chosen format on the root's and uvicorn's handlers."""
    root = logging.getLogger()  # the CLI configured it; an embedding program owns its own
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handlers = list(root.handlers)
    for name in OWN_HANDLER_LOGGERS:
        handlers.extend(logging.getLogger(name).handlers)
    for handler in handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        # Only plain console handlers: a test runner's capture handlers keep theirs.
        if type(handler) is logging.StreamHandler:
            handler.setFormatter(formatter)
