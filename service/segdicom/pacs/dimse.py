"""The PACS over DIMSE: C-ECHO, C-FIND, C-MOVE to our own SCP, C-STORE.

`DimsePacs` satisfies `pacs.protocol.Pacs` for archives without DICOMweb.
C-MOVE (PS3.4 C.4.2) asks the PACS to open its own association to our C-STORE
SCP (`move destination` = our AE title), so the PACS must know our AE title,
host and port; if it does not it answers 0xA801, which we report as such.
The sub-operation C-STOREs carry the Move Originator Message ID (PS3.7 9.1.1.1),
which lets our SCP hand the instances of this move to the caller.
"""

import contextlib
import io
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE
from pynetdicom.association import Association
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)

from segdicom.errors import BadInput, PacsRefused, PacsUnavailable, SegDicomError
from segdicom.pacs import dimse_query as q
from segdicom.pacs.dimse_scp import StoreScp
from segdicom.pacs.dimse_status import (
    MOVE_DESTINATION_UNKNOWN,
    PENDING,
    SUCCESS,
    WARNINGS,
    describe,
)
from segdicom.pacs.protocol import OnInstance, SeriesInfo, StudyInfo, StudyQuery
from segdicom.seg.describe import SegDescription

log = logging.getLogger("segdicom.dimse")

# Called with (done, total) sub-operations from each C-MOVE pending response.
OnProgress = Callable[[int, int], None]

FIND = StudyRootQueryRetrieveInformationModelFind
MOVE = StudyRootQueryRetrieveInformationModelMove
MAX_FIND_ANSWERS = 10_000
_OUR_AET = "our AE title"  # the words every error about our AE title uses
T = TypeVar("T")


@dataclass(frozen=True)
class DimsePeer:
    """The PACS (AE title, host, port), our own AE title, and the timeout in seconds."""

    ae_title: str
    host: str
    port: int
    our_ae_title: str
    timeout: float = 30.0

    @property
    def name(self) -> str:
        return f"{self.ae_title}@{self.host}:{self.port}"


