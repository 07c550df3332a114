"""A temporary PostgreSQL cluster (Debian's `postgresql` 15) on a free loopback port.

`Postgres` runs `initdb` and `pg_ctl` as the `postgres` system user (the tests
run as root and PostgreSQL refuses to run as root), keeps its data in a fresh
folder owned by that user, listens on 127.0.0.1 only, and is stopped and
removed by `stop()`. `create_database()` gives each test its own database.
Missing binaries fail the test under CI=true and skip it otherwise.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.helpers import free_port, poll

PG_BIN = Path(os.environ.get("SEGDICOM_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"


def require_postgres() -> Path:
    """The PostgreSQL binaries folder; missing under CI=true fails, else skips."""
    if (PG_BIN / "initdb").is_file() and (PG_BIN / "pg_ctl").is_file():
        return PG_BIN
    message = f"PostgreSQL not found in {PG_BIN} (make test installs `postgresql` as root)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class Postgres:
    """One throw-away cluster; `url(db)` is a `postgresql+psycopg://` URL."""

    def __init__(self) -> None:
        self.bin = require_postgres()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="segdicom-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            entry = pwd.getpwnam(PG_USER)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
            self._as_user = ["runuser", "-u", PG_USER, "--"]
        # The temp folder may sit under a root-only /tmp path: make it reachable.
        self.folder.chmod(0o755)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> str:
        result = subprocess.run(
            [*self._as_user, *args], capture_output=True, text=True, check=False, timeout=60
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {result.stderr or result.stdout}")
        return result.stdout

    def start(self) -> "Postgres":
        initdb = str(self.bin / "initdb")
        self._run(initdb, "-D", str(self.data), "-U", PG_USER, "-A", "trust", "-E", "UTF8")
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off -c max_connections=200"
        )
        pg_ctl = str(self.bin / "pg_ctl")
        self._run(pg_ctl, "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        return self

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self._run(
            str(self.bin / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            PG_USER,
            "-d",
            database,
            "-At",
            "-c",
            sql,
        )

    def create_database(self) -> str:
        """A new empty database; its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def __enter__(self) -> "Postgres":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its folder."""
        if self.data.exists():
            pg_ctl = str(self.bin / "pg_ctl")
            try:
                self._run(pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                self._run(pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")

        def removed() -> bool:
            shutil.rmtree(self.folder, ignore_errors=True)
            return not self.folder.exists()

        poll(removed, f"removing {self.folder}", timeout=2)
