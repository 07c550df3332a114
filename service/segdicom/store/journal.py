"""The store journal: where a crash may have left files without an index row.

Why: a file is durable (fsync) before its index row is committed, and rows are
group-committed a moment later (store/indexer.py), so a crash in between
leaves a stored file the index lacks. Finding those by walking every stored
file costs minutes and gigabytes at each start on a large archive; the journal
names the few places to look.

What: each writer process appends to its own file `journal/<name>-<pid>-<n>.log`
under the data folder the study folders (`instances/<study>`) it writes into,
one line each. A folder is appended (and the journal fdatasynced, with its
folder when the file is new) *before* the writer creates its temp file there,
so whenever a stored file or temp file may exist, a journal on disk names its
study folder. A study is listed once per generation: an instance into a study
already listed costs a lock and a set lookup, not an fsync. Study rather than
file or series: the fsync is paid once per study (a CR or mammography study
has one instance per series), and a start lists one study's files per entry.

Generations: a journal file is a generation, started lazily on the first
write and replaced by a new one after `rotate_seconds`. An old generation is
deleted once no write that listed a folder in it is in flight and the index
writer has committed every row those writes submitted (tickets are committed
in order, so "committed through ticket t" says it). A clean stop deletes them
all. So a live writer's journals list the studies it wrote in the last
`rotate_seconds` plus those whose rows are still queued (the database away).

Recovery (store/recovery.py) reads the journals of writers that are gone:
a writer holds a lock in the data folder while its store is open, which the
kernel drops when it dies (`process.is_gone`), so a journal of a running
writer, in this container or another sharing the folder, is not read and its
in-flight writes are left alone, while a killed one's (a recreated container's
predecessor's included) is read and deleted at the next start. A journal whose
writer cannot be told (no lock file: another data folder's host, an older
version) is read at every start, which only indexes complete files the index
lacks (idempotent), and deleted once untouched for FOREIGN_MAX_AGE: a live
writer never appends to a generation older than `rotate_seconds`, so by then
its rows are committed unless its database has been away that long.

The marker file `journal/README` says that every writer of this data folder
has journaled since it was created. A data folder without it (made by an
older version, or copied in by hand) gets one full scan at its first start,
after which the marker is written.
"""

import itertools
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from segdicom.errors import StoreFailed
from segdicom.process import identity, is_gone
from segdicom.store.files import fsync_dir
from segdicom.uids import is_uid

log = logging.getLogger("segdicom.store")

FOLDER = "journal"
MARKER = "README"
ROTATE_SECONDS = 10.0
FOREIGN_MAX_AGE = 3600.0
KINDS = frozenset({"instances"})
_MARKER_TEXT = (
    "SegDICOM store journal. Each running writer lists here the study folders it\n"
    "writes into until the index has their rows; a start reads only the lists\n"
    "of writers that are gone. `segdicom store reindex` scans the whole store.\n"
)
_numbers = itertools.count(1)  # generation numbers, unique within this process


def study_folder(relative: str) -> str:
    """`instances/<study>` of a stored file's relative path."""
    return "/".join(relative.split("/", 2)[:2])


def is_study_folder(entry: str) -> bool:
    kind, _, study = entry.partition("/")
    return kind in KINDS and is_uid(study)


