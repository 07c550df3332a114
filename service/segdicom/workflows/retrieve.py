"""Pull a series from the PACS into the local store, as a job with progress.

The job runs in a worker thread. It asks the PACS for the series' instances
(the total), fetches only those not held, and stores each one as it arrives,
so the viewer can show the first slices while the rest is on the wire.
"""

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pydicom.dataset import Dataset

from segdicom.db import instances as index
from segdicom.db import jobs
from segdicom.enums import JobKind, JobState, Via
from segdicom.errors import (
    BadInput,
    NotFound,
    PacsRefused,
    PacsStopped,
    PacsUnavailable,
    SegDicomError,
)
from segdicom.pacs.protocol import Pacs, Received
from segdicom.process import is_gone
from segdicom.state import AppState

log = logging.getLogger("segdicom.retrieve")

PROGRESS_EVERY = 0.1  # seconds between progress writes to the jobs table
# Storing (parse, check, fsync, index) overlaps the network; fsync and SQLite
# release the GIL, so two workers keep up with a local Orthanc on two cores.
STORE_WORKERS = 2
IN_FLIGHT = 8  # instances received but not yet stored: bounds memory


class Stopping(SegDicomError):
    """The service is shutting down; the pull stops between two instances."""


def pacs_for(st: AppState, via: str) -> Pacs:
    if via not in tuple(Via):
        raise BadInput(f"via must be 'dicomweb' or 'dimse', got {via!r}")
    pacs = st.pacs(Via(via))
    if pacs is None:
        setting = "SEGDICOM_DICOMWEB_URL" if via == "dicomweb" else "the SEGDICOM_PACS_* settings"
        raise BadInput(f"no PACS configured for {via}: set {setting}")
    return pacs


def start_retrieve(st: AppState, study_uid: str, series_uid: str, via: str) -> str:
    """Queue a pull and start its worker; a pull of the same series already running is reused."""
    pacs = pacs_for(st, via)
    params: dict[str, object] = {"study_uid": study_uid, "series_uid": series_uid, "via": via}

    def create() -> str:
        with st.sessions.begin() as session:
            return jobs.create(session, JobKind.RETRIEVE, params).id

    def work(job_id: str) -> None:
        Pull(st, pacs, job_id, study_uid, series_uid, via).run()

    return st.jobs.start(JobKind.RETRIEVE, series_uid, create, work)


@contextlib.contextmanager
def failures_reported(
    report: Callable[..., None], what: str, logger: logging.Logger = log
) -> Iterator[None]:
    """A job's error becomes its failed state: a SegDicomError's detail as it is, anything
    else (a bug) logged with its trace and reported as an internal error."""
    try:
        yield
    except SegDicomError as exc:
        report(state=JobState.FAILED, error=exc.detail)
    except Exception as exc:
        logger.exception("%s failed", what)
        report(state=JobState.FAILED, error=f"internal error: {type(exc).__name__}: {exc}")


