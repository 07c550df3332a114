"""The database flows on both engines: SQLite and a real PostgreSQL (temporary cluster).

Each test runs twice (`engine` = sqlite | postgresql) through the HTTP API:
upload, annotations with masks and 409 conflicts, export, the CSV log, and the
outbox claim. The migrations build the same schema as the models on both.
"""

import csv
import io
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text, update
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient
from tests.integration.support import (
    create_annotation,
    disc,
    mask_body,
    mask_from,
    put_mask,
    put_segment,
    series_info,
    upload_series,
)
from tests.postgres import Postgres

from segdicom.app import create_app
from segdicom.config import Settings
from segdicom.db import Base, make_engine, make_sessionmaker, upgrade
from segdicom.db import exports as export_rows
from segdicom.db.models import Export
from segdicom.db.types import utcnow
from segdicom.pacs.outbox import Outbox


@pytest.fixture
def db_client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", dicom_port=0, database_url=database_url)
    with TestClient(create_app(settings)) as client:
        yield client


def test_migrations_build_the_models_schema(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)  # idempotent
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert differences == []
    assert {"instances", "annotations", "slice_masks", "exports", "events", "jobs"} <= tables


def test_annotate_conflict_export_and_log(db_client: TestClient) -> None:
    client = db_client
    info = series_info(client, upload_series(client, "ct_philips_phantom"))
    assert info["num_slices"] == len(info["slices"]) > 10
    aid = create_annotation(client, info["series_uid"])["id"]
    put_segment(client, aid, 1, label="Liver")
    version = put_segment(client, aid, 2, label="Tumor")
    liver, tumor = disc(512, 512, 250, 240, 60), disc(512, 512, 260, 260, 20)
    stale = version
    version = put_mask(client, aid, 1, 5, liver, version)
    version = put_mask(client, aid, 2, 5, tumor, version)

    url = f"/api/annotations/{aid}/segments/1/slices/5"
    conflict = client.put(
        url,
        content=mask_body(tumor),
        headers={"If-Match": str(stale), "Content-Type": "application/octet-stream"},
    )
    assert conflict.status_code == 409, conflict.text
    assert np.array_equal(mask_from(client.get(url).content, 512, 512), liver)
    assert client.get(f"/api/annotations/{aid}").json()["version"] == version

    export = client.post(f"/api/annotations/{aid}/exports", json={"destination": "local"})
    assert export.status_code == 201, export.text
    body = export.json()
    assert client.get(f"/api/exports/{body['id']}").json()["status"] == "local"
    assert client.get(f"/api/exports/{body['id']}/file").content[128:132] == b"DICM"

    rows = list(csv.DictReader(io.StringIO(client.get("/api/log.csv").text)))
    assert any(r["seg_sop_instance_uid"] == body["sop_instance_uid"] for r in rows)
    assert {r["series_uid"] for r in rows} == {info["series_uid"]}
    since = rows[-1]["timestamp"]
    later = client.get("/api/log.csv", params={"since": since}).text
    assert len(list(csv.DictReader(io.StringIO(later)))) >= 1
    assert len(client.get("/api/studies", params={"source": "local"}).json()) == 1


def test_upload_twice_keeps_one_copy(db_client: TestClient) -> None:
    first = series_info(db_client, upload_series(db_client, "mr_siemens_t1_sag"))
    second = series_info(db_client, upload_series(db_client, "mr_siemens_t1_sag"))
    assert first["num_slices"] == second["num_slices"]
    studies = db_client.get("/api/studies", params={"source": "local"}).json()
    assert sum(s["num_instances"] for s in studies) == first["num_slices"]


def test_the_local_series_of_a_study_are_listed(db_client: TestClient) -> None:
    series_uid = upload_series(db_client, "mr_siemens_t1_sag")
    info = series_info(db_client, series_uid)
    listed = db_client.get(f"/api/studies/{info['study_uid']}/series", params={"source": "local"})
    assert listed.status_code == 200, listed.text  # PostgreSQL has no max(boolean)
    [series] = listed.json()
    assert (series["series_uid"], series["num_instances"]) == (series_uid, info["num_slices"])


def test_outbox_claim_is_exclusive(database_url: str, db_client: TestClient) -> None:
    """Four threads claim at once, on their own connections: each export once."""
    series_uid = upload_series(db_client, "ct_philips_phantom")
    aid = create_annotation(db_client, series_uid)["id"]
    version = put_segment(db_client, aid, 1, label="Liver")
    put_mask(db_client, aid, 1, 3, disc(512, 512, 200, 200, 30), version)
    for _ in range(6):
        assert db_client.post(f"/api/annotations/{aid}/exports", json={}).status_code == 201
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        with sessions.begin() as session:
            session.execute(update(Export).values(status="pending", next_attempt_at=None))
        claimed: list[int] = []
        barrier = threading.Barrier(4)

        def claimer() -> None:
            barrier.wait()
            while True:
                with sessions.begin() as session:
                    row = export_rows.claim_due(session, utcnow(), timedelta(seconds=60))
                    if row is None:
                        return
                    claimed.append(row.id)

        threads = [threading.Thread(target=claimer) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        with sessions() as session:
            ids = list(session.scalars(select(Export.id)))
    finally:
        engine.dispose()
    assert sorted(claimed) == sorted(ids)
    assert len(ids) == 6


class _RecordingPacs:
    def __init__(self) -> None:
        self.stored: list[Path] = []

    def store(self, path: Path) -> None:
        self.stored.append(path)


def test_a_starting_process_keeps_the_claims_of_others(
    database_url: str, db_client: TestClient
) -> None:
    """Process A holds a lease on an export; process B starting its outbox must not send it."""
    series_uid = upload_series(db_client, "ct_philips_phantom")
    aid = create_annotation(db_client, series_uid)["id"]
    version = put_segment(db_client, aid, 1, label="Liver")
    put_mask(db_client, aid, 1, 3, disc(512, 512, 200, 200, 30), version)
    assert db_client.post(f"/api/annotations/{aid}/exports", json={}).status_code == 201
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    pacs = _RecordingPacs()
    outbox = Outbox(sessions, pacs, Path, interval=0.05, max_backoff=1.0)  # type: ignore[arg-type]
    try:
        with sessions.begin() as session:
            session.execute(update(Export).values(status="pending", next_attempt_at=None))
        with sessions.begin() as session:  # process A's claim, still running
            assert export_rows.claim_due(session, utcnow(), timedelta(seconds=60)) is not None
        outbox.start()  # process B starts: A runs, so its claim is not released
        assert outbox.deliver_due() == 0  # a whole pass of B's, and it sends nothing
    finally:
        outbox.stop()
        engine.dispose()
    assert pacs.stored == []


@pytest.mark.parametrize("idle", [True, False])
def test_a_pooled_connection_the_server_ended_is_replaced_once_idle(
    postgres: Postgres, idle: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from segdicom.db import engine as engines

    database_url = postgres.create_database()

    monkeypatch.setattr(engines, "IDLE_PING_SECONDS", 0.0 if idle else 3600.0)
    engine = make_engine(database_url)
    killer = make_engine(database_url)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with killer.connect() as conn:  # the server ends it (a restart, an idle timeout)
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        if idle:  # pinged at checkout, found gone, replaced: the caller sees nothing
            with engine.connect() as conn:
                assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
        else:  # used without a ping: the error reaches the caller, the pool drops it
            with pytest.raises(OperationalError), engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            with engine.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
        killer.dispose()
