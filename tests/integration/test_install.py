"""A non-editable install, built from exactly what the image's wheel stage copies,
serves the viewer and migrates a database: nothing is found through the checkout.

The wheel is built by pip from a copy of those files (as docker/Dockerfile's
first stage does) and installed with `pip install --target`, so the package
runs from site-packages-like files beside this venv's dependencies.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.version import Version
from tests.docker_context import context_files, copied, copies_from_context, stages
from tests.helpers import REPO

CHECK = """
import sys
from pathlib import Path
import segdicom
from segdicom.app import VIEWER_DIR, create_app
from segdicom.config import Settings
from segdicom.db.engine import MIGRATIONS_DIR
from starlette.testclient import TestClient

target = Path(sys.argv[1]).resolve()
for path in (Path(segdicom.__file__), VIEWER_DIR, MIGRATIONS_DIR):
    assert path.resolve().is_relative_to(target), path
with TestClient(create_app(Settings(data_dir=Path(sys.argv[2]), dicom_port=0))) as client:
    page = client.get("/")
    assert page.status_code == 200 and '<script type="module"' in page.text, page.status_code
    assert client.get("/main.js").status_code == 200
print("served", flush=True)
"""


def build_wheel(source: Path, out: Path) -> Path:
    """`pip wheel` of `source`; without build isolation when this venv's setuptools
    is new enough (the dev extra installs it), so no download is needed."""
    isolation = [] if Version(version("setuptools")) < Version("70.1") else ["--no-build-isolation"]
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out)]
    subprocess.run([*command, *isolation, str(source)], check=True, timeout=300)
    (wheel,) = out.glob("segdicom-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("context")
    sent = context_files(REPO)
    build_stage = stages(REPO / "docker" / "Dockerfile")[0]
    for sources, _ in copies_from_context(build_stage):
        for name in copied(sent, sources):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    return build_wheel(source, tmp_path_factory.mktemp("wheels"))


def test_the_wheel_carries_the_viewer_and_every_migration(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (REPO / "viewer").glob("*.*"):
        if path.name != "README.md":
            assert f"segdicom/viewer/{path.name}" in names, path.name
    for path in [REPO / "migrations" / "env.py", *(REPO / "migrations" / "versions").glob("*.py")]:
        assert f"segdicom/{path.relative_to(REPO).as_posix()}" in names, path.name
    assert not any(n.startswith("tests/") or "__pycache__" in n for n in names)


def test_an_installed_wheel_migrates_and_serves_the_viewer(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), wheel],
        check=True,
        timeout=120,
    )
    env = {**os.environ, "PYTHONPATH": str(target), "SEGDICOM_DATA_DIR": str(tmp_path / "data")}
    run = {"env": env, "cwd": tmp_path, "capture_output": True, "text": True, "timeout": 120}
    upgraded = subprocess.run([sys.executable, "-m", "segdicom", "db", "upgrade"], **run)
    assert upgraded.returncode == 0, upgraded.stderr
    with sqlite3.connect(tmp_path / "data" / "segdicom.sqlite3") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()
    served = subprocess.run(
        [sys.executable, "-c", CHECK, str(target), str(tmp_path / "data2")], **run
    )
    assert served.returncode == 0 and "served" in served.stdout, served.stderr
