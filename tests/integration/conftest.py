"""Integration fixtures: a real Orthanc per test module, and a factory for custom ones."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.orthanc import Orthanc, OrthancFactory


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
