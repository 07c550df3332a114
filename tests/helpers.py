"""Shared test helpers: where the real data is, peers that must exist under CI."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "dicom"


def data_dir(*parts: str) -> Path:
    """A folder or file of the shared real DICOM data; fails with where it looked."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(
            f"shared test data missing: {path} (expected ../shared/data/dicom beside the repo)"
        )
    return path


def dicom_files(*parts: str) -> list[Path]:
    """The DICOM files of a shared-data folder (license and text files left out)."""
    folder = data_dir(*parts)
    skip = (".txt", ".md", ".nrrd")
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not p.name.startswith("LICENSE")
        and not p.name.endswith(skip)
        and p.name != "SOURCE.txt"
    )


def require_tool(name: str) -> str:
    """The path of an external program; under CI=true its absence fails the test."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} not installed (make test installs it with apt-get when run as root)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dead_pid() -> int:
    """The pid of a process of this host that has just ended."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(child.stdout)


def poll(
    check: Callable[[], Any],
    what: str = "condition",
    timeout: float = 20.0,
    interval: float = 0.1,
) -> Any:
    """The first truthy answer of `check`, polled every `interval` until `timeout` seconds.

    The one place tests wait: every wait is for a condition (a signal), never a
    fixed time. `check` may raise to give up at once (a process that exited).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(interval)


def wait_serving(
    url: str,
    process: "subprocess.Popen[Any]",
    describe: Callable[[], str] = lambda: "",
    timeout: float = 60.0,
) -> "httpx.Response":
    """The first 200 answer of GET `url` from a service `process` that is starting;
    fails at once, with `describe()` (its log), if the process exits."""

    def answered() -> httpx.Response | None:
        if process.poll() is not None:
            raise AssertionError(f"{url}: the process exited ({process.returncode}) {describe()}")
        try:
            response = httpx.get(url, timeout=1)
        except httpx.TransportError:
            return None
        return response if response.status_code == 200 else None

    response: httpx.Response = poll(answered, f"{url} answering", timeout, interval=0.05)
    return response
