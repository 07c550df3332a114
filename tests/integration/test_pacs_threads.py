"""A PACS that does not answer holds threads of its own, never the request threads.

Over real HTTP (uvicorn in a thread) against a real socket that accepts every
connection and never answers: more PACS searches than there are request threads
wait on it, and the local store still answers meanwhile. Once the PACS goes away,
every search gets a 502 naming it.
"""

import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from tests.conftest import LiveServer
from tests.helpers import poll

from segdicom.api.common import PACS_THREADS
from segdicom.config import Settings
from segdicom.db.engine import CONNECTIONS

SEARCHES = CONNECTIONS + 5  # more than every request thread


class SilentPacs:
    """Accepts connections on a loopback port, reads nothing, answers nothing."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = int(self.listener.getsockname()[1])
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed: the PACS went away
                return
            self.accepted.append(connection)

    def close(self) -> None:
        if self.listener.fileno() < 0:
            return
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes accept(), which close() alone does not
        self.thread.join(timeout=10)
        self.listener.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def silent_pacs() -> Iterator[SilentPacs]:
    pacs = SilentPacs()
    yield pacs
    pacs.close()


def test_a_silent_pacs_does_not_hold_the_request_threads(
    tmp_path: Path, silent_pacs: SilentPacs
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        dicom_port=0,
        dicomweb_url=f"http://127.0.0.1:{silent_pacs.port}/dicom-web",
        pacs_timeout=120,  # longer than the test: only closing the socket ends a search
    )
    server = LiveServer(settings).start()
    limiter = server.server.config.app.state.pacs_limiter
    try:
        with (
            httpx.Client(base_url=server.url, timeout=60) as client,
            ThreadPoolExecutor(SEARCHES) as pool,
        ):
            searches = [
                pool.submit(client.get, "/api/studies", params={"source": "pacs"})
                for _ in range(SEARCHES)
            ]
            # Every search is in: PACS_THREADS wait on the PACS, the rest for a thread.
            poll(lambda: len(silent_pacs.accepted) >= PACS_THREADS, "searches at the PACS")
            waiting = SEARCHES - PACS_THREADS
            poll(lambda: limiter.statistics().tasks_waiting == waiting, "searches queued")
            assert len(silent_pacs.accepted) == PACS_THREADS

            local = client.get("/api/studies", params={"source": "local"}, timeout=10)
            assert local.status_code == 200, local.text
            assert local.json() == []

            silent_pacs.close()  # the PACS goes away: every search ends
            answers = [search.result() for search in searches]
    finally:
        server.stop()
    assert [a.status_code for a in answers] == [502] * SEARCHES, [a.text for a in answers]
    assert all(str(silent_pacs.port) in a.json()["detail"] for a in answers), answers[0].text
