"""Helpers the HTTP integration tests share: upload real files, read slices, write masks."""

import zlib
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from starlette.testclient import TestClient
from tests.helpers import dicom_files, poll

from segdicom.config import Settings
from segdicom.db import exports as export_rows
from segdicom.db.types import utcnow


def fast_outbox_settings(data_dir: Path, dicomweb_url: str) -> Settings:
    """The service sending to a DICOMweb PACS with a quick outbox, so exports reach it in a test."""
    return Settings(
        data_dir=data_dir,
        dicom_port=0,
        dicomweb_url=dicomweb_url,
        outbox_interval=0.2,
        outbox_max_backoff=1.0,
        pacs_timeout=5,
    )


def upload(client: httpx.Client, paths: Iterable[Path], field: str = "files") -> httpx.Response:
    """POST the files as one multipart request (the browser's folder upload)."""
    files = [(field, (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
    return client.post("/api/uploads" if field == "files" else "/upload", files=files)


def upload_series(client: httpx.Client, folder: str) -> str:
    """Upload a shared-data folder holding one series; its Series Instance UID."""
    response = upload(client, dicom_files(folder))
    assert response.status_code == 200, response.text
    series = response.json()["series"]
    assert len(series) == 1, series
    return str(series[0]["series_uid"])


def series_info(client: httpx.Client, series_uid: str) -> dict[str, Any]:
    response = client.get(f"/api/series/{series_uid}")
    assert response.status_code == 200, response.text
    info: dict[str, Any] = response.json()
    return info


def slice_values(client: httpx.Client, info: dict[str, Any], index: int) -> np.ndarray:
    """Slice `index` of a series as served by the binary slice endpoint."""
    response = client.get(f"/api/series/{info['series_uid']}/slices/{index}")
    assert response.status_code == 200, response.text
    dtype = np.dtype(info["dtype"]).newbyteorder("<")
    return np.frombuffer(response.content, dtype=dtype).reshape(info["rows"], info["columns"])


def disc(rows: int, columns: int, cy: float, cx: float, radius: float) -> np.ndarray:
    yy, xx = np.mgrid[:rows, :columns]
    return np.asarray((yy - cy) ** 2 + (xx - cx) ** 2 <= radius * radius)


def mask_body(mask: np.ndarray) -> bytes:
    """The DESIGN mask format, built here independently of the service's codec."""
    return zlib.compress(np.packbits(mask.astype(bool), axis=None).tobytes())


def mask_from(body: bytes, rows: int, columns: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(zlib.decompress(body), dtype=np.uint8))
    return bits[: rows * columns].reshape(rows, columns).astype(bool)


def create_annotation(client: httpx.Client, series_uid: str) -> dict[str, Any]:
    response = client.post("/api/annotations", json={"series_uid": series_uid})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def current_version(client: httpx.Client, annotation_id: int) -> int:
    response = client.get(f"/api/annotations/{annotation_id}")
    assert response.status_code == 200, response.text
    return int(response.json()["version"])


def put_segment(
    client: httpx.Client,
    annotation_id: int,
    number: int,
    *,
    version: int | None = None,
    **body: Any,
) -> int:
    """Create or update a segment with If-Match (the current version unless given)."""
    seen = current_version(client, annotation_id) if version is None else version
    response = client.put(
        f"/api/annotations/{annotation_id}/segments/{number}",
        json=body,
        headers={"If-Match": str(seen)},
    )
    assert response.status_code in (200, 201), response.text
    return int(response.json()["version"])


def put_mask(
    client: httpx.Client,
    annotation_id: int,
    number: int,
    index: int,
    mask: np.ndarray,
    version: int,
) -> int:
    response = client.put(
        f"/api/annotations/{annotation_id}/segments/{number}/slices/{index}",
        content=mask_body(mask),
        headers={"If-Match": f'"{version}"', "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 200, response.text
    return int(response.json()["version"])


def wait_job(client: httpx.Client, job_id: str, timeout: float = 60) -> dict[str, Any]:
    """A job's final state (done or failed), polling GET /api/jobs/{id}."""

    def ended() -> dict[str, Any] | None:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        return job if job["state"] in ("done", "failed") else None

    job: dict[str, Any] = poll(ended, f"job {job_id} finished", timeout, interval=0.05)
    return job


def assert_never_due_again(client: TestClient, export_id: int) -> None:
    """No outbox pass, now or a day from now, can claim export `export_id`: the
    direct check that a sent export is not sent again (no waiting for passes)."""
    assert client.get(f"/api/exports/{export_id}").json()["status"] == "sent"
    sessions = client.app.state.segdicom.sessions  # type: ignore[attr-defined]
    with sessions.begin() as session:
        later = utcnow() + timedelta(days=1)
        assert export_rows.claim_due(session, later, timedelta(seconds=1), "test") is None
