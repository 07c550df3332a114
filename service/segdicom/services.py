"""Optional parts started by the lifespan when their settings are present.

Each part registers itself in `AppState.services` and its stop in `on_stop`.
"""

import logging

from segdicom import observability
from segdicom.pacs import dicomweb_service, dimse_service
from segdicom.state import AppState
from segdicom.store import Stored
from segdicom.workflows.projects import RuleIntake

log = logging.getLogger("segdicom")


def start_services(st: AppState) -> None:
    """Start the PACS client, the outbox and the C-STORE SCP as configured."""
    for starter in _STARTERS:
        starter(st)


def start_rules(st: AppState) -> None:
    """Series pushed to the SCP become cases of the projects whose rules they match."""
    scp = st.services.get("scp")
    if scp is None:
        return
    intake = st.services["rules"] = RuleIntake(st)
    st.on_stop.append(intake.close)

    def stored(calling_ae: str, result: object) -> None:
        if isinstance(result, Stored) and result.info.is_image:
            intake.offer(calling_ae, result.info)

    scp.on_stored = stored


_STARTERS: list = [dicomweb_service.start, dimse_service.start, start_rules, observability.start]  # type: ignore[type-arg]
