"""The outbox worker: delivers pending SEG exports to the PACS (STOW-RS, or C-STORE over DIMSE).

DESIGN "Delivery": the SEG file is already in the local store and its export
row is `pending`. A background thread claims due rows (a lease, so several
processes on one database never send the same row at once), sends the file,
and records the attempt: `sent`, or the error and the next try with
exponential backoff. Re-sending is idempotent: the same SOP Instance UID.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from segdicom.db import exports as rows
from segdicom.db.types import utcnow
from segdicom.errors import PacsRefused, PacsUnavailable
from segdicom.pacs.dimse_status import never_accepted
from segdicom.pacs.protocol import Pacs
from segdicom.process import identity, is_gone

log = logging.getLogger("segdicom.outbox")

# HTTP answers that say "this object will never be accepted": give up (failed).
# Others (401/403 credentials, 404 wrong URL, 408/429/5xx) may heal: retry.
PERMANENT_HTTP = frozenset(
    {
        HTTPStatus.BAD_REQUEST,
        HTTPStatus.CONFLICT,
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        HTTPStatus.UNPROCESSABLE_ENTITY,
    }
)


@dataclass(frozen=True)
class Attempt:
    """How a delivery went: `error` is None when sent; `permanent` gives up retrying."""

    error: str | None = None
    permanent: bool = False


@dataclass(frozen=True)
class Claimed:
    id: int
    path: str
    attempts: int
    sop_instance_uid: str
    sr_path: str = ""  # the measurement report sent after the SEG, if any


class Outbox:
    """One delivery thread; `wake()` makes it look for due exports at once."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        pacs: Pacs,
        resolve: Callable[[str], Path],
        interval: float,
        max_backoff: float,
        lease: float = 120.0,
    ) -> None:
        self.sessions = sessions
        self.pacs = pacs
        self.resolve = resolve
        self.interval = interval
        self.max_backoff = max_backoff
        self.lease = timedelta(seconds=lease)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)

    def start(self) -> None:
        """Start delivering. Claims of a process of this host that was killed are
        released at once; those of running processes (or other hosts) stay until
        their lease ends, so no export is sent twice at the same time."""
        with self.sessions.begin() as session:
            released = rows.release_abandoned(session, is_gone)
        if released:
            log.warning("released %d deliveries claimed by a process that died", released)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def backoff(self, attempts: int) -> float:
        """Seconds before attempt `attempts + 1`: doubling from the interval, capped."""
        return float(min(self.max_backoff, self.interval * 2 ** max(0, attempts - 1)))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_due()
            except Exception:  # the loop must survive a database hiccup
                log.exception("outbox pass failed; retrying in %.1fs", self.interval)
            self._wake.wait(self.interval)
            self._wake.clear()

    def deliver_due(self) -> int:
        """Send every export that is due now; answers how many were attempted."""
        count = 0
        while not self._stop.is_set() and (claimed := self._claim()) is not None:
            self._deliver(claimed)
            count += 1
        return count

    def _claim(self) -> Claimed | None:
        with self.sessions.begin() as session:
            row = rows.claim_due(session, utcnow(), self.lease, identity())
            if row is None:
                return None
            return Claimed(row.id, row.path, row.attempts, row.sop_instance_uid, row.sr_path)

    def _deliver(self, claimed: Claimed) -> None:
        attempt = self._send(claimed)
        error = attempt.error
        retry_in = None if attempt.permanent else self.backoff(claimed.attempts + 1)
        with self.sessions.begin() as session:
            rows.record_attempt(session, claimed.id, error, retry_in)
        if error:
            log.warning(
                "export %d not delivered (attempt %d): %s", claimed.id, claimed.attempts + 1, error
            )
        else:
            log.info("export %d delivered: SEG %s", claimed.id, claimed.sop_instance_uid)

    def _send(self, claimed: Claimed) -> Attempt:
        """Send the SEG, then its SR (same SOP Instance UIDs on every attempt)."""
        for kind, path in (("SEG", claimed.path), ("SR", claimed.sr_path)):
            if not path:
                continue
            prefix = "" if kind == "SEG" else "SR: "
            try:
                self.pacs.store(self.resolve(path))
            except PacsRefused as exc:
                return Attempt(prefix + exc.detail, permanent=is_permanent(exc))
            except PacsUnavailable as exc:
                return Attempt(prefix + exc.detail)
            except OSError as exc:
                return Attempt(f"{kind} file {path} cannot be read: {exc}")
        return Attempt()


def is_permanent(exc: PacsRefused) -> bool:
    """The PACS will never accept this object as it is: retrying cannot help."""
    if exc.http_status is not None and exc.http_status in PERMANENT_HTTP:
        return True
    # A C-STORE status, or a STOW-RS Failure Reason (the same codes, PS3.18 10.5.3).
    return exc.dimse_status is not None and never_accepted(exc.dimse_status)
