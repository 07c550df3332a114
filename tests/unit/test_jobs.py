"""Jobs: one running job per key, reused while it runs; stop asks every job to end."""

import threading

from segdicom.enums import JobKind
from segdicom.jobs import Jobs


def test_a_second_start_for_a_running_key_answers_the_running_job() -> None:
    jobs, release, ids = Jobs(), threading.Event(), iter(["a", "b"])
    finished = threading.Event()

    def work(job_id: str) -> None:
        release.wait(10)
        finished.set()

    first = jobs.start(JobKind.RETRIEVE, "1.2.3", lambda: next(ids), work)
    assert jobs.start(JobKind.RETRIEVE, "1.2.3", lambda: next(ids), work) == first == "a"
    assert jobs.running(JobKind.IMPORT_SEG, "1.2.3") is None  # another kind, another key
    release.set()
    jobs.stop()  # waits for the thread
    assert finished.is_set() and jobs.running(JobKind.RETRIEVE, "1.2.3") is None
    assert jobs.start(JobKind.RETRIEVE, "1.2.3", lambda: next(ids), lambda _: None) == "b"


def test_stop_sets_the_event_running_jobs_watch() -> None:
    jobs, seen = Jobs(), threading.Event()

    def work(job_id: str) -> None:
        if jobs.stopping.wait(10):
            seen.set()

    jobs.start(JobKind.IMPORT_SEG, "1.2", lambda: "j", work)
    jobs.stop()
    assert seen.is_set()


def test_a_start_after_the_job_said_its_end_starts_a_new_job() -> None:
    """A retry asked the moment a failure shows, while the failed job's thread winds down,
    gets a new job, not the failed one back; the old thread's end leaves the new one be."""
    said: set[str] = set()
    jobs, winding, ids = Jobs(ended=said.__contains__), threading.Event(), iter(["a", "b"])
    reported = threading.Event()

    def fails(job_id: str) -> None:
        said.add(job_id)  # reported failed
        reported.set()
        winding.wait(10)

    first = jobs.start(JobKind.RETRIEVE, "1.2.3", lambda: next(ids), fails)
    assert first == "a" and reported.wait(10)
    assert jobs.running(JobKind.RETRIEVE, "1.2.3") == "a"  # its thread still runs
    second = jobs.start(JobKind.RETRIEVE, "1.2.3", lambda: next(ids), lambda _: winding.wait(10))
    assert second == "b"
    winding.set()
    jobs.stop()
    assert jobs.running(JobKind.RETRIEVE, "1.2.3") is None
