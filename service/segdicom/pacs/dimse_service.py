"""Starter: the C-STORE SCP and the DIMSE client, as the settings ask.

Registered in `services._STARTERS`; the app's lifespan runs it at start and
runs what it appends to `on_stop` at shutdown.
"""

import logging

from segdicom.pacs.dimse import DimsePacs, DimsePeer
from segdicom.pacs.dimse_scp import ScpConfig, StoreScp
from segdicom.pacs.outbox_service import start_outbox
from segdicom.state import AppState

log = logging.getLogger("segdicom.dimse")


def start(st: AppState) -> None:
    """Start the SCP when `dicom_port > 0`; register the DIMSE client when a peer is set."""
    settings = st.settings
    if settings.log_level.upper() != "DEBUG":
        # pynetdicom logs every association and message at INFO.
        logging.getLogger("pynetdicom").setLevel(logging.WARNING)
    if settings.dicom_port > 0:
        _start_scp(st)
    if settings.has_dimse_peer:
        peer = DimsePeer(
            ae_title=settings.pacs_ae_title,
            host=settings.pacs_host,
            port=settings.pacs_dicom_port,
            our_ae_title=settings.ae_title,
            timeout=settings.pacs_timeout,
        )
        st.services["dimse"] = DimsePacs(peer, scp=st.services.get("scp"))
        if "outbox" not in st.services:  # no DICOMweb: SEGs go to the PACS by C-STORE
            start_outbox(st, st.services["dimse"], "C-STORE")


def _start_scp(st: AppState) -> None:
    s = st.settings
    config = ScpConfig(
        ae_title=s.ae_title,
        host=s.dicom_host,
        port=s.dicom_port,
        allowed_aets=s.scp_allowed_aets,
        allowed_hosts=s.scp_allowed_hosts,
    )
    store = st.store

    def put(data: bytes) -> object:
        # The received bytes with a Part 10 header: same checks as put_dataset,
        # without decoding and re-encoding the data set (see bench/bench_cstore.py).
        # Success is answered once the file is fsynced; its index row follows in
        # the next group commit (Store.recover indexes it after a crash).
        return store.put_bytes(data, source="dimse", images_only=False, wait=False)

    scp = StoreScp(config, put)
    scp.start()
    st.services["scp"] = scp
    st.on_stop.append(scp.stop)
