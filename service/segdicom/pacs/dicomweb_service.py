"""Starter: the DICOMweb PACS client and the outbox, when SEGDICOM_DICOMWEB_URL is set.

Registered in `services._STARTERS`; registers `services["dicomweb"]`,
`services["outbox"]` and `services["outbox_wake"]`, and their stops.
"""

import logging

from segdicom.pacs.dicomweb import DicomWebPacs
from segdicom.pacs.outbox_service import start_outbox
from segdicom.state import AppState

log = logging.getLogger("segdicom.pacs")


def start(st: AppState) -> None:
    settings = st.settings
    if not settings.has_dicomweb:
        return
    pacs = DicomWebPacs.from_settings(settings)
    st.services["dicomweb"] = pacs
    st.on_stop.append(pacs.close)
    start_outbox(st, pacs, "STOW-RS")
    log.info("DICOMweb PACS %s", pacs.name)