@dataclass
class Pull:
    st: AppState
    pacs: Pacs
    job_id: str
    study_uid: str
    series_uid: str
    via: str
    # Progress already counted in this job before this series: a SEG import pulls
    # the SEG, then its source series, into one job (workflows.import_pacs).
    offset: int = 0
    total: int = 0  # instances of the series in the PACS, once known
    done: int = 0
    fetched: int = 0
    refused: list[str] = field(default_factory=list)
    last_write: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        with failures_reported(self._report_failure, f"retrieve job {self.job_id}"):
            self._pull()

    def _pull(self) -> None:
        with self.st.sessions() as session:
            held = index.known_sop_uids(session, self.series_uid)
        if held:  # fetch only what is missing: that needs the PACS's list first
            remote = self.pacs.series_instances(self.study_uid, self.series_uid)
            if not remote:
                raise self._not_found()
            self.fetch(remote, set(remote))
        else:
            self._fetch_all()
        self._report(
            state=JobState.DONE, done=self.done, error=self.refusals(), result=self._result()
        )

    def _fetch_all(self) -> None:
        """Nothing held: the whole series in one request, started at once. The list of
        its instances, which gives the total, is asked for meanwhile: it costs Orthanc
        about 0.1 s for 300 instances, a tenth of the pull, and the first slice waits
        for it no longer."""
        self._report(state=JobState.RUNNING, total=0, done=0)
        with ThreadPoolExecutor(1, thread_name_prefix="retrieve-list") as lister:
            listing = lister.submit(self._list_remote)
            try:
                self._retrieve(set(), listing)
            except PacsRefused:  # e.g. HTTP 404: say what is missing if that is why
                if not listing.result():
                    raise self._not_found() from None
                raise
            if not listing.result():
                raise self._not_found()
        self.st.store.flush()

    def _list_remote(self) -> list[str]:
        remote = self.pacs.series_instances(self.study_uid, self.series_uid)
        with self.lock:
            self.total = len(remote)
        self._report(total=self.offset + len(remote))
        return remote

    def _not_found(self) -> NotFound:
        return NotFound(f"series {self.series_uid} not found in the PACS {self.pacs.name}")

    def fetch(self, remote: list[str], wanted: set[str]) -> None:
        """Store those `wanted` instances of the series that are not held yet.

        `remote`: every SOP Instance UID the PACS holds for the series (the others
        are skipped). Reports the job running, with `wanted` in its total.
        """
        with self.st.sessions() as session:
            held = index.known_sop_uids(session, self.series_uid)
        self.done = len(held & wanted)
        self._report(
            state=JobState.RUNNING, total=self.offset + len(wanted), done=self.offset + self.done
        )
        if not wanted - held:
            return
        with self.lock:
            self.total = len(wanted)
        self._retrieve(held | (set(remote) - wanted))
        self.st.store.flush()

    def _retrieve(self, skip: set[str], listing: Future[list[str]] | None = None) -> None:
        """Fetch and store the series less `skip`. A PACS that goes away once some
        instances arrived fails the job in words a user acts on: how far it got (of how
        many, once the `listing` asked meanwhile has answered)."""
        try:
            with StorePool(self._store, STORE_WORKERS) as pool:
                self.pacs.retrieve_series(self.study_uid, self.series_uid, pool.submit, skip)
        except PacsUnavailable as exc:
            if self.fetched == 0 and not isinstance(exc, PacsStopped):
                raise
            if listing is not None:  # the job waits for it anyway; failed, no total is said
                with contextlib.suppress(Exception):
                    listing.result()
            raise PacsStopped(
                f"PACS {self.pacs.name} stopped answering after {self._so_far()} instances; "
                "retry fetches the rest",
                received=self.fetched,
            ) from exc

    def _so_far(self) -> str:
        with self.lock:
            return f"{self.done} of {self.total}" if self.total else str(self.done)

    def _store(self, item: Received) -> None:
        if self.st.jobs.stopping.is_set():
            raise Stopping("the service is stopping; pull again to finish this series")
        try:
            if isinstance(item, Dataset):
                self.st.store.put_dataset(item, source=self.via, wait=False, durable=False)
            else:
                self.st.store.put_bytes(
                    item, source=self.via, images_only=False, wait=False, durable=False
                )
        except BadInput as exc:  # this object is refused; the rest of the series may be fine
            self.refused.append(exc.detail)
            return
        with self.lock:
            self.done += 1
            self.fetched += 1
            due = time.monotonic() - self.last_write >= PROGRESS_EVERY
            if due:
                self.last_write = time.monotonic()
        if due:
            self._report(done=self.offset + self.done)

    def refusals(self) -> str:
        """What the local store refused, for the job's error ("" when nothing)."""
        if not self.refused:
            return ""
        return f"{len(self.refused)} instance(s) refused, e.g.: {self.refused[0]}"

    def _result(self) -> dict[str, object]:
        return {
            "series_uid": self.series_uid,
            "stored": self.done,
            "fetched": self.fetched,
            "refused": len(self.refused),
        }

    def _report_failure(self, **values: Any) -> None:
        """A failed job keeps how far it got (the instances stored stay)."""
        self._report(done=self.offset + self.done, **values)

    def _report(self, **values: Any) -> None:
        self.last_write = time.monotonic()
        jobs.report(self.st.sessions, self.job_id, **values)


def job_json(st: AppState, job_id: str) -> dict[str, Any]:
    """A job's state for the API: state, done, total, error (null when none); a job
    whose process is gone is failed first (ARCHITECTURE "Jobs")."""
    with st.sessions.begin() as session:
        row = jobs.get(session, job_id)
        if row.state in (JobState.QUEUED, JobState.RUNNING) and jobs.fail_abandoned(
            session, is_gone, job_id
        ):
            session.refresh(row)
        return {
            "id": row.id,
            "kind": row.kind,
            "state": row.state,
            "done": row.done,
            "total": row.total,
            "error": row.error or None,
            "params": json.loads(row.params or "{}"),
            "result": json.loads(row.result or "{}"),
        }


class StorePool:
    """Stores instances on worker threads while the next ones arrive; the first
    error stops the pull (raised by the next `submit` or at exit)."""

    def __init__(self, store: Callable[[Received], None], workers: int) -> None:
        self.store = store
        self.executor = ThreadPoolExecutor(workers, thread_name_prefix="retrieve-store")
        self.slots = threading.BoundedSemaphore(IN_FLIGHT)
        self.futures: list[Future[None]] = []

    def submit(self, item: Received) -> None:
        self._raise_first_error()
        self.slots.acquire()
        future = self.executor.submit(self.store, item)
        future.add_done_callback(lambda _: self.slots.release())
        self.futures.append(future)

    def _raise_first_error(self) -> None:
        for future in self.futures:
            if future.done() and future.exception() is not None:
                raise future.exception()  # type: ignore[misc]
        self.futures = [f for f in self.futures if not f.done()]

    def __enter__(self) -> "StorePool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.executor.shutdown(wait=True)
        if exc[0] is None:
            for future in self.futures:
                future.result()
