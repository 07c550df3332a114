"""Group commit for the instance index.

Writing the file (fsync) is what makes an instance durable; committing its
index row costs another fsync. One thread commits every row waiting at that
moment in one transaction, so concurrent receivers share the cost, and callers
that do not need to wait (a pull, a C-STORE association) don't pay it per
instance. A crash between the file and its row is repaired at start by
`Store.recover`, which indexes the stored files the index lacks in the study
folders that the store journal (store/journal.py) of the dead writer lists.

One file per SOP Instance UID: a row that moves an instance to another path
(sent again in another series or study) names the old path as stale once the
new row is committed, and the store removes that file. A row of a recovery
(a file found without a row) replaces the indexed copy only when its file is
the newer one: an older copy left by a crash never wins.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from segdicom.db import instances as index
from segdicom.db.engine import is_transient
from segdicom.db.types import utcnow
from segdicom.store.ingest import InstanceInfo

log = logging.getLogger("segdicom.store")
RECOVERED = "recovered"  # the source of rows for files found by a recovery or reindex
LINGER_SECONDS = 0.05  # with nobody waiting, gather rows this long before committing
MAX_BATCH = 256  # x 22 columns stays under SQLite's bound-variable limit
RETRY_SECONDS = 0.5


class _Wake:
    """Queued by a waiter so that a lingering batch is committed at once."""


_WAKE = _Wake()


@dataclass(frozen=True)
class Pending:
    info: InstanceInfo
    path: str
    size: int
    source: str
    synced: bool = True  # False: the file must be fsynced before its row is committed
    received_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class Committed:
    """What one batch committed: every row whose ticket is at most `through`."""

    through: int
    rows: list[Pending]
    series_uids: set[str]  # of the rows, and of the rows they moved away from
    stale: list[str]  # paths of files no row names any more (moved, or older copies)


class IndexWriter:
    """A thread that commits queued index rows in batches, in submission order.

    `on_committed(Committed)` is called after each batch. `newer(a, b)`: whether
    the file at path `a` is newer than the one at `b` (for rows of a recovery).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        on_committed: Callable[[Committed], None],
        sync: Callable[[list[str]], None],
        newer: Callable[[str, str], bool] = lambda a, b: True,
    ) -> None:
        self._sessions = sessions
        self._sync = sync
        self._newer = newer
        self._on_committed = on_committed
        self._queue: queue.Queue[Pending | _Wake | None] = queue.Queue()
        self._submitted = 0
        self._committed = 0
        self._waiters = 0
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="segdicom-indexer", daemon=True)
        self._thread.start()

    def submit(self, row: Pending) -> int:
        """Queue a row; returns its ticket for `wait`."""
        with self._cond:
            self._submitted += 1
            ticket = self._submitted
            self._queue.put(row)
        return ticket

    def wait(self, ticket: int | None = None, timeout: float = 60.0) -> None:
        """Block until the row with `ticket` (default: every row so far) is committed."""
        with self._cond:
            target = self._submitted if ticket is None else ticket
            if self._committed >= target:
                return
            self._waiters += 1
            self._queue.put(_WAKE)  # a waiter means: commit now, don't linger
            try:
                if not self._cond.wait_for(lambda: self._committed >= target, timeout):
                    raise TimeoutError(f"index commit not done after {timeout} s")
            finally:
                self._waiters -= 1

    def close(self) -> None:
        self.wait()
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first] if isinstance(first, Pending) else []
            if not self._gather(batch):
                self._commit(batch)
                return
            self._commit(batch)

    def _gather(self, batch: list[Pending]) -> bool:
        """Add queued rows to `batch`; linger while nobody waits. False on close."""
        deadline = time.monotonic() + LINGER_SECONDS
        while len(batch) < MAX_BATCH:
            with self._cond:
                hurry = self._waiters > 0
            timeout = 0.0 if hurry else deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
            except queue.Empty:
                return True
            if item is None:
                return False
            if isinstance(item, Pending):
                batch.append(item)
        return True

    def _commit(self, batch: list[Pending]) -> None:
        if not batch:
            return
        series, stale = self._write(batch)
        # Tickets are committed in submission order: this batch ends at this one.
        series |= {p.info.series_uid for p in batch}
        self._on_committed(Committed(self._committed + len(batch), batch, series, stale))
        with self._cond:
            self._committed += len(batch)
            self._cond.notify_all()

    def _write(self, batch: list[Pending]) -> tuple[set[str], list[str]]:
        """Commit the rows of `batch`; retry while the database is away (the files are
        safe meanwhile). A row the database refuses for good (a constraint, bad data)
        is logged once and left out: its file stays and `Store.recover` tries again
        at the next start; the rest of the batch is committed without it.
        Answers the series the rows moved away from and the stale paths."""
        while True:
            try:
                return self._write_once(batch)
            except Exception as exc:
                if not is_transient(exc):
                    return self._write_one_by_one(batch, exc)
                log.exception("index commit of %d instances failed; retrying", len(batch))
                time.sleep(RETRY_SECONDS)

    def _write_once(self, batch: list[Pending]) -> tuple[set[str], list[str]]:
        # Durable before indexed: no row points at a file a power cut could lose.
        self._sync([p.path for p in batch if not p.synced])
        with self._sessions.begin() as session:
            held = index.locations(session, sorted({p.info.sop_instance_uid for p in batch}))
            rows, moved_from, stale = _winners(batch, held, self._newer)
            index.upsert_many(session, [_row(p) for p in rows])
        return moved_from, stale

    def _write_one_by_one(self, batch: list[Pending], exc: Exception) -> tuple[set[str], list[str]]:
        if len(batch) == 1:
            log.error("not indexed (file kept: %s): %s", batch[0].path, exc)
            return set(), []
        series: set[str] = set()
        stale: list[str] = []
        for pending in batch:
            moved_from, paths = self._write([pending])
            series |= moved_from
            stale += paths
        return series, stale


def _winners(
    batch: list[Pending], held: dict[str, tuple[str, str]], newer: Callable[[str, str], bool]
) -> tuple[list[Pending], set[str], list[str]]:
    """The row each SOP Instance UID keeps, the series rows moved away from, and the
    paths no row names any more. Later rows win (they arrived later), except a
    recovered file older than the copy it would replace."""
    winners: dict[str, Pending] = {}
    moved_from: set[str] = set()
    stale: set[str] = set()
    for pending in batch:
        sop = pending.info.sop_instance_uid
        current = winners.get(sop)
        path, series = (
            (current.path, current.info.series_uid) if current else held.get(sop, ("", ""))
        )
        if path and path != pending.path:
            if pending.source == RECOVERED and not newer(pending.path, path):
                stale.add(pending.path)  # an older copy: the indexed one stays
                continue
            stale.add(path)
            moved_from.add(series)
        winners[sop] = pending
    kept = {p.path for p in winners.values()}
    return list(winners.values()), moved_from, sorted(stale - kept)


def _row(pending: Pending) -> dict[str, object]:
    row = index.row_values(pending.info)
    row.update(
        path=pending.path,
        size=pending.size,
        source=pending.source,
        received_at=pending.received_at,
    )
    return row
