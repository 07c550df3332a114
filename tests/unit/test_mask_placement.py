"""Stored masks are placed by their source slice, on a real (SQLite) database at head."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from segdicom.db import annotations as repo
from segdicom.db import make_engine, make_sessionmaker, upgrade
from segdicom.db.models import SliceMask
from segdicom.db.types import utcnow

BEFORE = [("1.2.10", 1), ("1.2.20", 1), ("1.2.30", 1), ("1.2.40", 1)]


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path / 'masks.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine).begin() as session:
            annotation = repo.create(session, "1.2", "1.1", "tester", "1.3")
            fields = repo.SegmentFields("Liver", "#dd8265", ("a", "b", "c"), ("d", "e", "f"))
            repo.put_segment(session, annotation.id, 1, fields)
            session.flush()
            yield session
    finally:
        engine.dispose()


def _stored(session: Session) -> dict[int, tuple[str | None, int | None]]:
    query = select(SliceMask.slice_index, SliceMask.sop_instance_uid, SliceMask.frame)
    return {i: (uid, frame) for i, uid, frame in session.execute(query)}


def test_rows_written_before_pinning_keep_their_index_until_a_write_pins_them(
    session: Session,
) -> None:
    row = {"annotation_id": 1, "segment_number": 1, "updated_at": utcnow()}
    session.execute(insert(SliceMask), [{**row, "slice_index": 2, "data": b"old"}])
    assert repo.painted_slices(session, 1, BEFORE) == {1: [2]}
    assert repo.get_mask(session, 1, 1, 2, BEFORE) == b"old"

    repo.put_mask(session, 1, 1, 0, b"new", BEFORE)
    assert _stored(session) == {0: ("1.2.10", 1), 2: ("1.2.30", 1)}
    after = [("1.2.05", 1), *BEFORE]
    assert repo.masks_of(session, 1, after) == {1: {1: b"new", 3: b"old"}}


def test_a_mask_of_a_deleted_instance_is_ignored_and_returns_with_it(session: Session) -> None:
    repo.put_masks(session, 1, 1, {1: b"twenty", 3: b"forty"}, BEFORE)
    without = [k for k in BEFORE if k[0] != "1.2.20"]
    assert repo.masks_of(session, 1, without) == {1: {2: b"forty"}}
    assert repo.get_mask(session, 1, 1, 1, without) is None

    repo.put_mask(session, 1, 1, 1, b"thirty", without)  # the gone row must leave index 1
    assert repo.painted_slices(session, 1, without) == {1: [1, 2]}
    assert min(_stored(session)) < 0
    assert repo.masks_of(session, 1, BEFORE) == {1: {1: b"twenty", 2: b"thirty", 3: b"forty"}}


def test_frames_of_one_multiframe_instance_are_told_apart(session: Session) -> None:
    frames = [("1.2.99", 1), ("1.2.99", 2), ("1.2.99", 3)]
    repo.put_mask(session, 1, 1, 1, b"second", frames)
    assert repo.get_mask(session, 1, 1, 1, frames) == b"second"
    assert repo.get_mask(session, 1, 1, 0, frames) is None
    assert repo.painted_slices(session, 1, [("1.2.99", 2)]) == {1: [0]}
