"""Group sync: threads that need their files durable at the same time share the flush.

ARCHITECTURE "Store", rule 4: an instance is acknowledged once its file is
durable. Several associations (or a C-MOVE answered on several) each wait on
an fsync per instance; fsyncs of many files cost a journal commit and a cache
flush each, and stall each other. Here the first thread to ask becomes the
leader and makes durable everything asked for by then, while the others queue
for the next round (leader/follower group commit, as databases do for their
log): one asker fsyncs its own descriptors, as before; a round of several
costs one syncfs(2) of the data folder's filesystem, which flushes them all.
Nobody returns before what they asked for is durable.
"""

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(eq=False)
class _Request:
    fds: tuple[int, ...]
    done: bool = False
    error: Exception | None = None


class GroupSync:
    """`sync(fds)` returns once the files (or folders) open at `fds` are durable.

    `sync_all`: makes every file of the filesystem durable at once (syncfs), or
    None where there is none (each descriptor is then fsynced).
    """

    def __init__(
        self, sync_all: Callable[[], None] | None, fsync: Callable[[int], None] = os.fsync
    ) -> None:
        self._sync_all = sync_all
        self._fsync = fsync
        self._cond = threading.Condition()
        self._queue: list[_Request] = []
        self._leading = False
        self.rounds = 0  # flushes done: fewer than requests when they were shared

    @property
    def waiting(self) -> int:
        """Requests queued for the next round."""
        with self._cond:
            return len(self._queue)

    def sync(self, fds: Sequence[int]) -> None:
        request = _Request(tuple(fds))
        with self._cond:
            self._queue.append(request)
            while not request.done:
                if self._leading:
                    self._cond.wait()
                else:
                    self._lead()
        if request.error is not None:
            raise request.error

    def _lead(self) -> None:
        """Flush every queued request (called holding the lock; released meanwhile)."""
        batch, self._queue = self._queue, []
        self._leading = True
        self._cond.release()
        error: Exception | None = None
        try:
            self._flush(batch)
        except Exception as exc:  # each waiter of the round raises it
            error = exc
        finally:
            self._cond.acquire()
            self._leading = False
            self.rounds += 1
            for request in batch:
                request.done, request.error = True, error
            self._cond.notify_all()

    def _flush(self, batch: list[_Request]) -> None:
        if len(batch) > 1 and self._sync_all is not None:
            self._sync_all()
            return
        for request in batch:
            for fd in request.fds:
                self._fsync(fd)
