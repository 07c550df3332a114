"""Files under the data folder, named only from validated UIDs, written atomically."""

import ctypes
import ctypes.util
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from segdicom.errors import StoreFailed
from segdicom.process import identity, is_gone
from segdicom.store.group_sync import GroupSync
from segdicom.uids import validate_uid


class FileStore:
    """One file per instance: `instances/<study>/<series>/<sop>.dcm` under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        # Folders known to exist: a pull writes hundreds of files into one series
        # folder, and a mkdir per file takes the folder's lock each time.
        self._folders: set[Path] = set()
        self._folders_lock = threading.Lock()
        self._syncfs = _syncfs_function()
        syncfs = self._syncfs
        # Writers acknowledging instances (C-STORE) share their flushes.
        self.group = GroupSync(None if syncfs is None else lambda: syncfs(self.root))

    def relative_path(self, study_uid: str, series_uid: str, sop_uid: str, kind: str) -> str:
        parts = [validate_uid(u, n) for u, n in ((study_uid, "study"), (series_uid, "series"))]
        name = validate_uid(sop_uid, "sop_instance_uid") + ".dcm"
        return "/".join([kind, *parts, name])

    def absolute(self, relative: str) -> Path:
        """The absolute path of `relative`, refusing anything outside the root."""
        # normpath, not resolve(): the store never creates links, and resolving
        # walks every component with a system call on each write.
        path = Path(os.path.normpath(self.root / relative))
        if not path.is_relative_to(self.root):
            raise StoreFailed(f"path escapes the data folder: {relative!r}")
        return path

    def write(self, relative: str, data: bytes, sync: bool = True) -> Path:
        """Write `data` at `relative` atomically: temp file, rename; with `sync`, the
        file and its folder are durable before returning (else call `sync` later).
        Concurrent writers share the flushes (store/group_sync.py)."""
        path = self.absolute(relative)
        try:
            fd, tmp = self._create_temp(path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    if sync:  # the content is durable before the name points at it
                        self.group.sync([handle.fileno()])
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            if sync:
                self._sync_folder(path.parent)
        except OSError as exc:
            raise StoreFailed(f"cannot write {relative}: {exc.strerror or exc}") from exc
        return path

    def _sync_folder(self, folder: Path) -> None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            self.group.sync([fd])
        finally:
            os.close(fd)

    def _create_temp(self, folder: Path) -> tuple[int, str]:
        """A new temp file in `folder`, created (with its parents) when missing."""
        if folder not in self._folders:
            self._make_folder(folder)
        try:
            return tempfile.mkstemp(dir=folder, prefix=_tmp_prefix(), suffix=".part")
        except FileNotFoundError:  # removed since we last made it
            self._make_folder(folder)
            return tempfile.mkstemp(dir=folder, prefix=_tmp_prefix(), suffix=".part")

    def _make_folder(self, folder: Path) -> None:
        """Create `folder` and its missing parents, each entry made durable in its parent:
        the fsync of a file's own folder does not cover a folder created just before."""
        missing, here = [], folder
        while here != self.root and not here.is_dir():
            missing.append(here)
            here = here.parent
        for created in reversed(missing):
            try:
                created.mkdir(parents=True)
            except FileExistsError:  # made meanwhile by another writer, who syncs it
                continue
            fsync_dir(created.parent)
        with self._folders_lock:
            if len(self._folders) > 10_000:  # a long-running server sees many series
                self._folders.clear()
            self._folders.add(folder)

    def sync(self, relatives: list[str]) -> None:
        """Make files written with `sync=False` durable.

        Several files: one syncfs(2) of the data folder's filesystem, which writes
        them, their folders and the journal in one flush; an fsync per file would
        cost a journal commit each and stall every other write meanwhile.
        Elsewhere (or for one file): each file, then each folder once.
        """
        if not relatives:
            return
        if len(relatives) > 1 and self._syncfs is not None:
            self._syncfs(self.root)
            return
        folders = set()
        for relative in relatives:
            path = self.absolute(relative)
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            folders.add(path.parent)
        for folder in folders:
            fsync_dir(folder)

    def read(self, relative: str) -> bytes:
        return self.absolute(relative).read_bytes()

    def remove(self, relative: str) -> None:
        """Delete a stored file (gone already: nothing to do). Not fsynced: a file
        that comes back after a power cut is a copy the index does not name, which
        recovery removes again (store/indexer.py)."""
        try:
            self.absolute(relative).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreFailed(f"cannot remove {relative}: {exc.strerror or exc}") from exc

    def newer(self, relative: str, other: str) -> bool:
        """Whether the file at `relative` was written after the one at `other` (True
        when `other` is gone, False when `relative` is)."""
        try:
            mine = self.absolute(relative).stat().st_mtime_ns
        except FileNotFoundError:
            return False
        try:
            return mine > self.absolute(other).stat().st_mtime_ns
        except FileNotFoundError:
            return True

    def study_folders(self, kind: str) -> Iterator[str]:
        """`<kind>/<study>` for every folder under `kind`, one at a time (the
        store may hold millions of files: nothing is listed up front)."""
        base = self.root / kind
        if not base.is_dir():
            return
        with os.scandir(base) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    yield f"{kind}/{entry.name}"

    def files_under(self, folder: str) -> list[str]:
        """Relative paths of the stored files under `folder` (temp files left out)."""
        base = self.absolute(folder)
        if not base.is_dir():
            return []
        return [
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*.dcm")
            if not p.name.startswith(".tmp-")
        ]

    def remove_partial_files(self, folder: str = "") -> int:
        """Delete temp files left by a crash mid-write under `folder` (default: the
        whole data folder); returns how many.

        Several processes (or hosts) may share the data folder: a temp file is
        named after its writer, and only those of writers known to be gone
        (process.is_gone), or else older than an hour, are removed.
        """
        count = 0
        for tmp in self.absolute(folder).rglob(".tmp-*.part"):
            if _abandoned(tmp):
                tmp.unlink(missing_ok=True)
                count += 1
        return count


FOREIGN_TEMP_MAX_AGE = 3600.0


def _tmp_prefix() -> str:
    # "-" separates the parts; a process name has none.
    return f".tmp-{identity().replace(':', '-')}-"


def _abandoned(tmp: Path) -> bool:
    parts = tmp.name.split("-")
    gone = is_gone(f"{parts[1]}:{parts[2]}") if len(parts) >= 4 else None
    if gone is not None:
        return gone
    try:  # another host's (or an old-style) temp file: only when clearly stale
        return time.time() - tmp.stat().st_mtime > FOREIGN_TEMP_MAX_AGE
    except FileNotFoundError:
        return False


def _syncfs_function() -> Callable[[Path], None] | None:
    """syncfs(2) from the C library (Linux), or None where there is none."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name, use_errno=True) if name else None
    syncfs = getattr(libc, "syncfs", None)
    if syncfs is None:
        return None

    def sync_filesystem(folder: Path) -> None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            # Linux >= 5.8 reports writeback errors of the filesystem here.
            if syncfs(fd) != 0:
                err = ctypes.get_errno()
                raise OSError(err, os.strerror(err), str(folder))
        finally:
            os.close(fd)

    return sync_filesystem


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
