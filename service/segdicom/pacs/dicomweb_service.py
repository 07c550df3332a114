"""Starter: the DICOMweb PACS client and the outbox, when SEGDICOM_DICOMWEB_URL is set.

Registered in `services._STARTERS`; registers `services["dicomweb"]`,
`services["outbox"]` and `services["outbox_wake"]`, and their stops.
"""

import logging

from segdicom.pacs.dicomweb import DicomWebPacs
from segdicom.pacs.outbox import Outbox
from segdicom.state import AppState

log = logging.getLogger("segdicom.pacs")


def start(st: AppState) -> None:
    settings = st.settings
    if not settings.has_dicomweb:
        return
    pacs = DicomWebPacs.from_settings(settings)
    st.services["dicomweb"] = pacs
    st.on_stop.append(pacs.close)
    outbox = Outbox(
        st.sessions,
        pacs,
        st.store.files.absolute,
        interval=settings.outbox_interval,
        max_backoff=settings.outbox_max_backoff,
        lease=max(60.0, 4 * settings.pacs_timeout),
    )
    outbox.start()
    st.services["outbox"] = outbox
    st.services["outbox_wake"] = outbox.wake
    st.on_stop.append(outbox.stop)
    log.info("DICOMweb PACS %s; outbox every %.1fs", pacs.name, settings.outbox_interval)
