"""Store: check an object, write its file atomically, then index it.

Every way in (upload, C-STORE, WADO-RS, C-MOVE) goes through `Store.put_*`, so
the rules of "What gets in" hold the same everywhere. The file is durable
(fsync) before `put_*` returns, so before anything is acknowledged. Index rows
are group-committed (store/indexer.py); `wait=True` returns only once the row
is committed too, `flush()` waits for every row so far. Before a file is
written, its study folder is in this process's journal (store/journal.py), so
that `recover` at the next start looks there, and only there, for files a crash
left without a row (store/recovery.py).
"""

import io
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian
from sqlalchemy.orm import Session, sessionmaker

from segdicom.errors import SegDicomError, Unprocessable
from segdicom.process import hold_writer_lock
from segdicom.store import recovery
from segdicom.store.files import FileStore
from segdicom.store.indexer import RECOVERED, Committed, IndexWriter, Pending
from segdicom.store.ingest import InstanceInfo, check_part10, inspect_dataset
from segdicom.store.journal import Journal, study_folder

log = logging.getLogger("segdicom.store")


@dataclass(frozen=True)
class Stored:
    info: InstanceInfo
    path: str  # relative to the data folder


class Store:
    """The local instance store: files under `files.root`, rows in `instances`."""

    def __init__(
        self,
        files: FileStore,
        sessions: sessionmaker[Session],
        on_stored: Callable[[str], None] | None = None,
        on_header: Callable[[str, datetime, Dataset], None] | None = None,
    ) -> None:
        self.files = files
        self.sessions = sessions
        # Told the series UIDs after each commit, so cached series state is dropped.
        self.on_stored = on_stored
        # Told (path, received_at, header) of each file stored after a header-only
        # check: the volume built when the series is viewed need not read it again.
        self.on_header = on_header
        # Held while the store is open: other processes sharing the folder see
        # this writer alive, and its journals and temp files as in progress.
        self._release_lock = hold_writer_lock(files.root)
        self.journal = Journal(files.root)
        # Paths with a write or a row in flight in this process: never removed as
        # stale, since a newer copy is landing there (store/indexer.py).
        self._in_flight: Counter[str] = Counter()
        self._in_flight_lock = threading.Lock()
        self.indexer = IndexWriter(sessions, self._committed, files.sync, files.newer)

    def put_bytes(
        self,
        data: bytes,
        *,
        source: str,
        images_only: bool,
        wait: bool = True,
        durable: bool = True,
    ) -> Stored:
        """Store a Part 10 file given as bytes (upload, WADO-RS, C-STORE).

        `durable`: the file is fsynced before this returns, so the caller may
        acknowledge it; False (a pull, which acknowledges nobody) leaves the fsync
        to the index writer, which does it before committing the row.
        """
        info, header = check_part10(data)  # the pixels of an uncompressed object stay unread
        return self._put(
            info,
            data,
            source=source,
            images_only=images_only,
            wait=wait,
            durable=durable,
            header=header,
        )

    def put_dataset(
        self,
        ds: Dataset,
        *,
        source: str,
        images_only: bool = False,
        wait: bool = True,
        durable: bool = True,
    ) -> Stored:
        """Store a dataset received without a file (C-STORE): encode it as Part 10."""
        info = inspect_dataset(ds)
        payload = encode_part10(ds)
        return self._put(
            info, payload, source=source, images_only=images_only, wait=wait, durable=durable
        )

    def flush(self) -> None:
        """Wait until every instance stored so far is in the index."""
        self.indexer.wait()

    def close(self) -> None:
        self.indexer.close()
        self.journal.close()
        self._release_lock()

    def recover(self) -> recovery.Recovery:
        """Index the files a crash left without a row, reading only the journals
        of writers that are gone (call at start, before anything is written)."""
        return recovery.recover(self)

    def reindex(self) -> recovery.Recovery:
        """Index every stored file the index lacks: a walk of the whole store."""
        return recovery.reindex(self)

    def index_stored(self, relative: str) -> bool:
        """Index a file already in the store at `relative` (rows follow; `flush`).

        A file at its own path (named from its UIDs) is indexed where it is, its
        fsync left to the index writer; one elsewhere (copied in by hand) is
        stored at its own path. False, with a warning, for a file that is not
        a valid object.
        """
        try:
            data = self.files.read(relative)
            info, _ = check_part10(data)
            if self._relative(info) != relative:
                self._put(info, data, source=RECOVERED, images_only=False, wait=False, durable=True)
                return True
        except SegDicomError as exc:
            log.warning("stored file %s cannot be indexed: %s", relative, exc.detail)
            return False
        except OSError as exc:  # removed meanwhile, unreadable
            log.warning("stored file %s cannot be read: %s", relative, exc.strerror or exc)
            return False
        self._enter(relative)
        self.indexer.submit(Pending(info, relative, len(data), RECOVERED, synced=False))
        return True

    def _committed(self, done: Committed) -> None:
        for path in self._removable(done):  # before the journal forgets their study folder
            try:
                self.files.remove(path)
            except SegDicomError as exc:
                log.warning("stale copy %s not removed: %s", path, exc.detail)
        if self.on_stored is not None:
            for series_uid in done.series_uids:
                self.on_stored(series_uid)
        self.journal.committed(done.through)

    def _removable(self, done: Committed) -> list[str]:
        """The stale paths of a batch that no write or row of ours is landing on."""
        for pending in done.rows:
            self._leave(pending.path)
        with self._in_flight_lock:
            return [path for path in done.stale if path not in self._in_flight]

    def _enter(self, relative: str) -> None:
        with self._in_flight_lock:
            self._in_flight[relative] += 1

    def _leave(self, relative: str) -> None:
        with self._in_flight_lock:
            self._in_flight[relative] -= 1
            if self._in_flight[relative] <= 0:
                del self._in_flight[relative]

    def _relative(self, info: InstanceInfo) -> str:
        return self.files.relative_path(
            info.study_uid, info.series_uid, info.sop_instance_uid, "instances"
        )

    def _put(
        self,
        info: InstanceInfo,
        payload: bytes,
        *,
        source: str,
        images_only: bool,
        wait: bool,
        durable: bool,
        header: Dataset | None = None,
    ) -> Stored:
        if images_only and not (info.is_image or info.is_seg):
            what = info.modality or info.sop_class_uid
            raise Unprocessable(f"not an image ({what}): only images and SEGs can be uploaded")
        relative = self._relative(info)
        entry = self.journal.enter(study_folder(relative))  # before any file exists
        ticket = None
        self._enter(relative)
        try:
            self.files.write(relative, payload, sync=durable)
            pending = Pending(info, relative, len(payload), source, durable)
            ticket = self.indexer.submit(pending)
        finally:
            if ticket is None:  # no row will be committed to leave it
                self._leave(relative)
            self.journal.leave(entry, ticket)
        if header is not None and self.on_header is not None:
            self.on_header(relative, pending.received_at, header)
        if wait:
            self.indexer.wait(ticket)
        return Stored(info, relative)


def encode_part10(ds: Dataset) -> bytes:
    """A Part 10 file for a dataset received over the network (PS3.10 7.1)."""
    meta = FileMetaDataset(getattr(ds, "file_meta", FileMetaDataset()))
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    if "TransferSyntaxUID" not in meta:
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.file_meta = meta
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()
