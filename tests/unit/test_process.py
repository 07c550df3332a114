"""Abandoned work is told apart from work in progress by its writer's identity."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.helpers import REPO, dead_pid

from segdicom.process import HOST, LOCKS, STALE_LOCK_AGE, hold_writer_lock, identity, is_gone
from segdicom.store import FileStore

HOLDER = """
import sys
import time
from pathlib import Path
from segdicom.process import hold_writer_lock, identity
hold_writer_lock(Path(sys.argv[1]))
print(identity(), flush=True)
sys.stdin.read()
"""


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Path]:
    """A data folder in which this process holds its writer lock."""
    release = hold_writer_lock(tmp_path)
    yield tmp_path
    release()


def start_holder(data: Path) -> tuple[subprocess.Popen[str], str]:
    """Another process holding its writer lock in `data`, and its name."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "service")}
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data)],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


def test_a_writer_holding_its_lock_runs_and_is_gone_once_killed(locked: Path) -> None:
    child, name = start_holder(locked)
    try:
        assert name != identity() and name.startswith(HOST + ".")
        assert is_gone(name) is False
    finally:
        child.kill()
        child.wait(timeout=10)
    # The kernel dropped its lock: gone, though no pid of ours was ever compared.
    assert is_gone(name) is True


def test_two_processes_never_share_a_name_even_with_the_same_host_and_pid() -> None:
    token = identity().rpartition(":")[0]
    env = {**os.environ, "PYTHONPATH": str(REPO / "service")}
    other = subprocess.run(
        [sys.executable, "-c", "from segdicom.process import identity; print(identity())"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert other.rpartition(":")[0] != token


def test_a_clean_release_removes_the_lock_file(tmp_path: Path) -> None:
    first, second = hold_writer_lock(tmp_path), hold_writer_lock(tmp_path)
    (lock,) = (tmp_path / LOCKS).iterdir()
    first()
    first()  # a second call does nothing: the other holder keeps the lock
    assert lock.exists() and is_gone(identity()) is False
    second()
    assert list((tmp_path / LOCKS).iterdir()) == []


def test_a_finished_process_of_this_host_is_gone() -> None:
    assert is_gone(f"{HOST}:{dead_pid()}") is True


def test_an_older_versions_name_with_our_pid_is_an_earlier_life() -> None:
    assert is_gone(f"{HOST}:{os.getpid()}") is True


def test_this_process_and_a_running_one_are_not_gone() -> None:
    assert is_gone(identity()) is False
    assert is_gone(f"{HOST}:{os.getppid()}") is False


def test_another_hosts_claim_is_unknown() -> None:
    assert is_gone(f"elsewhere:{dead_pid()}") is None
    assert is_gone(f"elsewhere.0a1b2c3d:{dead_pid()}") is None
    assert is_gone("../../etc/passwd:1") is None


def test_only_temp_files_of_gone_writers_are_removed(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    folder = tmp_path / "instances" / "1" / "2"
    folder.mkdir(parents=True)
    mine = folder / f".tmp-{identity().replace(':', '-')}-abc.part"
    dead = folder / f".tmp-{HOST}-{dead_pid()}-abc.part"
    foreign = folder / f".tmp-elsewhere-{dead_pid()}-abc.part"
    for path in (mine, dead, foreign):
        path.write_bytes(b"partial")
    assert files.remove_partial_files() == 1
    assert mine.exists() and foreign.exists() and not dead.exists()


def test_a_written_file_leaves_no_temp_file(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    files.write("instances/1/2/3.dcm", b"DICM")
    assert [p.name for p in (tmp_path / "instances" / "1" / "2").iterdir()] == ["3.dcm"]


def test_lock_files_of_writers_long_gone_are_swept_at_the_next_start(tmp_path: Path) -> None:
    folder = tmp_path / LOCKS
    folder.mkdir()
    old, recent = folder / "x.0a1b2c3d-1.lock", folder / "x.0a1b2c3e-2.lock"
    for path in (old, recent):
        path.write_bytes(b"")
    aged = time.time() - STALE_LOCK_AGE - 60
    os.utime(old, (aged, aged))
    release = hold_writer_lock(tmp_path)
    try:
        assert not old.exists() and recent.exists()
        assert is_gone("x.0a1b2c3e:2") is True  # unlocked: its writer is gone
    finally:
        release()
