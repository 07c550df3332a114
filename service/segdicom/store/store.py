"""Store: check an object, write its file atomically, then index it.

Every way in (upload, C-STORE, WADO-RS, C-MOVE) goes through `Store.put`, so the
rules of "What gets in" hold the same everywhere. The file is durable before
the index row is committed, and before the caller acknowledges anything.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian
from sqlalchemy.orm import Session, sessionmaker

from segdicom.db import instances as index
from segdicom.errors import Unprocessable
from segdicom.store.files import FileStore
from segdicom.store.ingest import InstanceInfo, inspect_dataset, parse_part10


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
    ) -> None:
        self.files = files
        self.sessions = sessions
        # Told the series UID after each commit, so cached series state is dropped.
        self.on_stored = on_stored

    def put_bytes(self, data: bytes, *, source: str, images_only: bool) -> Stored:
        """Store a Part 10 file given as bytes (upload, WADO-RS)."""
        ds = parse_part10(data)
        return self._put(ds, data, source=source, images_only=images_only)

    def put_dataset(self, ds: Dataset, *, source: str, images_only: bool = False) -> Stored:
        """Store a dataset received without a file (C-STORE): encode it as Part 10."""
        return self._put(ds, None, source=source, images_only=images_only)

    def _put(self, ds: Dataset, data: bytes | None, *, source: str, images_only: bool) -> Stored:
        info = inspect_dataset(ds)
        if images_only and not (info.is_image or info.is_seg):
            what = info.modality or info.sop_class_uid
            raise Unprocessable(f"not an image ({what}): only images and SEGs can be uploaded")
        relative = self.files.relative_path(
            info.study_uid, info.series_uid, info.sop_instance_uid, "instances"
        )
        payload = data if data is not None else encode_part10(ds)
        self.files.write(relative, payload)
        with self.sessions.begin() as session:
            index.upsert(session, info, relative, size=len(payload), source=source)
        if self.on_stored is not None:
            self.on_stored(info.series_uid)
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
