"""The optional parts, started by the lifespan in this order when their settings are present.

1. logging (text or JSON, with request ids), so every later step logs in that form;
2. our C-STORE SCP (`dicom_port > 0`): C-MOVE answers arrive there; the project
   rules intake hears of every series it stores (workflows.projects.RuleIntake);
3. the PACS clients: DICOMweb (`dicomweb_url`), DIMSE (`pacs_*`, using the SCP);
4. the outbox, delivering SEGs to the DICOMweb PACS, else to the DIMSE one;
5. the metrics registry (`metrics`), fed by the SCP.

Each part is set on its typed field of `AppState`, and its stop is appended to
`on_stop` (run in reverse at shutdown: the outbox stops before the clients).
"""

import logging

from pynetdicom import _config as pynetdicom_config

from segdicom.config import Settings
from segdicom.observability import Metrics, configure_logging
from segdicom.pacs.dicomweb import DicomWebPacs
from segdicom.pacs.dimse import DimsePacs, DimsePeer
from segdicom.pacs.dimse_scp import ScpConfig, StoreScp
from segdicom.pacs.outbox import Outbox
from segdicom.pacs.protocol import Pacs
from segdicom.state import AppState
from segdicom.store import Stored
from segdicom.workflows.projects import RuleIntake

log = logging.getLogger("segdicom")


def start_services(st: AppState) -> None:
    configure_logging(st.settings.log_format)
    _quiet_pynetdicom(st)
    st.scp = _start_scp(st)
    st.rules = _start_rules(st)
    st.dicomweb = _dicomweb(st)
    st.dimse = _dimse(st)
    st.outbox = _start_outbox(st)
    st.metrics = _metrics(st)


def _quiet_pynetdicom(st: AppState) -> None:
    if st.settings.log_level.upper() != "DEBUG":
        # pynetdicom logs every association and message at INFO; its handlers that
        # format them (bound to each association) are not bound at all.
        logging.getLogger("pynetdicom").setLevel(logging.WARNING)
        pynetdicom_config.LOG_HANDLER_LEVEL = "none"


def scp_config(s: Settings) -> ScpConfig:
    """The receiver's settings. Allow-lists also take the DIMSE PACS peer: it answers
    our C-MOVEs by connecting back with its own AE title, which the list would refuse."""
    aets, hosts = s.scp_allowed_aets, s.scp_allowed_hosts
    if s.has_dimse_peer:
        if aets and s.pacs_ae_title not in aets:
            aets = (*aets, s.pacs_ae_title)
        if hosts and s.pacs_host not in hosts:
            hosts = (*hosts, s.pacs_host)
    return ScpConfig(
        ae_title=s.ae_title,
        host=s.dicom_host,
        port=s.dicom_port,
        allowed_aets=aets,
        allowed_hosts=hosts,
    )


def _start_scp(st: AppState) -> StoreScp | None:
    s = st.settings
    if s.dicom_port <= 0:
        return None
    config = scp_config(s)
    store = st.store

    def put(data: bytes) -> object:
        # The received bytes with a Part 10 header: same checks as put_dataset,
        # without decoding and re-encoding the data set (see bench/bench_cstore.py).
        # Success is answered once the file is fsynced; its index row follows in
        # the next group commit (Store.recover indexes it after a crash).
        return store.put_bytes(data, source="dimse", images_only=False, wait=False)

    scp = StoreScp(config, put)
    scp.start()
    st.on_stop.append(scp.stop)
    return scp


def _start_rules(st: AppState) -> RuleIntake | None:
    """Series pushed to the SCP become cases of the projects whose rules they match."""
    scp = st.scp
    if scp is None:
        return None
    intake = RuleIntake(st)
    st.on_stop.append(intake.close)

    def stored(calling_ae: str, result: object) -> None:
        if isinstance(result, Stored) and result.info.is_image:
            intake.offer(calling_ae, result.info)

    scp.on_stored = stored
    return intake


def _dicomweb(st: AppState) -> DicomWebPacs | None:
    if not st.settings.has_dicomweb:
        return None
    pacs = DicomWebPacs.from_settings(st.settings)
    st.on_stop.append(pacs.close)
    log.info("DICOMweb PACS %s", pacs.name)
    return pacs


def _dimse(st: AppState) -> DimsePacs | None:
    s = st.settings
    if not s.has_dimse_peer:
        return None
    peer = DimsePeer(
        ae_title=s.pacs_ae_title,
        host=s.pacs_host,
        port=s.pacs_dicom_port,
        our_ae_title=s.ae_title,
        timeout=s.pacs_timeout,
    )
    return DimsePacs(peer, scp=st.scp)


def _start_outbox(st: AppState) -> Outbox | None:
    """One delivery thread: STOW-RS to the DICOMweb PACS, else C-STORE to the DIMSE one."""
    pacs: Pacs | None = st.dicomweb or st.dimse
    if pacs is None:
        return None
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
    st.on_stop.append(outbox.stop)
    how = "STOW-RS" if pacs is st.dicomweb else "C-STORE"
    log.info("outbox delivers SEGs to %s by %s every %.1fs", pacs.name, how, s.outbox_interval)
    return outbox


def _metrics(st: AppState) -> Metrics | None:
    if not st.settings.metrics:
        return None
    metrics = Metrics(st.sessions, st.cache)
    if st.scp is not None:
        st.scp.on_event = metrics.scp_event
    return metrics
