"""Optional parts started by the lifespan when their settings are present.

Each part registers itself in `AppState.services` and its stop in `on_stop`.
"""

import logging

from segdicom import observability
from segdicom.pacs import dicomweb_service, dimse_service
from segdicom.state import AppState

log = logging.getLogger("segdicom")


def start_services(st: AppState) -> None:
    """Start the PACS client, the outbox and the C-STORE SCP as configured."""
    for starter in _STARTERS:
        starter(st)


_STARTERS: list = [dicomweb_service.start, dimse_service.start, observability.start]  # type: ignore[type-arg]
