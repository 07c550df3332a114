"""A real Orthanc (Debian packages `orthanc`, `orthanc-dicomweb`) for integration tests.

`Orthanc` writes a JSON configuration into its own folder, listens on free
loopback ports, keeps its storage in that folder, and can be stopped and
started again on the same storage and ports (to test a PACS that goes away).
"""

import base64
import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import free_port, poll

ORTHANC_BIN = Path("/usr/sbin/Orthanc")
DICOMWEB_PACKAGE = "orthanc-dicomweb"
DICOMWEB_FALLBACK = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")


def dicomweb_plugin() -> Path | None:
    """The DICOMweb plugin's shared library, as installed by its Debian package."""
    try:
        listing = subprocess.run(
            ["dpkg", "-L", DICOMWEB_PACKAGE], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        listing = ""
    for line in listing.splitlines():
        path = Path(line.strip())
        if path.name.startswith("libOrthancDicomWeb.so") and path.is_file():
            return path
    return DICOMWEB_FALLBACK if DICOMWEB_FALLBACK.is_file() else None


def require_orthanc() -> tuple[Path, Path]:
    """Orthanc and its DICOMweb plugin; missing under CI=true fails, else skips."""
    plugin = dicomweb_plugin()
    if ORTHANC_BIN.is_file() and plugin is not None:
        return ORTHANC_BIN, plugin
    message = "orthanc / orthanc-dicomweb not installed (make test installs them as root)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class OrthancError(RuntimeError):
    """Orthanc did not start, or answered a REST call with an error."""


class Orthanc:
    """One Orthanc process on 127.0.0.1 with the DICOMweb plugin.

    `modalities` maps a name to `[aet, host, port]` (Orthanc's `DicomModalities`).
    `users` turns on HTTP basic authentication with those name/password pairs.
    """

    def __init__(
        self,
        folder: Path,
        *,
        aet: str = "ORTHANC",
        modalities: dict[str, list[Any]] | None = None,
        users: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.binary, self.plugin = require_orthanc()
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.aet = aet
        self.http_port = free_port()
        self.dicom_port = free_port()
        self.modalities = dict(modalities or {})
        self.users = dict(users or {})
        self.extra = dict(extra or {})
        self.config_path = self.folder / "orthanc.json"
        self.log_path = self.folder / "orthanc.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb_url(self) -> str:
        return f"{self.url}/dicom-web"

    def config(self) -> dict[str, Any]:
        """The JSON configuration Orthanc is started with."""
        storage = str(self.folder / "storage")
        config: dict[str, Any] = {
            "Name": "segdicom-test",
            "StorageDirectory": storage,
            "IndexDirectory": storage,
            "StorageCompression": False,
            "Plugins": [str(self.plugin)],
            "HttpPort": self.http_port,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": bool(self.users),
            "RegisteredUsers": self.users,
            "HttpCompressionEnabled": False,
            "DicomServerEnabled": True,
            "DicomAet": self.aet,
            "DicomPort": self.dicom_port,
            "DicomCheckCalledAet": False,
            "DicomModalities": self.modalities,
            "DicomAlwaysAllowEcho": True,
            "DicomAlwaysAllowStore": True,
            "SaveJobs": False,
            "OrthancExplorerEnabled": False,
            "WebDavEnabled": False,
            "DicomWeb": {
                "Enable": True,
                "Root": "/dicom-web/",
                "StudiesMetadata": "Full",
                "SeriesMetadata": "Full",
            },
        }
        config.update(self.extra)
        return config

    def start(self, timeout: float = 30.0) -> "Orthanc":
        """Start Orthanc and wait until `GET /system` answers."""
        if self.process is not None:
            return self
        self.config_path.write_text(json.dumps(self.config(), indent=2))
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(self.binary), str(self.config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
        )
        log.close()
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        def answers() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                self.process = None
                raise OrthancError(f"Orthanc exited at start; log:\n{self.log_tail()}")
            try:
                self.rest("GET", "/system", timeout=1.0)
            except (OSError, OrthancError):
                return False
            return True

        try:
            poll(answers, "Orthanc answering", timeout, interval=0.05)
        except AssertionError:
            self.stop()
            raise OrthancError(
                f"Orthanc did not answer within {timeout}s; log:\n{self.log_tail()}"
            ) from None

    def stop(self) -> None:
        """Stop Orthanc (SIGTERM, then SIGKILL); its storage stays for a restart."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def restart(self) -> "Orthanc":
        self.stop()
        return self.start()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def rest(
        self,
        method: str,
        path: str,
        body: bytes | dict[str, Any] | list[Any] | None = None,
        *,
        content_type: str = "application/json",
        timeout: float = 30.0,
    ) -> Any:
        """Call Orthanc's REST API; JSON answers are decoded, others returned as bytes."""
        data = json.dumps(body).encode() if isinstance(body, dict | list) else body
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        if self.users:
            name, password = next(iter(self.users.items()))
            token = base64.b64encode(f"{name}:{password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                raw = answer.read()
                kind = answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise OrthancError(f"{method} {path}: HTTP {exc.code} {detail}") from None
        return json.loads(raw) if "json" in kind and raw else raw

    def upload(self, path: Path | bytes) -> dict[str, Any]:
        """Store one DICOM file (POST /instances); answers Orthanc's status object."""
        data = path if isinstance(path, bytes) else Path(path).read_bytes()
        answer: dict[str, Any] = self.rest(
            "POST", "/instances", data, content_type="application/dicom"
        )
        return answer

    def upload_all(self, paths: list[Path]) -> None:
        for path in paths:
            self.upload(path)

    def instances_of_series(self, series_uid: str) -> list[str]:
        """The SOP Instance UIDs Orthanc holds for a series (via its REST find)."""
        query = {"Level": "Instance", "Query": {"SeriesInstanceUID": series_uid}, "Expand": True}
        found = self.rest("POST", "/tools/find", query)
        return sorted(item["MainDicomTags"]["SOPInstanceUID"] for item in found)

    def __enter__(self) -> "Orthanc":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


OrthancFactory = Callable[..., Orthanc]


def annotator_modality(scp_port: int, aet: str = "SEGDICOM") -> dict[str, list[Any]]:
    """Orthanc's DicomModalities entry for our C-STORE SCP on loopback."""
    return {aet: [aet, "127.0.0.1", scp_port]}


@contextmanager
def orthanc_knowing_annotator(folder: Path) -> Iterator[tuple[Orthanc, int]]:
    """An Orthanc in `folder` that has our C-STORE SCP (AE SEGDICOM) on a free port as a
    modality: the running Orthanc and that port, for the SCP the test starts."""
    scp_port = free_port()
    with Orthanc(folder, modalities=annotator_modality(scp_port)) as orthanc:
        yield orthanc, scp_port
