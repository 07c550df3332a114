"""Abandoned work is told apart from work in progress by its writer's identity."""

import os
from pathlib import Path

from tests.helpers import dead_pid

from segdicom.process import HOST, identity, is_gone
from segdicom.store import FileStore


def test_a_finished_process_of_this_host_is_gone() -> None:
    assert is_gone(f"{HOST}:{dead_pid()}") is True


def test_this_process_and_a_running_one_are_not_gone() -> None:
    assert is_gone(identity()) is False
    assert is_gone(f"{HOST}:{os.getppid()}") is False


def test_another_hosts_claim_is_unknown() -> None:
    assert is_gone(f"elsewhere:{dead_pid()}") is None


def test_only_temp_files_of_gone_writers_are_removed(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    folder = tmp_path / "instances" / "1" / "2"
    folder.mkdir(parents=True)
    mine = folder / f".tmp-{HOST}-{os.getpid()}-abc.part"
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
