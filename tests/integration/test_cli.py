"""The command line: `db upgrade` on a fresh folder, `serve` answering /healthz."""

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
from tests.helpers import free_port, wait_serving


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGDICOM_")}
    return env | {"SEGDICOM_DATA_DIR": str(data_dir), "SEGDICOM_DICOM_PORT": "0", **extra}


def test_db_upgrade(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-m", "segdicom", "db", "upgrade"],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    database = data_dir / "segdicom.sqlite3"
    assert database.is_file()
    with sqlite3.connect(database) as connection:
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        head = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert {"instances", "annotations", "segments", "slice_masks", "exports", "events"} <= tables
    assert head is not None


def test_serve_answers_healthz(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "segdicom", "serve"],
        env=_env(tmp_path / "data", SEGDICOM_HTTP_PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        assert body["status"] == "ok"
        viewer = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert viewer.status_code == 200
        assert "text/html" in viewer.headers["content-type"]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    assert process.returncode is not None


def _wait_healthy(url: str, process: subprocess.Popen[str]) -> dict:  # type: ignore[type-arg]
    def output() -> str:
        return process.stdout.read() if process.stdout and process.poll() is not None else ""

    body: dict = wait_serving(url, process, output, timeout=30).json()  # type: ignore[type-arg]
    return body
