"""The C-STORE SCP: instances sent over DIMSE go into the local store.

PS3.4 Annex B (Storage Service Class) and Annex A (Verification). Every Storage
SOP class is accepted in every transfer syntax pydicom knows, so a PACS can
send what it holds as it holds it; whether the pixels decode is the store's
check, answered per instance with a failure status. The received bytes are
written as they came (a Part 10 header in front), never decoded and re-encoded.
pynetdicom runs each association in its own thread, so several senders can
send at once.
"""

import contextlib
import copy
import logging
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from pydicom.uid import AllTransferSyntaxes
from pynetdicom import (
    AE,
    PYNETDICOM_IMPLEMENTATION_UID,
    PYNETDICOM_IMPLEMENTATION_VERSION,
    AllStoragePresentationContexts,
    evt,
)
from pynetdicom.association import Association
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.presentation import PresentationContext
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]
from pynetdicom.transport import AssociationSocket, RequestHandler, ThreadedAssociationServer

from segdicom.config import ConfigError
from segdicom.errors import SegDicomError
from segdicom.pacs.dimse_status import SUCCESS, Status, store_failure

log = logging.getLogger("segdicom.dimse")

# Stores one received instance, given as a Part 10 file; raises SegDicomError.
PutInstance = Callable[[bytes], object]

# Retired JPEG processes (PS3.5 Table A-1, retired): pydicom does not list them.
# Accepted anyway so that the sender gets a per-instance reason ("unsupported
# compression") instead of an unexplained rejected presentation context.
_RETIRED_JPEG = [f"1.2.840.10008.1.2.4.{n}" for n in (52, 53, 54, 55, 56, *range(58, 67))]
TRANSFER_SYNTAXES = [str(ts) for ts in AllTransferSyntaxes] + _RETIRED_JPEG

# A-ASSOCIATE-RJ (PS3.8 9.3.4): rejected-permanent, by the service user,
# "calling AE title not recognised" / "no reason given".
_REJECT_AET = (0x01, 0x01, 0x03)
_REJECT_HOST = (0x01, 0x01, 0x01)


@dataclass(frozen=True)
class ScpConfig:
    """Where the SCP listens and whom it accepts (empty allow-lists: everyone)."""

    ae_title: str
    host: str
    port: int
    allowed_aets: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    max_associations: int = 16
    timeout: float = 60.0
    # Largest P-DATA PDU we accept (PS3.8 D.1). Big PDUs mean fewer, larger
    # reads: the sender cuts a 512 KB slice into 2 PDUs instead of 32.
    max_pdu: int = 1024 * 1024


