"""Starter: logging with request ids (text or JSON) and, when on, the metrics registry."""

from segdicom.observability.logs import configure_logging
from segdicom.observability.metrics import Metrics
from segdicom.state import AppState


def start(st: AppState) -> None:
    """Configure logging; register `Metrics` and hook it to the SCP when one runs."""
    configure_logging(st.settings.log_format)
    if not st.settings.metrics:
        return
    metrics = Metrics(st)
    st.services["metrics"] = metrics
    scp = st.services.get("scp")
    if scp is not None:
        scp.on_event = metrics.scp_event
