"""The store journal: which study folders a writer lists, when it forgets them,
and which journals a start reads."""

import os
import time
from pathlib import Path

import pytest
from tests.helpers import dead_pid

from segdicom.errors import StoreFailed
from segdicom.process import HOST, identity
from segdicom.store.journal import (
    FOREIGN_MAX_AGE,
    Journal,
    JournalFile,
    abandoned,
    is_study_folder,
    study_folder,
)

STUDY_A, STUDY_B = "instances/1.2.3", "instances/1.2.4"


def journal_files(journal: Journal) -> list[Path]:
    return sorted(journal.folder.glob("*.log"))


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_a_study_is_listed_once_per_generation_before_the_write(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    for folder in (STUDY_A, STUDY_A, STUDY_B, STUDY_A):
        entry = journal.enter(folder)
        journal.leave(entry, None)
    (only,) = journal_files(journal)
    assert lines(only) == [STUDY_A, STUDY_B]
    assert only.name.startswith(identity().replace(":", "-") + "-")


def test_a_generation_is_deleted_once_every_row_it_covers_is_committed(tmp_path: Path) -> None:
    journal = Journal(tmp_path, rotate_seconds=0)
    entry = journal.enter(STUDY_A)
    journal.leave(entry, ticket=3)
    journal.committed(2)
    assert len(journal_files(journal)) == 1  # ticket 3 is not committed yet
    journal.committed(3)
    assert journal_files(journal) == []


def test_a_write_in_flight_keeps_its_generation(tmp_path: Path) -> None:
    journal = Journal(tmp_path, rotate_seconds=0)
    entry = journal.enter(STUDY_A)
    journal.committed(100)  # rows of other writes: this one has not submitted yet
    assert len(journal_files(journal)) == 1
    journal.leave(entry, ticket=101)
    assert len(journal_files(journal)) == 1
    journal.committed(101)
    assert journal_files(journal) == []


def test_a_study_is_listed_again_in_the_next_generation(tmp_path: Path) -> None:
    journal = Journal(tmp_path, rotate_seconds=0)
    first = journal.enter(STUDY_A)
    journal.leave(first, ticket=1)
    second = journal.enter(STUDY_A)  # the first generation expired: a new file
    journal.leave(second, ticket=2)
    assert [lines(p) for p in journal_files(journal)] == [[STUDY_A], [STUDY_A]]
    journal.committed(1)
    assert [p.name for p in journal_files(journal)] == [second.path.name]


def test_an_active_generation_is_kept_until_it_expires(tmp_path: Path) -> None:
    journal = Journal(tmp_path, rotate_seconds=3600)
    journal.leave(journal.enter(STUDY_A), ticket=1)
    journal.committed(1)
    assert len(journal_files(journal)) == 1  # the next write to the study costs no fsync
    journal.close()
    assert journal_files(journal) == []


def test_close_keeps_a_generation_whose_rows_are_not_committed(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.leave(journal.enter(STUDY_A), ticket=5)
    journal.committed(4)
    journal.close()
    assert len(journal_files(journal)) == 1


def test_a_name_left_by_an_earlier_life_of_this_pid_is_not_reused(tmp_path: Path) -> None:
    probe = Journal(tmp_path / "probe").enter(STUDY_A).path  # this process's latest number
    prefix, number = probe.stem.rsplit("-", 1)
    journal = Journal(tmp_path)
    journal.folder.mkdir()
    for left in range(int(number) + 1, int(number) + 50):
        (journal.folder / f"{prefix}-{left}.log").write_text(f"{STUDY_B}\n")
    entry = journal.enter(STUDY_A)
    assert lines(entry.path) == [STUDY_A]
    assert len(journal_files(journal)) == 50


def test_a_journal_that_cannot_be_written_fails_the_store_naming_it(tmp_path: Path) -> None:
    (tmp_path / "journal").write_text("a file where the folder should be")
    with pytest.raises(StoreFailed, match=r"cannot write the store journal .*journal"):
        Journal(tmp_path).enter(STUDY_A)


def write_journal(journal: Journal, name: str, *entries: str) -> Path:
    journal.folder.mkdir(parents=True, exist_ok=True)
    path = journal.folder / name
    path.write_text("".join(f"{e}\n" for e in entries))
    return path


def test_a_start_reads_the_journals_of_gone_writers_only(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    mine = journal.enter(STUDY_A).path  # this process's, in use
    dead = write_journal(journal, f"{HOST}-{dead_pid()}-1.log", STUDY_A)
    running = write_journal(journal, f"{HOST}-{os.getppid()}-1.log", STUDY_A)
    earlier_life = write_journal(journal, f"{HOST}-{os.getpid()}-999999.log", STUDY_B)
    foreign = write_journal(journal, f"elsewhere-{dead_pid()}-1.log", STUDY_B)
    old_foreign = write_journal(journal, f"elsewhere-{dead_pid()}-2.log", STUDY_B)
    aged = time.time() - FOREIGN_MAX_AGE - 60
    os.utime(old_foreign, (aged, aged))
    found = {j.path: j.removable for j in abandoned(journal)}
    assert found == {dead: True, earlier_life: True, foreign: False, old_foreign: True}
    assert mine not in found and running not in found


def test_a_line_torn_by_a_crash_is_skipped(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    path = write_journal(journal, "x-1-1.log", STUDY_A, "../../etc", STUDY_B)
    with path.open("a") as handle:
        handle.write("instances/1.2.")  # cut mid-line: nothing was written there yet
    assert JournalFile(path, "x:1", removable=True).folders() == [STUDY_A, STUDY_B]


def test_a_study_folder_is_named_from_a_stored_files_path() -> None:
    assert study_folder("instances/1.2.3/4.5/6.7.dcm") == "instances/1.2.3"
    assert is_study_folder("instances/1.2.3")
    assert not is_study_folder("instances/../x") and not is_study_folder("other/1.2")


def test_the_marker_says_the_data_folder_is_journaled(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    assert not journal.initialised()
    journal.initialise()
    assert journal.initialised() and "reindex" in (journal.folder / "README").read_text()
    assert abandoned(journal) == []
