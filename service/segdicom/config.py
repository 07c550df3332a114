"""Settings: every knob, read from SEGDICOM_* variables, validated once at start.

`Settings.from_env()` is called by the CLI (never at import time). A bad value
raises ConfigError naming the variable and the value, and the service does not
start. An optional `SEGDICOM_CONFIG_FILE` holds `NAME=value` lines; the
environment wins over the file.
"""

import dataclasses
import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from segdicom.errors import SegDicomError

PREFIX = "SEGDICOM_"
_AE = re.compile(r"[\x20-\x5b\x5d-\x7e]{1,16}")  # PS3.5 6.2: AE, 16 chars, no backslash
_HEADER = re.compile(r"[A-Za-z0-9-]{1,64}")
T = TypeVar("T")


class ConfigError(SegDicomError):
    """A setting has a value the service cannot run with."""

    error = "config"


@dataclass(frozen=True)
class Settings:
    """Every setting of the service. Field `x` is read from `SEGDICOM_X`."""

    data_dir: Path = Path("./data")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    database_url: str = ""  # empty: SQLite at <data_dir>/segdicom.sqlite3
    dicomweb_url: str = ""  # empty: no DICOMweb PACS
    dicomweb_username: str = ""
    dicomweb_password: str = field(default="", repr=False)
    dicomweb_token: str = field(default="", repr=False)
    pacs_timeout: float = 30.0
    ae_title: str = "SEGDICOM"
    dicom_port: int = 11112  # 0 turns the C-STORE SCP off
    dicom_host: str = "127.0.0.1"
    pacs_ae_title: str = ""
    pacs_host: str = ""
    pacs_dicom_port: int = 0
    scp_allowed_aets: tuple[str, ...] = ()
    scp_allowed_hosts: tuple[str, ...] = ()
    default_user: str = "annotator"
    max_upload_bytes: int = 2 * 1024**3
    max_upload_files: int = 20_000
    max_slices_per_series: int = 5_000
    max_mask_bytes: int = 8 * 1024**2
    volume_cache_bytes: int = 1024**3
    outbox_interval: float = 2.0
    outbox_max_backoff: float = 300.0
    log_level: str = "INFO"
    # Authentication (SECURITY.md). A reverse proxy's user header is trusted only
    # when the TCP peer is one of trusted_proxies (addresses or CIDR networks).
    trusted_proxies: tuple[str, ...] = ()
    proxy_user_header: str = ""  # e.g. X-Forwarded-User (oauth2-proxy), empty: off
    # A user the proxy names who does not exist yet is created with this role
    # (annotator or reviewer) on first use; empty: they must be added beforehand.
    proxy_new_user_role: str = ""
    session_hours: float = 12.0
    secure_cookies: bool = False  # set when users reach the service over HTTPS
    # First start of a deployment (Docker): with no users yet, `serve` creates the
    # user "admin" (role admin) with the password in this file (a Docker secret).
    admin_password_file: str = ""
    # Observability: "json" writes one JSON object per log line; metrics serves /metrics.
    log_format: str = "text"
    metrics: bool = True
    # A project reading taken with `next` is the reader's this long; then it returns to the pool.
    task_lease_minutes: float = 60.0

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'segdicom.sqlite3').resolve()}"

    @property
    def has_dicomweb(self) -> bool:
        return bool(self.dicomweb_url)

    @property
    def has_dimse_peer(self) -> bool:
        return bool(self.pacs_ae_title and self.pacs_host and self.pacs_dicom_port)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Build and validate settings from the environment (and the optional file)."""
        env = dict(os.environ if environ is None else environ)
        values = _read_file(env.get(PREFIX + "CONFIG_FILE", ""))
        values.update({k: v for k, v in env.items() if k.startswith(PREFIX)})
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> "Settings":
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = PREFIX + f.name.upper()
            if name in values:
                kwargs[f.name] = _parse(name, values[name].strip(), f.type)
        settings = cls(**kwargs)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise ConfigError naming the first setting that cannot work."""
        for name in ("http_port", "dicom_port", "pacs_dicom_port"):
            _check(name, getattr(self, name), lambda v: 0 <= v <= 65535, "a port 0-65535")
        _check("http_port", self.http_port, lambda v: v > 0, "a port 1-65535")
        for name in ("ae_title", "pacs_ae_title"):
            value = getattr(self, name)
            if value or name == "ae_title":
                _check(name, value, _valid_ae, "an AE title of 1-16 characters, no backslash")
        for aet in self.scp_allowed_aets:
            _check("scp_allowed_aets", aet, _valid_ae, "AE titles of 1-16 characters")
        if self.dicomweb_url:
            _check("dicomweb_url", self.dicomweb_url, _valid_http_url, "an http(s) URL")
        positive = ("pacs_timeout", "max_upload_bytes", "max_upload_files", "task_lease_minutes")
        for name in (*positive, "max_slices_per_series", "max_mask_bytes", "outbox_interval"):
            _check(name, getattr(self, name), lambda v: v > 0, "> 0")
        _check("default_user", self.default_user, lambda v: 0 < len(v) <= 64, "1-64 chars")
        levels = {"DEBUG", "INFO", "WARNING", "ERROR"}
        _check("log_level", self.log_level.upper(), levels.__contains__, "/".join(levels))
        if self.database_url and "://" not in self.database_url:
            _check("database_url", self.database_url, lambda v: False, "an SQLAlchemy URL")
        _validate_auth(self)
        _check("log_format", self.log_format, ("text", "json").__contains__, "text or json")


def _validate_auth(settings: Settings) -> None:
    for proxy in settings.trusted_proxies:
        _check("trusted_proxies", proxy, _valid_network, "IP addresses or CIDR networks")
    header = settings.proxy_user_header
    if header:
        _check("proxy_user_header", header, _valid_header, "an HTTP header name")
        _check(
            "trusted_proxies",
            settings.trusted_proxies,
            bool,
            "set when SEGDICOM_PROXY_USER_HEADER is (the proxies allowed to send it)",
        )
    role = settings.proxy_new_user_role
    if role:
        _check(
            "proxy_new_user_role",
            role,
            ("annotator", "reviewer").__contains__,
            "annotator or reviewer (admins are made with `segdicom users`)",
        )
        _check("proxy_user_header", header, bool, "set when SEGDICOM_PROXY_NEW_USER_ROLE is")
    _check("session_hours", settings.session_hours, lambda v: 0 < v <= 24 * 30, "0-720 hours")


def _valid_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _valid_ae(value: str) -> bool:
    return _AE.fullmatch(value) is not None and value.strip() != ""


def _valid_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _check(name: str, value: T, ok: Callable[[T], bool], expected: str) -> None:
    if not ok(value):
        raise ConfigError(f"{PREFIX}{name.upper()} must be {expected}, got {value!r}")


def _parse(name: str, raw: str, kind: object) -> object:
    try:
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
        if kind in (Path, "Path"):
            return Path(raw)
        if kind in (bool, "bool"):
            return _parse_bool(name, raw)
        if kind in (tuple[str, ...], "tuple[str, ...]"):
            return tuple(p.strip() for p in raw.split(",") if p.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    return raw


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _read_file(path: str) -> dict[str, str]:
    if not path:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{PREFIX}CONFIG_FILE cannot be read: {path!r} ({exc})") from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip().startswith(PREFIX):
            raise ConfigError(f"{path}:{number}: expected SEGDICOM_NAME=value, got {line!r}")
        values[key.strip()] = value.strip().strip('"')
    return values


def _valid_header(value: str) -> bool:
    return _HEADER.fullmatch(value) is not None