@dataclass(eq=False)
class Generation:
    """One journal file of this process and the writes that listed folders in it."""

    path: Path
    started: float = field(default_factory=time.monotonic)
    folders: set[str] = field(default_factory=set)
    inflight: int = 0
    last_ticket: int = 0
    fd: int | None = None

    def append(self, entry: str) -> None:
        """Add `entry` durably (creating the file, and syncing its folder, if new)."""
        created = self.fd is None
        if self.fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND
            self.fd = os.open(self.path, flags, 0o644)
        os.write(self.fd, f"{entry}\n".encode())
        os.fdatasync(self.fd)
        if created:
            fsync_dir(self.path.parent)

    def remove(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
            # Not synced: should the unlink be lost, a later start reads it again.
            self.path.unlink(missing_ok=True)


class Journal:
    """This process's journal of study folders written since the index caught up."""

    def __init__(self, root: Path, rotate_seconds: float = ROTATE_SECONDS) -> None:
        self.folder = root / FOLDER
        self.rotate_seconds = rotate_seconds
        self._lock = threading.Lock()
        self._active: Generation | None = None
        self._retiring: list[Generation] = []
        self._through = 0  # every ticket up to this one is committed

    def enter(self, folder: str) -> Generation:
        """Note a write into `folder` (durably, if new); pair it with `leave`."""
        with self._lock:
            gen = self._current()
            if folder not in gen.folders:
                try:
                    gen.append(folder)
                except OSError as exc:
                    raise StoreFailed(
                        f"cannot write the store journal {gen.path}: {exc.strerror or exc}"
                    ) from exc
                gen.folders.add(folder)
            gen.inflight += 1
            return gen

    def leave(self, gen: Generation, ticket: int | None) -> None:
        """The write is over; `ticket`: its index row's, None if it stored nothing."""
        with self._lock:
            gen.inflight -= 1
            if ticket is not None:
                gen.last_ticket = max(gen.last_ticket, ticket)
            self._retire()

    def committed(self, through: int) -> None:
        """The index writer committed every row up to ticket `through`."""
        with self._lock:
            self._through = max(self._through, through)
            if self._active is not None and self._expired(self._active):
                self._rotate()
            self._retire()

    def close(self) -> None:
        """Delete every generation whose rows are committed (call after the indexer's close)."""
        with self._lock:
            self._rotate()
            self._retire()

    def owns(self, path: Path) -> bool:
        """Whether `path` is one of this process's generations still in use."""
        with self._lock:
            live = [self._active, *self._retiring]
            return any(g is not None and g.path == path for g in live)

    def initialised(self) -> bool:
        return (self.folder / MARKER).is_file()

    def initialise(self) -> None:
        """Write the marker: from now on every writer of this data folder journals."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{MARKER}.{os.getpid()}.part"
        tmp.write_text(_MARKER_TEXT)
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        tmp.replace(self.folder / MARKER)
        fsync_dir(self.folder)

    def _current(self) -> Generation:
        if self._active is not None and self._expired(self._active):
            self._rotate()
        if self._active is None:
            self._active = Generation(self._new_path())
        return self._active

    def _new_path(self) -> Path:
        """A name of ours not on disk: an earlier life of our pid may have left one."""
        prefix = identity().replace(":", "-")
        while True:
            path = self.folder / f"{prefix}-{next(_numbers)}.log"
            if not path.exists():
                return path

    def _expired(self, gen: Generation) -> bool:
        return time.monotonic() - gen.started > self.rotate_seconds

    def _rotate(self) -> None:
        if self._active is not None:
            self._retiring.append(self._active)
            self._active = None

    def _retire(self) -> None:
        done = [g for g in self._retiring if g.inflight == 0 and g.last_ticket <= self._through]
        for gen in done:
            self._retiring.remove(gen)
            gen.remove()


@dataclass(frozen=True)
class JournalFile:
    """A journal found on disk at start, and what may be done with it."""

    path: Path
    owner: str  # name:pid (process.identity), or "" when the file name says nothing
    removable: bool  # its writer is gone for sure (or it is stale enough)

    def folders(self) -> list[str]:
        """The study folders it lists; a line torn by the crash is skipped.

        A torn or invalid line is harmless: a folder is listed (and synced)
        before anything is written into it, so such a line names no file.
        """
        try:
            lines = self.path.read_text(errors="replace").splitlines()
        except FileNotFoundError:  # removed meanwhile by another starting process
            return []
        good = [line for line in lines if is_study_folder(line)]
        if len(good) < len(lines):
            log.warning(
                "store journal %s: %d unreadable line(s) skipped",
                self.path.name,
                len(lines) - len(good),
            )
        return good

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def abandoned(journal: Journal) -> list[JournalFile]:
    """The journals on disk that a start must read: not those of running writers."""
    if not journal.folder.is_dir():
        return []
    found = []
    for path in sorted(journal.folder.glob("*.log")):
        if journal.owns(path):
            continue
        owner = _owner(path.name)
        if owner == identity():  # an earlier life of our pid: ours are all in `owns`
            found.append(JournalFile(path, owner, removable=True))
            continue
        gone = is_gone(owner) if owner else None
        if gone is None:  # its writer cannot be told: read it; delete it only when stale
            found.append(JournalFile(path, owner, removable=_older_than(path, FOREIGN_MAX_AGE)))
        elif gone:
            found.append(JournalFile(path, owner, removable=True))
    return found


def _owner(name: str) -> str:
    """`name:pid` from `<name>-<pid>-<n>.log` (process names have no "-"), else ""."""
    parts = name.removesuffix(".log").split("-")
    if len(parts) != 3 or not (parts[1].isdigit() and parts[2].isdigit()):
        return ""
    return f"{parts[0]}:{parts[1]}"


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except FileNotFoundError:
        return False
