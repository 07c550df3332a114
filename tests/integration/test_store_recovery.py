"""A start repairs what a killed writer left, reading only that writer's journal.

A writer is a real child process storing real instances through `Store` while
this test holds the SQLite write lock, so its files are durable and
acknowledged but their rows cannot be committed; then it is SIGKILLed. The
next start finds exactly those files, without walking the rest of the store.
"""

import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest
from sqlalchemy import func, select
from tests.helpers import REPO, dicom_files

from segdicom.db import Instance, make_engine, make_sessionmaker, upgrade
from segdicom.process import HOST
from segdicom.store import FileStore, Store

DECOY_STUDIES, DECOY_FILES = 400, 10

WRITER = """
import sys, threading
from pathlib import Path
from segdicom.db import make_engine, make_sessionmaker
from segdicom.store import FileStore, Store

data, url, *files = sys.argv[1:]
store = Store(FileStore(Path(data)), make_sessionmaker(make_engine(url)))
for name in files:  # as the C-STORE SCP does: acknowledged once the file is durable
    store.put_bytes(Path(name).read_bytes(), source="dimse", images_only=False, wait=False)
print("acknowledged", flush=True)
threading.Event().wait()  # until the test kills it
"""


@dataclass
class Folder:
    data: Path
    url: str

    @property
    def database(self) -> Path:
        return self.data / "segdicom.sqlite3"

    @contextmanager
    def store(self) -> Iterator[Store]:
        engine = make_engine(self.url)
        store = Store(FileStore(self.data), make_sessionmaker(engine))
        try:
            yield store
        finally:
            store.close()
            engine.dispose()

    def stored(self) -> list[str]:
        """The relative paths of every stored file."""
        files = (self.data / "instances").rglob("*.dcm")
        return sorted(p.relative_to(self.data).as_posix() for p in files)

    def path_of(self, sop_uid: str) -> str | None:
        with sqlite3.connect(self.database) as connection:
            query = "SELECT path FROM instances WHERE sop_instance_uid = ?"
            row = connection.execute(query, (sop_uid,)).fetchone()
        return None if row is None else str(row[0])

    def indexed(self, study_uid: str) -> int:
        with sqlite3.connect(self.database) as connection:
            query = "SELECT count(*) FROM instances WHERE study_uid = ?"
            return int(connection.execute(query, (study_uid,)).fetchone()[0])


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'segdicom.sqlite3'}"
    upgrade(url)
    return Folder(data, url)


@contextmanager
def database_locked(folder: Folder) -> Iterator[None]:
    """Hold SQLite's write lock: a writer's rows wait (and retry), its files do not."""
    connection = sqlite3.connect(folder.database, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


class Writer:
    """A child process that stores `files` and waits, its rows blocked."""

    def __init__(self, folder: Folder, files: list[Path]) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "service"), str(REPO)])}
        args = [sys.executable, "-c", WRITER, str(folder.data), folder.url, *map(str, files)]
        self.process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        assert line == "acknowledged", f"writer exited: {self.process.wait(timeout=10)}"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def writers() -> Iterator[list[Writer]]:
    started: list[Writer] = []
    yield started
    for writer in started:
        if writer.process.poll() is None:
            writer.kill()


def add_decoys(data: Path) -> None:
    """A store's worth of study folders that a start must not look into."""
    for study in range(DECOY_STUDIES):
        series = data / "instances" / f"9.{study}" / "9.1"
        series.mkdir(parents=True)
        for n in range(DECOY_FILES):
            (series / f"9.{study}.{n}.dcm").write_bytes(b"not read by a start")


def study_of(files: list[Path]) -> str:
    return str(pydicom.dcmread(files[0], stop_before_pixels=True).StudyInstanceUID)


def test_a_writer_killed_between_file_and_row_is_repaired_from_its_journal_alone(
    folder: Folder, writers: list[Writer]
) -> None:
    files = dicom_files("ct_philips_phantom")
    study_uid = study_of(files)
    with folder.store() as store:
        assert not store.recover().full_scan  # a new data folder: marked, nothing scanned
    add_decoys(folder.data)
    with database_locked(folder):
        writers.append(Writer(folder, files))
        writers[-1].kill()
    assert folder.indexed(study_uid) == 0  # acknowledged, durable, and not indexed
    with folder.store() as store:
        report = store.recover()
    assert not report.full_scan and report.journals == 1
    assert (report.folders, report.files, report.indexed) == (1, len(files), len(files))
    assert folder.indexed(study_uid) == len(files)
    assert list((folder.data / "journal").glob("*.log")) == []
    with folder.store() as store:  # repaired once: the next start has nothing to read
        assert (store.recover().journals, folder.indexed("9.0")) == (0, 0)


