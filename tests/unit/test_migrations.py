"""The schema comes only from the Alembic revisions, and it matches the models."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from segdicom.db import Base, make_engine, upgrade
from segdicom.db.engine import MIGRATIONS_DIR


def test_upgrade_empty_database_matches_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, Base.metadata)
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert differences == []
    expected = {"instances", "annotations", "segments", "slice_masks", "exports", "events"}
    assert expected <= tables
    assert "alembic_version" in tables


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.sqlite3'}"
    upgrade(url)
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert head == ScriptDirectory.from_config(config).get_current_head()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wal.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            mode = connection.execute(text("PRAGMA journal_mode")).scalar()
            keys = connection.execute(text("PRAGMA foreign_keys")).scalar()
    finally:
        engine.dispose()
    assert str(mode).lower() == "wal"
    assert keys == 1


EARLIER_CONSENSUS = (
    "INSERT INTO projects (id, name, description, labels, readers_per_case, review_required,"
    " export_on_approval, rules, created_by, created_at)"
    " VALUES (1, 'p', '', '[]', 2, 1, 0, '[]', 'root', '2026-12-01 00:00:00')",
    "INSERT INTO cases (id, project_id, series_uid, study_uid, readings, source, created_by,"
    " created_at) VALUES (7, 1, '1.2.3', '1.2', 2, 'api', 'root', '2026-12-01 00:00:00')",
    *(
        "INSERT INTO annotations (id, series_uid, study_uid, version, created_by, created_at,"
        f" updated_at, seg_series_uid, description) VALUES ({n}, '1.2.3', '1.2', 2, 'rita',"
        f" '2026-12-01 00:00:00', '2026-12-01 00:00:00', '1.2.{n}', '')"
        for n in (10, 11)
    ),
    "INSERT INTO segments (annotation_id, number, label, color, category_code, category_scheme,"
    " category_meaning, type_code, type_scheme, type_meaning)"
    " VALUES (10, 1, 'Liver', '#ff0000', 'c', 'SCT', 'm', 't', 'SCT', 'm')",
    "INSERT INTO jobs (id, kind, state, done, total, error, params, result, created_at,"
    " updated_at) VALUES ('j1', 'consensus', 'done', 0, 2, '', '{}',"
    ' \'{"annotation_id": 10, "case_id": 7, "method": "staple"}\','
    " '2026-12-01 00:00:00', '2026-12-01 00:00:00')",
)


def test_upgrade_links_earlier_consensus_annotations_to_their_case(tmp_path: Path) -> None:
    """A consensus made before annotations.consensus_case_id existed gets its case from the
    job that made it (else the readers of a blinded case could read it); the table copy
    SQLite needs keeps every annotation and its segments."""
    url = f"sqlite:///{tmp_path / 'earlier.sqlite3'}"
    upgrade(url, "20261202_projects")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for statement in EARLIER_CONSENSUS:
                connection.execute(text(statement))
        upgrade(url)
        with engine.connect() as connection:
            query = "SELECT id, consensus_case_id FROM annotations ORDER BY id"
            linked = connection.execute(text(query)).all()
            segments = connection.execute(text("SELECT annotation_id FROM segments")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in linked] == [(10, 7), (11, None)]
    assert [tuple(r) for r in segments] == [(10,)]