class DimsePacs:
    """A PACS spoken to over DIMSE; `scp` (our C-STORE SCP) is needed for C-MOVE."""

    def __init__(self, peer: DimsePeer, scp: StoreScp | None = None) -> None:
        self.peer = peer
        self.scp = scp
        self._message_ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.peer.name

    def echo(self) -> None:
        """C-ECHO: raise PacsUnavailable / PacsRefused unless the PACS answers success."""
        with self._associate([(Verification, None)]) as assoc:
            asked = time.monotonic()
            status = assoc.send_c_echo()
            self._check_final(status, "C-ECHO", waited=time.monotonic() - asked)

    def search_studies(self, flt: StudyQuery, limit: int, offset: int) -> list[StudyInfo]:
        """Studies matching `flt` (C-FIND at STUDY level), `offset` then up to `limit`."""
        found = [q.study_fields(ds) for ds in self._find(q.study_identifier(flt))]
        found.sort(key=lambda s: (s.study_date, s.study_uid), reverse=True)
        return found[offset : offset + limit]

    def search_series(self, study_uid: str) -> list[SeriesInfo]:
        """The series of a study (C-FIND at SERIES level), by series number."""
        found = [q.series_fields(ds) for ds in self._find(q.series_identifier(study_uid))]
        found.sort(key=lambda s: (s.series_number is None, s.series_number or 0))
        return found

    def series_instances(self, study_uid: str, series_uid: str) -> list[str]:
        """The SOP Instance UIDs of a series (C-FIND at IMAGE level)."""
        answers = self._find(q.image_identifier(study_uid, series_uid))
        return sorted(str(ds.get("SOPInstanceUID", "")) for ds in answers)

    def find_segs(self, study_uid: str, series_uid: str) -> list[SegDescription]:
        """The SEG instances of the study.

        C-FIND cannot match on what a SEG references (the Referenced Series
        Sequence is not a query key, PS3.4 C.6.2.1), so this lists every SEG of
        the study; the caller checks the references once it has the files.
        """
        segs: list[SegDescription] = []
        for series in self._find(q.series_identifier(study_uid, modality="SEG")):
            seg_series = str(series.get("SeriesInstanceUID", ""))
            for ds in self._find(q.image_identifier(study_uid, seg_series)):
                segs.append(_seg_fields(ds, study_uid, seg_series, series))
        return segs

    def retrieve_series(
        self,
        study_uid: str,
        series_uid: str,
        on_instance: OnInstance,
        skip: set[str],
        on_progress: OnProgress | None = None,
    ) -> int:
        """C-MOVE the series (less `skip`) to our SCP; `on_instance` gets each arrival.

        Answers how many sub-operations completed. Needs our C-STORE SCP running.
        """
        if self.scp is None:
            raise BadInput("C-MOVE needs our C-STORE SCP: set SEGDICOM_DICOM_PORT > 0")
        wanted = None
        if skip:
            wanted = [u for u in self.series_instances(study_uid, series_uid) if u not in skip]
            if not wanted:
                return 0
        identifier = q.move_identifier(study_uid, series_uid, wanted)
        msg_id = self._next_message_id()
        with self.scp.route(self.peer.our_ae_title, msg_id, on_instance):
            try:
                return self._move(identifier, msg_id, on_progress)
            except (PacsRefused, PacsUnavailable) as exc:
                if _names_our_ae(exc):  # already says so (0xA801, a rejection, an abort)
                    raise
                # Orthanc 1.10 answers 0xC000 for an unknown move destination and
                # silently drops a C-MOVE from an AE title it does not know.
                hint = (
                    f"; if the PACS does not know {_OUR_AET} {self.peer.our_ae_title!r} "
                    "(with our host and DICOM port: Orthanc DicomModalities) it fails this way"
                )
                raise _with_hint(exc, hint) from None

    def store(self, data: Path | bytes) -> None:
        """C-STORE one Part 10 object; raise PacsRefused unless the PACS keeps it."""
        raw = data.read_bytes() if isinstance(data, Path) else data
        ds = pydicom.dcmread(io.BytesIO(raw))
        syntax = UID(ds.file_meta.TransferSyntaxUID)
        syntaxes = [syntax, ExplicitVRLittleEndian, ImplicitVRLittleEndian]
        if syntax.is_compressed:
            syntaxes = [syntax]
        with self._associate([(ds.SOPClassUID, list(dict.fromkeys(syntaxes)))]) as assoc:
            asked = time.monotonic()
            status = assoc.send_c_store(ds)
            waited = time.monotonic() - asked
            code = self._check_final(status, "C-STORE", allow=WARNINGS, waited=waited)
        if code in WARNINGS:
            log.warning("C-STORE to %s: %s", self.name, describe(code))

    def _move(self, identifier: Dataset, msg_id: int, on_progress: OnProgress | None) -> int:
        answers = Dataset()
        with self._associate([(MOVE, None)]) as assoc:
            dest = self.peer.our_ae_title
            clock = _Waits()
            for status, _ in clock.each(assoc.send_c_move(identifier, dest, MOVE, msg_id=msg_id)):
                if status and status.Status in PENDING and on_progress is not None:
                    on_progress(*_suboperations(status))
                answers = status
            self._check_final(answers, "C-MOVE", waited=clock.last)
        done, _ = _suboperations(answers)
        failed = int(answers.get("NumberOfFailedSuboperations", 0) or 0)
        if failed:
            raise PacsRefused(
                f"C-MOVE from {self.name}: {failed} instances failed to arrive",
                dimse_status=int(answers.Status),
            )
        return done

    def _find(self, identifier: Dataset) -> list[Dataset]:
        answers: list[Dataset] = []
        with self._associate([(FIND, None)]) as assoc:
            status, clock = Dataset(), _Waits()
            for status, found in clock.each(assoc.send_c_find(identifier, FIND)):
                pending = bool(status) and status.Status in PENDING
                if pending and found is not None and len(answers) < MAX_FIND_ANSWERS:
                    answers.append(found)
            self._check_final(status, "C-FIND", waited=clock.last)
        return answers

    @contextlib.contextmanager
    def _associate(self, contexts: list[tuple[str, Any]]) -> Iterator[Association]:
        ae = AE(ae_title=self.peer.our_ae_title)
        timeout = self.peer.timeout
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
        ae.connection_timeout = timeout
        for abstract, syntaxes in contexts:
            if syntaxes is None:
                ae.add_requested_context(abstract)
            else:
                ae.add_requested_context(abstract, syntaxes)
        assoc = ae.associate(self.peer.host, self.peer.port, ae_title=self.peer.ae_title)
        if not assoc.is_established:
            raise self._not_established(assoc)
        try:
            yield assoc
        finally:
            if assoc.is_established:
                assoc.release()

    def _not_established(self, assoc: Association) -> Exception:
        if assoc.is_rejected:
            rj = assoc.acceptor.primitive
            reason = "no reason received"
            if rj is not None:
                reason = f"result {rj.result}, source {rj.result_source}, reason {rj.diagnostic}"
            return PacsRefused(
                f"{self.name} rejected the association from AE {self.peer.our_ae_title!r} "
                f"({reason}, PS3.8 9.3.4): is {_OUR_AET} allowed there?",
                names_our_ae=True,
            )
        return PacsUnavailable(
            f"cannot reach {self.name} over DIMSE within {self.peer.timeout:g}s "
            "(connection refused, timed out or aborted)"
        )

    def _check_final(
        self, status: Dataset, what: str, allow: tuple[int, ...] = (), waited: float = 0.0
    ) -> int:
        """The final status of an operation; raise unless success (or an allowed one).

        `waited`: seconds between the last message before `status` and `status`.
        """
        if not status or "Status" not in status:
            raise self._no_answer(what, waited)
        code = int(status.Status)
        if code == SUCCESS or code in allow:
            return code
        comment = str(status.get("ErrorComment", "") or "").strip()
        detail = f"{what} refused by {self.name}: {describe(code)}"
        if code == MOVE_DESTINATION_UNKNOWN:
            detail += (
                f": the PACS does not know {_OUR_AET} {self.peer.our_ae_title!r}; register "
                "it there with our host and DICOM port (Orthanc: DicomModalities)"
            )
        raise PacsRefused(
            f"{detail}{': ' + comment if comment else ''}",
            dimse_status=code,
            names_our_ae=code == MOVE_DESTINATION_UNKNOWN,
        )

    def _no_answer(self, what: str, waited: float) -> PacsUnavailable:
        """No status came: the DIMSE timeout ran out, or the PACS cut the association.

        pynetdicom answers both with an empty status; only the timeout takes the
        full `timeout` seconds. A PACS that refuses a request from an AE title
        it does not know often aborts (Orthanc: "not listed in DicomModalities").
        """
        if waited >= self.peer.timeout:
            return PacsUnavailable(
                f"{what}: no answer from {self.name} within {self.peer.timeout:g}s"
            )
        return PacsUnavailable(
            f"{what}: {self.name} aborted the association instead of answering "
            f"(after {waited:.1f}s); a PACS does this when it does not know "
            f"{_OUR_AET} {self.peer.our_ae_title!r}: register it there with our host "
            "and DICOM port (Orthanc: DicomModalities)",
            aborted=True,
        )

    def _next_message_id(self) -> int:
        with self._lock:
            return (next(self._message_ids) - 1) % 0xFFFF + 1  # Message ID is US, not 0


