"""The index writer: a row the database refuses for good is dropped once, not retried forever."""

from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from segdicom.db import make_engine, make_sessionmaker, upgrade
from segdicom.db.engine import is_transient
from segdicom.db.models import Instance
from segdicom.store.indexer import IndexWriter, Pending
from segdicom.store.ingest import InstanceInfo

INFO = InstanceInfo(
    sop_instance_uid="1.2.3.1",
    sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
    study_uid="1.2.3",
    series_uid="1.2.3.4",
    modality="CT",
    patient_id="P",
    patient_name="N",
    study_date="20200101",
    study_description="",
    accession_number="",
    series_description="",
    series_number=1,
    instance_number=1,
    rows=2,
    columns=2,
    num_frames=1,
    transfer_syntax_uid="1.2.840.10008.1.2.1",
    is_image=True,
)


def test_a_refused_row_is_left_out_once_and_the_rest_of_the_batch_is_indexed(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'index.db'}"
    upgrade(url)
    sessions = make_sessionmaker(make_engine(url))
    committed: list[int] = []
    writer = IndexWriter(sessions, lambda done: committed.append(done.through), lambda _: None)
    bad = replace(INFO, sop_instance_uid="1.2.3.2", sop_class_uid=None)  # NOT NULL column
    for info, name in ((INFO, "a"), (bad, "b"), (replace(INFO, sop_instance_uid="1.2.3.3"), "c")):
        writer.submit(Pending(info, f"study/{name}.dcm", 10, "upload"))
    writer.wait(timeout=10)  # returns: the bad row does not hold the batch back forever
    writer.close()
    with sessions() as session:
        held = set(session.scalars(select(Instance.sop_instance_uid)))
    assert held == {"1.2.3.1", "1.2.3.3"}
    assert committed[-1] == 3


def test_a_database_that_is_away_is_transient_and_a_constraint_is_not() -> None:
    assert is_transient(OperationalError("INSERT", {}, Exception("database is locked")))
    assert not is_transient(IntegrityError("INSERT", {}, Exception("NOT NULL")))
    assert not is_transient(FileNotFoundError("gone"))
