"""Fixtures: settings on a temporary data folder, an in-process client, a live server."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.testclient import TestClient

from segdicom.app import create_app
from segdicom.config import Settings
from tests.helpers import free_port, poll

TESTS = Path(__file__).resolve().parent
FOLDER_MARKS = {"integration": pytest.mark.integration, "e2e": pytest.mark.e2e}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/integration is marked `integration`, under tests/e2e
    `e2e`: by its folder, so no file can forget it (`-m "not e2e"` selects by them)."""
    for item in items:
        if item.path.is_relative_to(TESTS):
            folder = item.path.relative_to(TESTS).parts[0]
            if folder in FOLDER_MARKS:
                item.add_marker(FOLDER_MARKS[folder])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", dicom_port=0)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


class LiveServer:
    """The real service over real HTTP on a free loopback port, in a thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()

        def started() -> bool:
            if self.server.started:
                return True
            if not self.thread.is_alive():
                raise RuntimeError("live server exited before it started")
            return False

        poll(started, "live server started", timeout=30, interval=0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(settings).start()
    yield server
    server.stop()