class _Waits:
    """How long the last response of an operation took (the DIMSE timeout is per message)."""

    def __init__(self) -> None:
        self.last = 0.0

    def each(self, responses: Iterator[T]) -> Iterator[T]:
        while True:
            asked = time.monotonic()
            try:
                response = next(responses)
            except StopIteration:
                return
            self.last = time.monotonic() - asked
            yield response


def _names_our_ae(exc: PacsRefused | PacsUnavailable) -> bool:
    """The error already tells the user to register our AE title at the PACS."""
    if isinstance(exc, PacsRefused):
        return exc.names_our_ae
    return exc.aborted


def _with_hint(exc: PacsRefused | PacsUnavailable, hint: str) -> SegDicomError:
    """The same error, same fields, with `hint` appended to its message."""
    if isinstance(exc, PacsRefused):
        return PacsRefused(
            exc.detail + hint, http_status=exc.http_status, dimse_status=exc.dimse_status
        )
    return PacsUnavailable(exc.detail + hint)


def _suboperations(status: Dataset) -> tuple[int, int]:
    """(done, total) from the Number of ... Suboperations of a C-MOVE response."""
    counts = {
        name: int(status.get(f"NumberOf{name}Suboperations", 0) or 0)
        for name in ("Remaining", "Completed", "Failed", "Warning")
    }
    done = counts["Completed"] + counts["Failed"] + counts["Warning"]
    return done, done + counts["Remaining"]


def _seg_fields(ds: Dataset, study_uid: str, series_uid: str, series: Dataset) -> SegDescription:
    number = ds.get("InstanceNumber")
    return SegDescription(
        sop_instance_uid=str(ds.get("SOPInstanceUID", "")),
        series_uid=series_uid,
        study_uid=study_uid,
        description=str(series.get("SeriesDescription", "") or ""),
        instance_number=int(number) if number not in (None, "") else None,
        content_label=str(ds.get("ContentLabel", "") or ""),
    )
