"""Start-up repair of the store: index the files a crash left without a row.

`recover` reads only the journals of writers that are gone (store/journal.py
says which, and why that is enough) and looks only in the study folders they
list, so a start costs the size of what was in flight, not of the archive.
`reindex` walks every study folder: for a data folder that has no journal
(made by an older version, or files copied in by hand), and for an operator
(`segdicom store reindex`). Both index only complete files (temp files are
never read) and skip files the index already has, so running either while
other processes write to the same folder is harmless.
"""

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from segdicom.db import instances as index
from segdicom.store.journal import abandoned, is_study_folder

if TYPE_CHECKING:
    from segdicom.store.store import Store

log = logging.getLogger("segdicom.store")
FLUSH_EVERY = 1000  # rows queued before waiting for them, so a full scan stays small


@dataclass
class Recovery:
    """What a repair read and did."""

    full_scan: bool = False
    journals: int = 0  # journals of gone writers read
    folders: int = 0  # study folders looked in
    files: int = 0  # stored files seen in them
    indexed: int = 0  # of those, files the index lacked, now indexed
    removed: int = 0  # temp files of gone writers removed

    def summary(self) -> str:
        how = "full scan" if self.full_scan else f"{self.journals} journal(s)"
        return (
            f"{how}: {self.folders} study folder(s), {self.files} file(s) seen, "
            f"{self.indexed} indexed, {self.removed} partial file(s) removed"
        )


def recover(store: "Store") -> Recovery:
    """Repair what writers that are gone left; a full scan once for an unjournaled folder."""
    if not store.journal.initialised():
        if not (store.files.root / "instances").is_dir():  # a new data folder
            store.journal.initialise()
            return Recovery()
        log.warning("data folder without a store journal (older version?): scanning every file")
        report = reindex(store)
        log.warning("store recovery, %s", report.summary())
        return report
    journals = abandoned(store.journal)
    report = Recovery(journals=len(journals))
    folders = sorted({f for j in journals for f in j.folders()})
    for folder in folders:
        _repair(store, folder, report)
    store.flush()  # the rows are in before the journals naming them go
    for journal in journals:
        if journal.removable:
            journal.remove()
        else:
            log.info("kept store journal %s: its writer may still run", journal.path.name)
    if report.indexed or report.removed:
        log.warning("store recovery, %s", report.summary())
    return report


def reindex(store: "Store") -> Recovery:
    """Index every stored file the index lacks, walking the whole store; then mark
    the data folder as journaled (its next starts read only journals)."""
    report = Recovery(full_scan=True)
    queued = 0
    for folder in store.files.study_folders("instances"):
        before = report.indexed
        _repair(store, folder, report)
        queued += report.indexed - before
        if queued >= FLUSH_EVERY:
            store.flush()
            queued = 0
    store.flush()
    store.journal.initialise()
    return report


def _repair(store: "Store", folder: str, report: Recovery) -> None:
    """Index the files under one study folder the index lacks; remove abandoned temps."""
    paths = store.files.files_under(folder)
    report.folders += 1
    report.files += len(paths)
    known = _indexed_paths(store, folder)
    for relative in paths:
        if relative not in known and store.index_stored(relative):
            report.indexed += 1
    report.removed += store.files.remove_partial_files(folder)


def _indexed_paths(store: "Store", folder: str) -> set[str]:
    """The indexed paths under `instances/<study>`: a row's path is built from its
    own study UID (FileStore.relative_path), so the study's rows hold them all."""
    if not is_study_folder(folder):
        return set()
    study_uid = folder.partition("/")[2]
    with store.sessions() as session:
        return index.paths_of_study(session, study_uid)