class StoreScp:
    """A Verification + Storage SCP feeding `put`; `start()` returns at once."""

    def __init__(self, config: ScpConfig, put: PutInstance) -> None:
        self.config = config
        self._put = put
        self._allowed_hosts = _resolve_hosts(config.allowed_hosts)
        self._server: Any = None
        self._routes: dict[tuple[str, int], PutInstance] = {}
        self._routes_lock = threading.Lock()
        # Metrics hook: "association", "stored" or "refused" (observability sets it).
        self.on_event: Callable[[str], None] = _ignore
        # Told (calling AE title, what `put` returned) after each instance pushed to us
        # (not those a C-MOVE of ours brought); must return at once (projects' rules).
        self.on_stored: Callable[[str, object], None] = _ignore_stored

    @property
    def port(self) -> int:
        """The port actually listened on (the configured one, or the one given for 0)."""
        if self._server is None:
            return self.config.port
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Listen on host:port in pynetdicom's threads; raise ConfigError if it cannot."""
        ae = self._make_ae()
        handlers: list[Any] = [
            (evt.EVT_C_STORE, self._on_store),
            (evt.EVT_REQUESTED, self._on_requested),
            (evt.EVT_ACCEPTED, lambda _: self.on_event("association")),
        ]
        address = (self.config.host, self.config.port)
        try:
            server = ae.make_server(
                address,
                contexts=_Contexts(ae.supported_contexts),
                evt_handlers=handlers,
                server_class=ThreadedAssociationServer,
                request_handler=_RequestHandler,
            )
        except OSError as exc:
            raise ConfigError(
                f"SEGDICOM_DICOM_PORT: cannot listen for DICOM on "
                f"{self.config.host}:{self.config.port} ({exc.strerror or exc})"
            ) from None
        # As AE.start_server(block=False) does, with our request handler.
        ae._servers.append(server)  # where server.shutdown() takes it from
        threading.Thread(target=server.serve_forever, name="dicom-scp", daemon=True).start()
        self._server = server
        log.info("C-STORE SCP %s listening on %s:%d", ae.ae_title, self.config.host, self.port)

    def stop(self) -> None:
        """Stop listening and end the open associations."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()

    @contextlib.contextmanager
    def route(self, originator_aet: str, message_id: int, put: PutInstance) -> Iterator[None]:
        """While open, instances sent for the C-MOVE (`originator_aet`, `message_id`)
        go to `put` instead of the store (PS3.7 9.1.1.1: Move Originator fields)."""
        key = (originator_aet.strip(), message_id)
        with self._routes_lock:
            self._routes[key] = put
        try:
            yield
        finally:
            with self._routes_lock:
                self._routes.pop(key, None)

    def _make_ae(self) -> AE:
        c = self.config
        ae = AE(ae_title=c.ae_title)
        ae.maximum_associations = c.max_associations
        ae.maximum_pdu_size = c.max_pdu
        ae.acse_timeout = ae.dimse_timeout = c.timeout
        ae.network_timeout = c.timeout
        ae.require_calling_aet = list(c.allowed_aets)
        ae.add_supported_context(Verification)
        for context in AllStoragePresentationContexts:
            ae.add_supported_context(str(context.abstract_syntax), TRANSFER_SYNTAXES)
        return ae

    def _on_requested(self, event: evt.Event) -> None:
        """Reject (and log) an association from a host or a calling AE title not on
        the allow-lists (EVT_REQUESTED)."""
        assoc = event.assoc
        host = str(assoc.requestor.address)
        # The A-ASSOCIATE-RQ: pynetdicom copies its AE titles to `requestor` only later.
        request = assoc.requestor.primitive  # set before EVT_REQUESTED is triggered
        calling = str(request.calling_ae_title if request else "").strip()
        if self._allowed_hosts and host not in self._allowed_hosts:
            why, reason = "host not allowed", _REJECT_HOST
        elif self.config.allowed_aets and calling not in self.config.allowed_aets:
            why, reason = "calling AE title not allowed", _REJECT_AET
        else:
            return
        log.warning(
            "C-STORE SCP: association from %s (calling AE %r) rejected: %s", host, calling, why
        )
        # As pynetdicom does for a calling AE title it does not accept.
        assoc.acse.send_reject(*reason)
        assoc.is_rejected = True
        assoc.kill()

    def _on_store(self, event: evt.Event) -> Any:
        """Store one instance; answer success only once it is durable and indexed."""
        status = self._store(event)
        self.on_event("stored" if status.is_success else "refused")
        if not status.is_success:
            calling = str(event.assoc.requestor.ae_title).strip()
            sop = str(cast(C_STORE, event.request).AffectedSOPInstanceUID)
            log.warning(
                "C-STORE from %s of %s refused with 0x%04X: %s",
                calling,
                sop,
                status.code,
                status.comment,
            )
            return status.dataset()
        return SUCCESS  # a bare code: pynetdicom builds no dataset to copy it from

    def _store(self, event: evt.Event) -> Status:
        try:
            put = self._put_for(event)
            stored = put(part10(event))
            if put is self._put:
                self.on_stored(str(event.assoc.requestor.ae_title).strip(), stored)
        except SegDicomError as exc:
            return store_failure(exc)
        except Exception as exc:  # a bug must not be acknowledged as stored
            log.exception("C-STORE SCP: unexpected error while storing")
            return store_failure(SegDicomError(f"internal error: {type(exc).__name__}"))
        return Status(SUCCESS)

    def _put_for(self, event: evt.Event) -> PutInstance:
        """The route of the C-MOVE this C-STORE belongs to, else the store."""
        request = cast(C_STORE, event.request)
        message_id = request.MoveOriginatorMessageID
        if message_id is None:
            return self._put
        key = (str(request.MoveOriginatorApplicationEntityTitle or "").strip(), int(message_id))
        with self._routes_lock:
            return self._routes.get(key, self._put)


class _WholeReads(AssociationSocket):
    """pynetdicom's association socket, reading a PDU in as few calls as the kernel allows.

    pynetdicom reads a PDU 4 KiB per recv(2), so a 512 KiB slice costs 128 calls,
    each giving up the GIL and waiting to get it back from the threads that check,
    write and index the instance before it; here each call fills what is left.
    """

    def recv(self, nr_bytes: int) -> bytearray:
        sock = cast(socket.socket, self.socket)
        buffer = bytearray(nr_bytes)
        got = 0
        with memoryview(buffer) as view:
            while got < nr_bytes:
                read = sock.recv_into(view[got:], nr_bytes - got)
                if not read:  # the peer closed: what came, as pynetdicom answers
                    break
                got += read
        del buffer[got:]
        return buffer


class _Contexts(list[PresentationContext]):
    """The SCP's presentation contexts, copied quickly for each association.

    pynetdicom deep-copies the acceptor's contexts per association; ours are every
    storage SOP class in every transfer syntax (9,000 UIDs), which deepcopy takes
    50-120 ms over. A copy of each context and of its list of transfer syntaxes
    is as deep as it needs to be: the UIDs in it are immutable strings.
    """

    def __deepcopy__(self, memo: dict[int, object]) -> list[PresentationContext]:
        copies = []
        for context in self:
            twin = copy.copy(context)
            twin._transfer_syntax = list(context._transfer_syntax)
            copies.append(twin)
        return copies


class _RequestHandler(RequestHandler):
    def _create_association(self) -> Association:
        assoc = super()._create_association()
        # The socket pynetdicom made for this connection, reading with _WholeReads
        # (a subclass adding no state; made by pynetdicom, so swapped in place).
        assoc.dul.socket.__class__ = _WholeReads
        return assoc


def part10(event: evt.Event) -> bytes:
    """The C-STORE's data set as received, behind a Part 10 header (PS3.10 7.1).

    What `event.encoded_dataset()` answers, with the File Meta Information
    written here from the request's UIDs and the context's transfer syntax,
    instead of built as a pydicom dataset (deep-copied and encoded per instance,
    a tenth of the time an instance takes to arrive).
    """
    request = cast(C_STORE, event.request)
    elements = b"".join(
        (
            _element(0x0001, b"OB", b"\x00\x01"),
            _element(0x0002, b"UI", _uid(request.AffectedSOPClassUID)),
            _element(0x0003, b"UI", _uid(request.AffectedSOPInstanceUID)),
            _element(0x0010, b"UI", _uid(event.context.transfer_syntax)),
            _IMPLEMENTATION,
        )
    )
    length = _element(0x0000, b"UL", struct.pack("<I", len(elements)))
    data_set = cast(Any, request.DataSet).getbuffer()
    return b"".join((_PREAMBLE, length, elements, data_set))


_PREAMBLE = b"\x00" * 128 + b"DICM"
_LONG_VR = (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN")


def _element(element: int, vr: bytes, value: bytes) -> bytes:
    """A group 0002 element, explicit VR little endian (PS3.5 7.1.2)."""
    if vr in _LONG_VR:
        return struct.pack("<HH2s2xI", 0x0002, element, vr, len(value)) + value
    return struct.pack("<HH2sH", 0x0002, element, vr, len(value)) + value


def _uid(value: object) -> bytes:
    """A UI value: ASCII, padded with NUL to an even length (PS3.5 6.2)."""
    raw = str(value or "").strip("\x00 ").encode("ascii")
    return raw + b"\x00" * (len(raw) % 2)


def _text(value: str) -> bytes:
    raw = value.encode("ascii")
    return raw + b" " * (len(raw) % 2)


_IMPLEMENTATION = _element(0x0012, b"UI", _uid(PYNETDICOM_IMPLEMENTATION_UID)) + _element(
    0x0013, b"SH", _text(PYNETDICOM_IMPLEMENTATION_VERSION)
)


def _ignore(kind: str) -> None:
    pass


def _ignore_stored(calling_ae: str, stored: object) -> None:
    pass


def _resolve_hosts(hosts: tuple[str, ...]) -> frozenset[str]:
    """The allowed hosts as IP addresses (names are resolved once, at start)."""
    addresses: set[str] = set()
    for host in hosts:
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError:
            raise ConfigError(f"SEGDICOM_SCP_ALLOWED_HOSTS: cannot resolve {host!r}") from None
        addresses.update(str(info[4][0]) for info in infos)
    return frozenset(addresses)
