"""Bad input over HTTP and C-STORE: each gets a clear error, the service keeps serving.

A thread polls /healthz on the live server the whole time; every answer must be 200.
"""

import dataclasses
import io
import logging
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGBaseline8Bit, generate_uid
from pynetdicom import AE, build_context
from starlette.testclient import TestClient
from tests.conftest import LiveServer
from tests.helpers import dicom_files, free_port, poll
from tests.integration.support import create_annotation, upload, upload_series

from segdicom.app import create_app
from segdicom.config import Settings

UNDECODABLE = ("4.53.dcm", "4.55.dcm")  # MANIFEST: JPEG processes without a Python decoder


def bad_files() -> list[Path]:
    undecodable = [
        p for p in dicom_files("cornerstone_ct_transfer_syntaxes") if p.name.endswith(UNDECODABLE)
    ]
    assert len(undecodable) == 2
    return [*dicom_files("pydicom_malformed"), *undecodable]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", dicom_port=free_port())


class Heartbeat:
    """Polls /healthz every 50 ms in a thread; records every non-200 and slow answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.failures: list[str] = []
        self.beats = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            while not self.stop.wait(0.05):
                try:
                    status = http.get("/healthz").status_code
                except httpx.HTTPError as exc:
                    self.failures.append(repr(exc))
                    continue
                self.beats += 1
                if status != 200:
                    self.failures.append(f"healthz {status}")


@pytest.fixture
def heartbeat(live_server: LiveServer) -> Iterator[Heartbeat]:
    beat = Heartbeat(live_server.url)
    beat.thread.start()
    yield beat
    # A fast test still gets five beats checked.
    poll(lambda: beat.beats >= 5 or beat.failures, "five heartbeats", timeout=5, interval=0.05)
    beat.stop.set()
    beat.thread.join(timeout=15)
    assert beat.failures == []
    assert beat.beats >= 5


def test_each_bad_file_by_upload_gets_a_reason(
    live_server: LiveServer, heartbeat: Heartbeat
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        for path in bad_files():
            response = upload(http, [path])  # type: ignore[arg-type]
            assert response.status_code in (200, 422), (path.name, response.text)
            body = response.json()
            if response.status_code == 422:
                assert body["error"] == "unprocessable"
                [rejected] = body["rejected"]
                assert rejected["name"] == path.name and len(rejected["reason"]) > 10
                continue
            # Stored: a valid file whose pixels we may not decode. Viewing it says why.
            [series] = body["series"]
            info = http.get(f"/api/series/{series['series_uid']}")
            if info.status_code == 200:
                pixels = http.get(f"/api/series/{series['series_uid']}/slices/0")
                assert pixels.status_code in (200, 422), (path.name, pixels.text)
                if path.name.endswith(UNDECODABLE):
                    assert pixels.status_code == 422, path.name
                    assert (
                        "compress" in pixels.json()["detail"].lower()
                        or "decode" in pixels.json()["detail"].lower()
                    )
            else:
                assert info.status_code == 422, (path.name, info.text)
                assert info.json()["detail"]
        assert upload_series(http, "ct_philips_phantom")  # type: ignore[arg-type]


def test_each_bad_file_by_c_store_gets_a_status(client: TestClient, settings: Settings) -> None:
    statuses: dict[str, int | str] = {}
    for path in bad_files():
        try:
            ds = pydicom.dcmread(path)
            context = build_context(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID)
        except Exception as exc:  # pydicom cannot even read it: nothing for an SCU to send
            statuses[path.name] = f"unreadable: {type(exc).__name__}"
            continue
        ae = AE(ae_title="BADSCU")
        ae.requested_contexts = [context]
        assoc = ae.associate("127.0.0.1", settings.dicom_port, ae_title="SEGDICOM")
        if not assoc.is_established:  # e.g. a transfer syntax the SCP does not accept
            statuses[path.name] = "no presentation context"
            continue
        try:
            status = assoc.send_c_store(path)
            statuses[path.name] = int(status.Status) if "Status" in status else "no status"
        except Exception as exc:  # the SCU side refused to encode it
            statuses[path.name] = f"not sent: {type(exc).__name__}"
        finally:
            assoc.release()
        assert client.get("/healthz").status_code == 200
    refused = [s for s in statuses.values() if isinstance(s, int) and s != 0]
    assert refused, statuses
    assert all(0xA700 <= s <= 0xCFFF for s in refused), statuses  # PS3.4 B.2.3 failures
    # The undecodable JPEG processes: refused as "cannot understand" (nothing could show them).
    undecodable = {n: s for n, s in statuses.items() if n.endswith(UNDECODABLE)}
    assert set(undecodable.values()) == {0xC000}, undecodable
    assert upload_series(client, "ct_philips_phantom")  # type: ignore[arg-type]


def _giant_jpeg() -> bytes:
    """A CT whose one JPEG frame claims 65535 x 65535 pixels (4 GiB decoded)."""
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 65535, 65535, 1) + b"\x01\x11\x00"
    ds = pydicom.dcmread(dicom_files("ct_philips_phantom")[0])
    ds.Rows = ds.Columns = 65535
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = encapsulate([b"\xff\xd8" + sof + b"\xff\xd9"])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.SeriesInstanceUID = generate_uid()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def test_giant_compressed_frame_refused_before_decoding(client: TestClient) -> None:
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    files = [("files", ("giant.dcm", _giant_jpeg(), "application/dicom"))]
    response = client.post("/api/uploads", files=files)
    assert response.status_code == 422
    assert "65535x65535" in response.json()["rejected"][0]["reason"]
    assert time.monotonic() - started < 5
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 256 * 1024  # nowhere near the 4 GiB the frame claims


@pytest.mark.parametrize(
    "uid",
    ["..%2F..%2Fetc%2Fpasswd", "1.2.3%00", "1." + "2" * 300, "..", "1.2.3%2F..%2F..", "<script>"],
)
def test_hostile_uids_in_paths_are_400(client: TestClient, uid: str) -> None:
    for path in (
        f"/api/series/{uid}",
        f"/api/series/{uid}/slices/0",
        f"/api/studies/{uid}/series",
        f"/api/series/{uid}/segs",
    ):
        response = client.get(path)
        assert response.status_code in (400, 404), (path, response.text)
        assert set(response.json()) >= {"error", "detail"}
    body = client.post("/api/annotations", json={"series_uid": uid.replace("%2F", "/")})
    assert body.status_code == 400 and "series_uid" in body.json()["detail"]
    csv = client.get("/api/log.csv", params={"series_uid": uid})
    assert csv.status_code == 400


@pytest.mark.parametrize("index", ["-1", "abc", "1.5"])
def test_a_negative_or_non_numeric_index_gets_a_400_naming_the_parameter(
    client: TestClient, index: str
) -> None:
    for path, name in (
        (f"/api/series/1.2.3/reformat/sagittal/{index}", "index"),
        (f"/api/series/1.2.3/slices/{index}", "index"),
        (f"/api/annotations/{index}/statistics", "id"),
    ):
        response = client.get(path)
        assert response.status_code == 400, (path, response.text)
        detail = response.json()["detail"]
        assert detail.startswith(name) and index in detail, detail


def test_a_path_no_route_matches_gets_a_404_naming_it(client: TestClient) -> None:
    response = client.get("/api/series/1.2.3/reformat")
    assert response.status_code == 404, response.text
    assert "/api/series/1.2.3/reformat" in response.json()["detail"]


def test_masks_of_wrong_size_or_garbage_are_400(client: TestClient) -> None:
    annotation = create_annotation(client, upload_series(client, "ct_philips_phantom"))  # type: ignore[arg-type]
    url = f"/api/annotations/{annotation['id']}/segments/1"
    segment = {"label": "Liver", "color": "#00ff00"}
    version = client.put(url, json=segment, headers={"If-Match": "1"}).json()["version"]
    bodies = {
        "garbage": b"\x00\x01garbage" * 10,
        "empty": b"",
        "too small": zlib.compress(b"\xff" * 10),
        "too big": zlib.compress(b"\x00" * (512 * 512 // 8 + 1)),
        "trailing": zlib.compress(b"\x00" * (512 * 512 // 8)) + b"junk",
    }
    for name, body in bodies.items():
        response = client.put(
            f"{url}/slices/0",
            content=body,
            headers={"if-match": str(version), "content-type": "application/octet-stream"},
        )
        assert response.status_code == 400, (name, response.text)
        assert response.json()["error"] == "bad_input" and response.json()["detail"]
    assert client.get(f"/api/annotations/{annotation['id']}").json()["version"] == version


def test_limits_on_files_and_slices(settings: Settings) -> None:
    limited = dataclasses.replace(
        settings, max_upload_files=3, max_slices_per_series=5, dicom_port=0
    )
    with TestClient(create_app(limited)) as client:
        too_many = upload(client, dicom_files("ct_philips_phantom")[:4])  # type: ignore[arg-type]
        assert too_many.status_code == 413, too_many.text
        assert "more than 3 files" in too_many.json()["detail"]
        for chunk in range(0, 9, 3):
            files = dicom_files("ct_philips_phantom")[chunk : chunk + 3]
            assert upload(client, files).status_code == 200  # type: ignore[arg-type]
        series_uid = upload(client, dicom_files("ct_philips_phantom")[:1]).json()["series"][0][
            "series_uid"
        ]  # type: ignore[arg-type]
        response = client.get(f"/api/series/{series_uid}")
        assert response.status_code in (413, 422), response.text
        assert "5" in response.json()["detail"]
        assert client.get("/healthz").status_code == 200


def test_a_client_gone_before_its_mask_arrived_is_a_log_line_not_an_error(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A tab closed while its write was on the wire: the service notes it and goes on."""
    head = (
        "PUT /api/annotations/1/segments/1/slices/0 HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{live_server.port}\r\nIf-Match: 1\r\n"
        "Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n"
    )
    with caplog.at_level(logging.INFO, logger="segdicom.api"):
        with socket.create_connection(("127.0.0.1", live_server.port)) as sock:
            sock.sendall(head.encode() + b"0123456789")  # 10 of the 1000 bytes, then gone
        gone = poll(
            lambda: [r for r in caplog.records if "went away" in r.getMessage()],
            "the service's note of the client gone",
        )
    assert gone[0].levelno == logging.INFO and "PUT /api/annotations/1" in gone[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert httpx.get(f"{live_server.url}/healthz").status_code == 200
