"""The local DICOM store: validated instances as files, indexed in the database."""

from segdicom.store.files import FileStore
from segdicom.store.ingest import InstanceInfo, inspect_dataset, parse_part10
from segdicom.store.store import Store, Stored

__all__ = ["FileStore", "InstanceInfo", "Store", "Stored", "inspect_dataset", "parse_part10"]
