"""A Docker deployment's first start creates its admin from a secret file."""

from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from segdicom.app import create_app
from segdicom.auth.cli import bootstrap_admin
from segdicom.config import ConfigError, Settings

PASSWORD = "correct horse battery"


def test_first_start_creates_admin_once_and_it_can_log_in(
    settings: Settings, tmp_path: Path
) -> None:
    secret = tmp_path / "admin_password"
    secret.write_text(PASSWORD + "\n")
    configured = replace(settings, admin_password_file=str(secret))
    assert bootstrap_admin(configured) is True
    assert bootstrap_admin(configured) is False  # users exist: nothing more is created
    with TestClient(create_app(configured)) as client:
        assert client.get("/api/studies").status_code == 401
        login = client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        assert login.status_code == 200, login.text
        assert login.json()["role"] == "admin"


def test_a_short_or_missing_secret_stops_the_start(settings: Settings, tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_text("abc")
    with pytest.raises(ConfigError, match="at least 12 characters"):
        bootstrap_admin(replace(settings, admin_password_file=str(short)))
    with pytest.raises(ConfigError, match="cannot be read"):
        bootstrap_admin(replace(settings, admin_password_file=str(tmp_path / "absent")))
