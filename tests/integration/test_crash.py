"""SIGKILL `segdicom serve` amid mask saves and SEG exports, restart, lose nothing.

The PACS is a closed port, so exports stay pending; after the restart their
attempts keep rising (the outbox resumes), every acknowledged save is there, and
the store holds no partial file.

And SIGKILL it after C-STORE acknowledged instances whose index rows could not
be committed yet (the database write lock held): the restart indexes them,
reading only the killed process's store journal.
"""

import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pydicom
import pytest
from tests.helpers import REPO, dicom_files, free_port, poll, wait_serving
from tests.integration.support import disc, mask_body, mask_from, upload_series
from tests.integration.test_dimse_scp import responses, storescu

SLICES = 6


class Service:
    """`segdicom serve` as a child process on a free port."""

    def __init__(self, data_dir: Path, pacs_port: int, dicom_port: int = 0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"serve-{self.port}.log"
        self.env = {
            **os.environ,
            "SEGDICOM_DATA_DIR": str(data_dir),
            "SEGDICOM_HTTP_PORT": str(self.port),
            "SEGDICOM_DICOM_PORT": str(dicom_port),
            "SEGDICOM_DICOMWEB_URL": f"http://127.0.0.1:{pacs_port}/dicom-web",
            "SEGDICOM_PACS_TIMEOUT": "1",
            "SEGDICOM_OUTBOX_INTERVAL": "0.2",
            "SEGDICOM_OUTBOX_MAX_BACKOFF": "0.5",
            "SEGDICOM_LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Service":
        command = [sys.executable, "-m", "segdicom", "serve"]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
            )
        wait_serving(self.url + "/healthz", self.process, lambda: self.log.read_text()[-3000:])
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for service in started:
        service.kill()


def _stream(
    url: str,
    annotation_id: int,
    version: int,
    shape: tuple[int, int],
    stop: threading.Event,
    acked: dict[int, bytes],
    exports: list[int],
    inflight: list[tuple[int, bytes]],
) -> None:
    """Save masks round the first slices, and export after every few, until killed."""
    rng = np.random.default_rng(7)
    count = 0
    with httpx.Client(base_url=url, timeout=10) as http:
        while not stop.is_set():
            index = count % SLICES
            cy, cx, radius = rng.uniform(60, 400), rng.uniform(60, 400), rng.uniform(10, 50)
            body = mask_body(disc(shape[0], shape[1], cy, cx, radius))
            path = f"/api/annotations/{annotation_id}/segments/1/slices/{index}"
            headers = {"if-match": str(version), "content-type": "application/octet-stream"}
            inflight[:] = [(index, body)]
            try:
                response = http.put(path, content=body, headers=headers)
                if response.status_code == 200:
                    version = int(response.json()["version"])
                    acked[index] = body
                if count % 4 == 3:
                    made = http.post(
                        f"/api/annotations/{annotation_id}/exports", json={"destination": "pacs"}
                    )
                    if made.status_code == 201:
                        exports.append(int(made.json()["id"]))
            except httpx.HTTPError:
                inflight.append((-1, b"killed"))
                return  # killed mid-request: that write is not acknowledged (but may be stored)
            count += 1


def test_sigkill_mid_stream_loses_nothing_acknowledged(
    tmp_path: Path, services: list[Service]
) -> None:
    data = tmp_path / "data"
    first = Service(data, free_port()).start()
    services.append(first)
    with httpx.Client(base_url=first.url, timeout=60) as http:
        series_uid = upload_series(http, "ct_philips_phantom")  # type: ignore[arg-type]
        annotation = http.post("/api/annotations", json={"series_uid": series_uid}).json()
        segment = http.put(
            f"/api/annotations/{annotation['id']}/segments/1",
            json={"label": "Liver"},
            headers={"If-Match": str(annotation["version"])},
        )
        info = http.get(f"/api/series/{series_uid}").json()
    shape = (info["rows"], info["columns"])
    stop = threading.Event()
    acked: dict[int, bytes] = {}
    exports: list[int] = []
    inflight: list[tuple[int, bytes]] = []
    version = segment.json()["version"]
    args = (first.url, annotation["id"], version, shape, stop, acked, exports, inflight)
    writer = threading.Thread(target=_stream, args=args)
    writer.start()
    # Every slice acknowledged at least once and a few SEGs written: kill it then.
    poll(lambda: len(acked) == SLICES and len(exports) >= 3, "saves and exports", timeout=60)
    first.kill()  # SIGKILL, mid-stream
    stop.set()
    writer.join(timeout=30)
    assert len(acked) == SLICES and len(exports) >= 3, (len(acked), exports)
    assert inflight[-1] == (-1, b"killed")  # the kill landed mid-stream
    acked_now = dict(acked)
    # The write in flight at the kill may or may not have committed; either is right.
    unacked_index, unacked_body = inflight[0]

    second = Service(data, free_port()).start()
    services.append(second)
    with httpx.Client(base_url=second.url, timeout=60) as http:
        for index, body in acked_now.items():
            stored = http.get(f"/api/annotations/{annotation['id']}/segments/1/slices/{index}")
            assert stored.status_code == 200, index
            got = mask_from(stored.content, *shape)
            ok = [body, unacked_body] if index == unacked_index else [body]
            assert any(np.array_equal(got, mask_from(b, *shape)) for b in ok), index
        before = {e: http.get(f"/api/exports/{e}").json() for e in exports}
        assert all(b["status"] == "pending" for b in before.values()), before

        def retried() -> bool:
            after = {e: http.get(f"/api/exports/{e}").json()["attempts"] for e in exports}
            return all(after[e] > before[e]["attempts"] for e in exports)

        poll(retried, f"exports {exports} attempted again after the restart", timeout=20)
        for e in exports:  # every SEG written before the kill is whole
            seg = http.get(f"/api/exports/{e}/file")
            assert seg.status_code == 200
            assert pydicom.dcmread(io.BytesIO(seg.content)).Modality == "SEG"
        log = http.get("/api/log.csv", params={"series_uid": series_uid}).text
    saves = [r for r in csv.DictReader(io.StringIO(log)) if r["action"] == "save_mask"]
    assert len(saves) >= len(acked_now)
    assert list(data.rglob(".tmp-*.part")) == []


def indexed(database: Path, study_uid: str) -> int:
    with sqlite3.connect(database) as connection:
        query = "SELECT count(*) FROM instances WHERE study_uid = ?"
        return int(connection.execute(query, (study_uid,)).fetchone()[0])


def test_sigkill_after_cstore_acknowledged_before_indexed_loses_nothing(
    tmp_path: Path, services: list[Service]
) -> None:
    data, dicom_port = tmp_path / "data", free_port()
    files = dicom_files("ct_philips_phantom")
    study_uid = str(pydicom.dcmread(files[0], stop_before_pixels=True).StudyInstanceUID)
    first = Service(data, free_port(), dicom_port).start()
    services.append(first)
    database = data / "segdicom.sqlite3"
    lock = sqlite3.connect(database, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # index rows wait; the SCP answers once files are durable
    try:
        sent = storescu(dicom_port, files)
        first.kill()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert set(responses(sent.stdout + sent.stderr).values()) == {"Success"}, sent.stderr
    assert indexed(database, study_uid) == 0  # the kill landed between files and rows

    second = Service(data, free_port()).start()
    services.append(second)
    with httpx.Client(base_url=second.url, timeout=60) as http:
        studies = http.get("/api/studies", params={"source": "local"}).json()
    assert [s["num_instances"] for s in studies if s["study_uid"] == study_uid] == [len(files)]
    recovery = [line for line in second.log.read_text().splitlines() if "store recovery" in line]
    assert len(recovery) == 1 and "1 journal(s): 1 study folder(s)" in recovery[0], recovery
    assert f"{len(files)} indexed" in recovery[0]
