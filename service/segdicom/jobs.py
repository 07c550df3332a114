"""The jobs running in this process: one per key, each on its own thread.

A pull (`workflows.retrieve`) and a SEG import from the PACS
(`workflows.import_pacs`) both start here: a second request for the same key
(a series, a SEG) while one runs gets the running job's id; `stop` (at
shutdown) sets `stopping`, which the jobs check between two instances, and
waits a little for their threads. Their progress is in the database (db.jobs).
"""

import threading
from collections.abc import Callable

from segdicom.enums import JobKind

STOP_WAIT = 5.0  # seconds shutdown waits for running jobs to notice `stopping`


class Jobs:
    def __init__(self, ended: Callable[[str], bool] = lambda job_id: False) -> None:
        """`ended(job_id)`: whether the job has said its last (done or failed) while its
        thread still winds down; a request for its key then starts a new job: a retry
        asked the moment a failure shows must not get the failed job back."""
        self._ended = ended
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._running: dict[tuple[JobKind, str], str] = {}
        self._threads: dict[str, threading.Thread] = {}

    def start(
        self, kind: JobKind, key: str, create: Callable[[], str], work: Callable[[str], None]
    ) -> str:
        """The id of the running `kind` job for `key`, or of a new one: `create()` makes
        its row and answers its id, `work(job_id)` runs on a new thread."""
        with self._lock:
            running = self._running.get((kind, key))
            if running is not None and not self._ended(running):
                return running
            job_id = create()
            self._running[(kind, key)] = job_id
            thread = threading.Thread(
                target=self._run,
                args=(kind, key, job_id, work),
                name=f"{kind}-{job_id[:8]}",
                daemon=True,
            )
            self._threads[job_id] = thread
        thread.start()
        return job_id

    def running(self, kind: JobKind, key: str) -> str | None:
        with self._lock:
            return self._running.get((kind, key))

    def stop(self, wait: float = STOP_WAIT) -> None:
        """Ask every job to stop, and give them `wait` seconds in all to do so."""
        self.stopping.set()
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout=wait / max(1, len(threads)))

    def _run(self, kind: JobKind, key: str, job_id: str, work: Callable[[str], None]) -> None:
        try:
            work(job_id)
        finally:
            with self._lock:
                if self._running.get((kind, key)) == job_id:  # not a newer job's key
                    del self._running[(kind, key)]
                self._threads.pop(job_id, None)
