"""Start the outbox for whichever PACS delivers SEGs (DICOMweb, else DIMSE)."""

import logging

from segdicom.pacs.outbox import Outbox
from segdicom.pacs.protocol import Pacs
from segdicom.state import AppState

log = logging.getLogger("segdicom.outbox")


def start_outbox(st: AppState, pacs: Pacs, how: str) -> None:
    """One delivery thread to `pacs`, registered in `st.services` and stopped with the app."""
    s = st.settings
    outbox = Outbox(
        st.sessions,
        pacs,
        st.store.files.absolute,
        interval=s.outbox_interval,
        max_backoff=s.outbox_max_backoff,
        lease=max(60.0, 4 * s.pacs_timeout),
    )
    outbox.start()
    st.services["outbox"] = outbox
    st.services["outbox_wake"] = outbox.wake
    st.on_stop.append(outbox.stop)
    log.info("outbox delivers SEGs to %s by %s every %.1fs", pacs.name, how, s.outbox_interval)
