"""Two `segdicom serve` processes, one PostgreSQL, one data folder, one Orthanc.

State lives in the database, the store and the PACS, not in a process: an
annotation written through one process is seen by the other, a stale write
through either is a 409, and every export, whichever process took it, is
delivered to Orthanc by exactly one outbox (one attempt each).
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from tests.helpers import dicom_files, free_port, poll, wait_serving
from tests.integration.support import disc, mask_body, upload
from tests.orthanc import OrthancFactory
from tests.postgres import Postgres


class Serve:
    """`python -m segdicom serve` on a free port, output kept in a log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "segdicom", "serve"],
                env={**env, "SEGDICOM_HTTP_PORT": str(self.port)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_up(self) -> httpx.Client:
        wait_serving(self.url + "/healthz", self.process, lambda: self.log.read_text()[-3000:])
        return httpx.Client(base_url=self.url, timeout=60)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    with Postgres() as server:
        yield server


@pytest.fixture
def two_processes(
    postgres: Postgres, orthanc_factory: OrthancFactory, tmp_path: Path
) -> Iterator[tuple[httpx.Client, httpx.Client, Any]]:
    orthanc = orthanc_factory()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGDICOM_")}
    env |= {
        "SEGDICOM_DATA_DIR": str(tmp_path / "data"),
        "SEGDICOM_DATABASE_URL": postgres.create_database(),
        "SEGDICOM_DICOMWEB_URL": orthanc.dicomweb_url,
        "SEGDICOM_DICOM_PORT": "0",
        "SEGDICOM_OUTBOX_INTERVAL": "0.2",
        "SEGDICOM_LOG_LEVEL": "WARNING",
    }
    first = Serve(env, tmp_path / "a.log")
    a = first.wait_up()  # migrates the database before the second one starts
    second = Serve(env, tmp_path / "b.log")
    try:
        b = second.wait_up()
        yield a, b, orthanc
        a.close()
        b.close()
    finally:
        first.stop()
        second.stop()


def _put(client: httpx.Client, url: str, mask: np.ndarray, version: int) -> httpx.Response:
    headers = {"If-Match": str(version), "Content-Type": "application/octet-stream"}
    return client.put(url, content=mask_body(mask), headers=headers)


def test_conflicts_and_exactly_once_delivery(
    two_processes: tuple[httpx.Client, httpx.Client, Any],
) -> None:
    a, b, orthanc = two_processes
    answer = upload(a, dicom_files("ct_philips_phantom"))  # type: ignore[arg-type]
    series_uid = answer.json()["series"][0]["series_uid"]
    assert b.get(f"/api/series/{series_uid}").json()["num_slices"] > 10  # B sees A's upload

    aid = a.post("/api/annotations", json={"series_uid": series_uid}).json()["id"]
    segment = b.put(
        f"/api/annotations/{aid}/segments/1", json={"label": "Liver"}, headers={"If-Match": "1"}
    )
    version = segment.json()["version"]
    url = f"/api/annotations/{aid}/segments/1/slices/4"
    first = _put(a, url, disc(512, 512, 250, 250, 40), version)
    assert first.status_code == 200, first.text
    stale = _put(b, url, disc(512, 512, 100, 100, 10), version)  # B saw the same version
    assert stale.status_code == 409, stale.text
    assert b.get(url).content == mask_body(disc(512, 512, 250, 250, 40))

    exports = []
    for k in range(6):
        client = (a, b)[k % 2]
        created = client.post(f"/api/annotations/{aid}/exports", json={"destination": "pacs"})
        assert created.status_code == 201, created.text
        exports.append(created.json())

    def all_sent() -> list[dict[str, Any]] | None:
        states = [a.get(f"/api/exports/{e['id']}").json() for e in exports]
        return states if all(s["status"] == "sent" for s in states) else None

    states: list[dict[str, Any]] = poll(all_sent, "six exports sent", timeout=60, interval=0.2)
    assert [s["attempts"] for s in states] == [1] * 6, states  # one delivery each
    seg_series = {e["series_instance_uid"] for e in exports}
    assert len(seg_series) == 1
    assert len(orthanc.instances_of_series(seg_series.pop())) == 6
