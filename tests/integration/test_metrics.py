"""/metrics in Prometheus format, X-Request-Id in and out, request ids on JSON log lines."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from starlette.testclient import TestClient
from tests.helpers import dicom_files, free_port, require_tool, wait_serving
from tests.integration.support import create_annotation, disc, put_mask, put_segment, upload_series
from tests.unit.test_process import start_holder

from segdicom.app import create_app
from segdicom.config import Settings
from segdicom.db import jobs as jobs_db
from segdicom.db.models import Export
from segdicom.db.types import utcnow
from segdicom.enums import JobKind, JobState
from segdicom.state import AppState

SLICE_ROUTE = "/api/series/{series_uid}/slices/{index}"


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


def _value(samples: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    return float(samples.get((name, tuple(sorted(labels.items()))), 0.0))


def test_latency_by_route_cache_bytes_and_outbox(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", dicom_port=0)
    with TestClient(create_app(settings)) as client:
        series_uid = upload_series(client, "ct_philips_phantom")
        for index in range(5):
            assert client.get(f"/api/series/{series_uid}/slices/{index}").status_code == 200
        assert client.get("/api/series/1.2.3/slices/0").status_code == 404
        samples = _samples(client)
        count = "segdicom_http_request_duration_seconds_count"
        assert _value(samples, count, route=SLICE_ROUTE, method="GET", status="2xx") == 5
        assert _value(samples, count, route=SLICE_ROUTE, method="GET", status="4xx") == 1
        assert not any("1.2.3" in str(labels) for _, labels in samples)  # templates only
        assert 0 < _value(samples, "segdicom_volume_cache_bytes") <= settings.volume_cache_bytes
        assert _value(samples, "segdicom_outbox_pending") == 0

        aid = create_annotation(client, series_uid)["id"]
        version = put_segment(client, aid, 1, label="Liver")
        put_mask(client, aid, 1, 2, disc(512, 512, 200, 200, 20), version)
        assert client.post(f"/api/annotations/{aid}/exports", json={}).status_code == 201
        st: AppState = client.app.state.segdicom  # type: ignore[attr-defined]
        with st.sessions.begin() as session:
            an_hour_ago = utcnow() - timedelta(hours=1)
            session.execute(update(Export).values(status="pending", created_at=an_hour_ago))
        samples = _samples(client)
        assert _value(samples, "segdicom_outbox_pending") == 1
        assert 3500 < _value(samples, "segdicom_outbox_oldest_pending_age_seconds") < 3700
        assert _value(samples, "segdicom_exports", status="pending") == 1


def test_request_id_in_and_out(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    fresh = [client.get("/healthz").headers["x-request-id"] for _ in range(2)]
    assert fresh[0] != fresh[1] and len(fresh[0]) == 32
    hostile = client.get("/healthz", headers={"X-Request-Id": "x\tinjected value" * 10})
    assert hostile.headers["x-request-id"] != "x\tinjected value" * 10
    assert client.get("/nowhere/at/all").headers["x-request-id"]


def test_metrics_off_is_404(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", dicom_port=0, metrics=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 404
        assert client.get("/healthz").headers["x-request-id"]


def test_scp_associations_and_instances(tmp_path: Path) -> None:
    storescu = require_tool("storescu")
    port = free_port()
    settings = Settings(data_dir=tmp_path / "data", dicom_port=port)
    files = [str(p) for p in dicom_files("ct_philips_phantom")[:3]]
    with TestClient(create_app(settings)) as client:
        for _ in range(2):
            subprocess.run(
                [storescu, "-aec", "SEGDICOM", "127.0.0.1", str(port), *files],
                check=True,
                capture_output=True,
                timeout=60,
            )
        # Number of Frames "1A": refused as "cannot understand".
        bad = next(p for p in dicom_files("pydicom_malformed") if p.name == "badVR.dcm")
        subprocess.run(
            [storescu, "-aec", "SEGDICOM", "127.0.0.1", str(port), str(bad)],
            capture_output=True,
            timeout=60,
            check=False,
        )
        samples = _samples(client)
    assert _value(samples, "segdicom_scp_associations_total") == 3
    assert _value(samples, "segdicom_scp_instances_total", outcome="stored") == 6
    assert _value(samples, "segdicom_scp_instances_total", outcome="refused") == 1


def test_json_logs_carry_the_request_id(tmp_path: Path) -> None:
    """A real `segdicom serve`: after start-up every log line is JSON; the access
    line of a request carries the id the client sent."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGDICOM_")}
    env |= {
        "SEGDICOM_DATA_DIR": str(tmp_path / "data"),
        "SEGDICOM_HTTP_PORT": str(port),
        "SEGDICOM_DICOM_PORT": "0",
        "SEGDICOM_LOG_FORMAT": "json",
        "SEGDICOM_LOG_LEVEL": "INFO",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "segdicom", "serve"], env=env, stdout=out, stderr=out
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_up(url, process)
        answer = httpx.get(url + "/healthz", headers={"X-Request-Id": "trace-42"})
        assert answer.headers["x-request-id"] == "trace-42"
    finally:
        process.terminate()
        process.wait(timeout=20)
    lines = log.read_text().splitlines()
    after = lines[next(i for i, line in enumerate(lines) if "startup complete" in line) + 1 :]
    entries = [json.loads(line) for line in after if line.strip()]
    mine = [e for e in entries if e["request_id"] == "trace-42"]
    assert mine and "/healthz" in mine[0]["message"], lines
    assert {"time", "level", "logger", "message"} <= set(mine[0])


def _wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    wait_serving(url + "/healthz", process, timeout=30)


def test_a_job_whose_process_was_killed_is_reported_failed_and_a_live_ones_job_runs(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data", dicom_port=0)
    with TestClient(create_app(settings)) as client:
        st: AppState = client.app.state.segdicom  # type: ignore[attr-defined]
        killed, live = start_holder(settings.data_dir), start_holder(settings.data_dir)
        ids = {}
        with st.sessions.begin() as session:
            for (_, owner), name in ((killed, "killed"), (live, "live")):
                job = jobs_db.create(session, JobKind.RETRIEVE, {})
                job.owner, job.state = owner, JobState.RUNNING
                ids[name] = job.id
        try:
            killed[0].kill()
            killed[0].wait(timeout=10)
            answer = client.get(f"/api/jobs/{ids['killed']}").json()
            assert (answer["state"], answer["error"]) == ("failed", jobs_db.ABANDONED)
            assert client.get(f"/api/jobs/{ids['live']}").json()["state"] == "running"
            assert _value(_samples(client), "segdicom_jobs", state="running") == 1
        finally:
            live[0].kill()
            live[0].wait(timeout=10)
        samples = _samples(client)  # a scrape fails it too, nobody having asked for it
        assert _value(samples, "segdicom_jobs", state="running") == 0
        assert _value(samples, "segdicom_jobs", state="failed") == 2
