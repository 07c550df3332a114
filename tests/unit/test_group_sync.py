"""Group sync: writers asking at once share one flush, and nobody returns before it."""

import threading
from collections.abc import Callable

import pytest
from tests.helpers import poll

from segdicom.store.group_sync import GroupSync


def _in_threads(target: Callable[[int], None], values: list[int]) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, args=(v,)) for v in values]
    for thread in threads:
        thread.start()
    return threads


def test_writers_that_ask_during_a_flush_share_the_next_one() -> None:
    release, fsynced, whole = threading.Event(), [], []

    def slow_fsync(fd: int) -> None:
        fsynced.append(fd)
        release.wait(timeout=20)

    group = GroupSync(lambda: whole.append(len(fsynced)), fsync=slow_fsync)
    returned: list[int] = []

    def writer(fd: int) -> None:
        group.sync([fd])
        returned.append(fd)

    first = _in_threads(writer, [1])
    poll(lambda: fsynced == [1], "the first writer flushes alone")
    others = _in_threads(writer, [2, 3, 4])
    poll(lambda: group.waiting == 3, "three writers queued behind the flush")
    assert returned == []  # nobody answered before their flush
    release.set()
    for thread in first + others:
        thread.join(timeout=20)
    assert sorted(returned) == [1, 2, 3, 4]
    assert fsynced == [1] and whole == [1]  # the three shared one filesystem sync
    assert group.rounds == 2


def test_a_failed_flush_is_raised_to_every_writer_of_its_round() -> None:
    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    group = GroupSync(None, fsync=failing_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        group.sync([7])
    assert group.waiting == 0
