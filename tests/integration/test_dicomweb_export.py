"""SEG back to the PACS: STOW-RS through the outbox, listed by QIDO-RS, imported back;
delivery survives the PACS going away."""

import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient
from tests.helpers import dicom_files, poll, require_tool
from tests.integration.support import assert_never_due_again, fast_outbox_settings
from tests.orthanc import Orthanc

from segdicom.app import create_app

CT = "ct_philips_phantom"


@pytest.fixture
def client(orthanc: Orthanc, tmp_path: Path) -> Iterator[TestClient]:
    settings = fast_outbox_settings(tmp_path / "data", orthanc.dicomweb_url)
    with TestClient(create_app(settings)) as test_client:
        parts = [("files", (p.name, p.read_bytes(), "application/dicom")) for p in dicom_files(CT)]
        assert test_client.post("/api/uploads", files=parts).status_code == 200
        yield test_client


def mask_bytes(mask: np.ndarray) -> bytes:
    return zlib.compress(np.packbits(mask, axis=None).tobytes())


def paint(client: TestClient) -> tuple[dict[str, Any], dict[tuple[int, int], np.ndarray]]:
    """An annotation of the CT with two overlapping segments on three slices."""
    series_uid = client.get("/api/studies").json()[0]
    study_uid = series_uid["study_uid"]
    series_uid = client.get(f"/api/studies/{study_uid}/series").json()[0]["series_uid"]
    info = client.get(f"/api/series/{series_uid}").json()
    rows, columns = info["rows"], info["columns"]
    ann = client.post("/api/annotations", json={"series_uid": series_uid}).json()
    version = ann["version"]
    for number, label in ((1, "Liver"), (2, "Tumor")):
        answer = client.put(
            f"/api/annotations/{ann['id']}/segments/{number}",
            json={"label": label},
            headers={"If-Match": str(version)},
        )
        version = answer.json()["version"]
    painted: dict[tuple[int, int], np.ndarray] = {}
    for number, index, box in ((1, 3, (100, 300)), (1, 4, (120, 320)), (2, 4, (200, 260))):
        mask = np.zeros((rows, columns), dtype=bool)
        mask[box[0] : box[1], box[0] : box[1]] = True
        answer = client.put(
            f"/api/annotations/{ann['id']}/segments/{number}/slices/{index}",
            content=mask_bytes(mask),
            headers={"If-Match": str(version), "Content-Type": "application/octet-stream"},
        )
        assert answer.status_code == 200, answer.text
        version = answer.json()["version"]
        painted[(number, index)] = mask
    return ann, painted


def wait_export(
    client: TestClient, export_id: int, status: str, timeout: float = 30
) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        row: dict[str, Any] = client.get(f"/api/exports/{export_id}").json()
        return row if row["status"] == status else None

    found: dict[str, Any] = poll(reached, f"export {export_id} {status}", timeout)
    return found


def pacs_segs(orthanc: Orthanc, study_uid: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (
        orthanc.rest("GET", f"/dicom-web/studies/{study_uid}/series?Modality=SEG") or []
    )
    return found


def seg_instance_count(orthanc: Orthanc, series_uid: str) -> int:
    return len(orthanc.instances_of_series(series_uid))


def test_exported_seg_is_stored_listed_valid_and_imports_back(
    client: TestClient, orthanc: Orthanc, tmp_path: Path
) -> None:
    ann, painted = paint(client)
    export = client.post(f"/api/annotations/{ann['id']}/exports", json={"destination": "pacs"})
    assert export.status_code == 201, export.text
    row = wait_export(client, export.json()["id"], "sent")
    assert row["attempts"] == 1 and row["error"] is None
    listed = pacs_segs(orthanc, ann["study_uid"])
    assert [s["0020000E"]["Value"][0] for s in listed] == [row["series_instance_uid"]]
    assert listed[0]["00080060"]["Value"] == ["SEG"]
    # The SEG as Orthanc holds it passes dciodvfy.
    orthanc_id = orthanc.rest(
        "POST", "/tools/lookup", row["sop_instance_uid"].encode(), content_type="text/plain"
    )[0]["ID"]
    seg_file = tmp_path / "seg.dcm"
    seg_file.write_bytes(orthanc.rest("GET", f"/instances/{orthanc_id}/file"))
    check = subprocess.run(
        [require_tool("dciodvfy"), str(seg_file)], capture_output=True, text=True
    )
    errors = [
        line for line in (check.stdout + check.stderr).splitlines() if line.startswith("Error")
    ]
    assert errors == []
    # Listed as a SEG of the series, in the PACS and locally; imported back, same masks.
    for source in ("pacs", "local"):
        segs = client.get(f"/api/series/{ann['series_uid']}/segs", params={"source": source})
        assert [s["sop_instance_uid"] for s in segs.json()] == [row["sop_instance_uid"]]
        assert segs.json()[0]["segments"] == ["Liver", "Tumor"]
    imported = client.post(
        "/api/annotations/import", json={"sop_instance_uid": row["sop_instance_uid"]}
    )
    assert imported.status_code == 201, imported.text
    copy = imported.json()
    original = client.get(f"/api/annotations/{ann['id']}").json()
    assert copy["segments"] == original["segments"]  # labels, colours, codes, painted slices
    for (number, index), mask in painted.items():
        got = client.get(f"/api/annotations/{copy['id']}/segments/{number}/slices/{index}")
        assert got.status_code == 200
        unpacked = np.unpackbits(np.frombuffer(zlib.decompress(got.content), np.uint8))
        assert np.array_equal(unpacked[: mask.size].reshape(mask.shape), mask)


def test_pending_while_pacs_down_then_delivered_exactly_once(
    client: TestClient, orthanc: Orthanc
) -> None:
    ann, _ = paint(client)
    orthanc.stop()
    try:
        export = client.post(f"/api/annotations/{ann['id']}/exports", json={"destination": "pacs"})
        export_id = export.json()["id"]

        def failed_twice() -> dict[str, Any] | None:
            row: dict[str, Any] = client.get(f"/api/exports/{export_id}").json()
            return row if row["attempts"] >= 2 else None

        row = poll(failed_twice, f"export {export_id} attempted twice", timeout=15)
        assert row["status"] == "pending"
        assert orthanc.dicomweb_url in row["error"] and "unreachable" in row["error"]
    finally:
        orthanc.start()
    client.post(f"/api/exports/{export_id}/retry")
    row = wait_export(client, export_id, "sent")
    assert row["error"] is None
    assert seg_instance_count(orthanc, row["series_instance_uid"]) == 1
    # A retry of a sent export sends nothing again.
    assert client.post(f"/api/exports/{export_id}/retry").json()["status"] == "sent"
    assert_never_due_again(client, export_id)
    assert client.get(f"/api/exports/{export_id}").json()["attempts"] == row["attempts"]
    assert seg_instance_count(orthanc, row["series_instance_uid"]) == 1
