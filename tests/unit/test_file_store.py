"""The file store: atomic writes into folders that may come and go, and group sync."""

import shutil
from pathlib import Path

import pytest

from segdicom.errors import StoreFailed
from segdicom.store import FileStore


def test_a_series_folder_removed_after_a_write_is_made_again(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    files.write("instances/1/2/3.dcm", b"first")
    shutil.rmtree(tmp_path / "instances" / "1")
    files.write("instances/1/2/4.dcm", b"second")
    assert (tmp_path / "instances/1/2/4.dcm").read_bytes() == b"second"


def test_files_written_without_sync_are_synced_together_and_alone(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    names = [f"instances/1/2/{n}.dcm" for n in range(3)]
    for name in names:
        files.write(name, name.encode(), sync=False)
    files.sync(names)  # several: one filesystem sync
    files.sync(names[:1])  # one: its own fsync
    files.sync([])
    assert [files.read(n) for n in names] == [n.encode() for n in names]


def test_syncing_a_file_that_is_not_there_names_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"9\.dcm"):
        FileStore(tmp_path).sync(["instances/1/2/9.dcm"])


def test_a_write_outside_the_data_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreFailed, match="escapes the data folder"):
        FileStore(tmp_path / "data").write("../outside.dcm", b"x")
