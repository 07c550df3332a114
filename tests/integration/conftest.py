"""Integration fixtures: a real Orthanc per test module, a factory for custom ones, and a real
PostgreSQL per test module for the tests run on both database engines."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.orthanc import Orthanc, OrthancFactory
from tests.postgres import Postgres


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    """A fresh Orthanc for the module (DICOMweb on, no modalities), stopped at the end."""
    server = Orthanc(tmp_path_factory.mktemp("orthanc"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def orthanc_factory(tmp_path: Path) -> Iterator[OrthancFactory]:
    """Start Orthancs with custom settings: `orthanc_factory(modalities={...}, aet=...)`."""
    started: list[Orthanc] = []

    def make(**options: Any) -> Orthanc:
        server = Orthanc(tmp_path / f"orthanc{len(started)}", **options)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with Postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database on each engine: the test runs once per engine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'segdicom.sqlite3'}"
    server: Postgres = request.getfixturevalue("postgres")
    return server.create_database()