def test_a_running_writers_files_are_left_alone_until_it_is_gone(
    folder: Folder, writers: list[Writer]
) -> None:
    files = dicom_files("ct_philips_phantom")
    with folder.store() as store:
        store.recover()
    with database_locked(folder):
        writer = Writer(folder, files)
        writers.append(writer)
        series_folder = next((folder.data / "instances").glob("*/*"))
        partial = series_folder / f".tmp-{HOST}-{writer.process.pid}-x.part"
        partial.write_bytes(b"half a file")  # as its next write would leave it
        with folder.store() as store:
            report = store.recover()
        assert (report.journals, report.indexed, report.removed) == (0, 0, 0)
        assert partial.exists() and list((folder.data / "journal").glob("*.log"))
        writer.kill()
    with folder.store() as store:
        report = store.recover()
    assert (report.journals, report.indexed, report.removed) == (1, len(files), 1)
    assert not partial.exists()


def store_by_hand(data: Path, source: Path, relative: str) -> None:
    target = data / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def canonical(source: Path) -> str:
    ds = pydicom.dcmread(source, stop_before_pixels=True)
    uids = (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    return "instances/{}/{}/{}.dcm".format(*uids)


def test_a_data_folder_of_an_older_version_is_scanned_once(folder: Folder) -> None:
    files = dicom_files("ct_philips_phantom")
    for source in files:  # as an older version left it: files, no rows, no journal
        store_by_hand(folder.data, source, canonical(source))
    with folder.store() as store:
        first = store.recover()
    assert first.full_scan and first.indexed == len(files)
    assert folder.indexed(study_of(files)) == len(files)
    with folder.store() as store:
        second = store.recover()
    assert not second.full_scan and second.files == 0


def test_store_reindex_indexes_files_copied_in_by_hand(folder: Folder) -> None:
    with folder.store() as store:
        store.recover()
    ct, mr = dicom_files("ct_philips_phantom")[0], dicom_files("mr_siemens_t1_sag")[0]
    store_by_hand(folder.data, ct, canonical(ct))
    store_by_hand(folder.data, mr, "instances/by-hand/IM0001.dcm")  # not named from its UIDs
    with folder.store() as store:
        assert store.recover().files == 0  # a start does not look: nobody journaled them
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGDICOM_")}
    env |= {"SEGDICOM_DATA_DIR": str(folder.data), "SEGDICOM_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "-m", "segdicom", "store", "reindex"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "full scan: 2 study folder(s), 2 file(s) seen, 2 indexed" in done.stdout
    engine = make_engine(folder.url)
    with make_sessionmaker(engine)() as session:
        paths = set(session.scalars(select(Instance.path)))
        count = session.scalar(select(func.count()).select_from(Instance))
    engine.dispose()
    assert paths == {canonical(ct), canonical(mr)} and count == 2
    assert (folder.data / canonical(mr)).is_file()  # the hand-made name got its own copy


def test_an_instance_sent_again_elsewhere_keeps_one_file_and_the_newest_copy_wins(
    folder: Folder,
) -> None:
    ds = pydicom.dcmread(dicom_files("ct_philips_phantom")[0])
    in_a = part10_bytes(ds)
    ds.SeriesInstanceUID = ds.SeriesInstanceUID + ".2"
    in_b = part10_bytes(ds)
    with folder.store() as store:
        store.recover()
        a = store.put_bytes(in_a, source="dimse", images_only=False).path
        b = store.put_bytes(in_b, source="dimse", images_only=False).path
        assert (folder.stored(), folder.path_of(ds.SOPInstanceUID)) == ([b], b)
        store.put_bytes(in_a, source="dimse", images_only=False)
        assert (folder.stored(), folder.path_of(ds.SOPInstanceUID)) == ([a], a)
        # A crash left a copy without a row: older than the indexed one, it is removed;
        # newer (acknowledged, its row not yet committed), it replaces it.
        for age, kept in ((-60, a), (+60, b)):
            store.files.write(b, in_b)
            when = (folder.data / a).stat().st_mtime_ns + age * 10**9
            os.utime(folder.data / b, ns=(when, when))
            for _ in range(2):  # again: nothing flips back
                store.reindex()
                assert (folder.stored(), folder.path_of(ds.SOPInstanceUID)) == ([kept], kept)


def part10_bytes(ds: pydicom.Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
