"""docker/ agrees with the settings and the repository (Docker itself cannot run here).

The Dockerfile's SEGDICOM_* variables and the compose file's are Settings
fields and validate; the exposed and published ports are the settings' ports;
the healthcheck asks /healthz on the HTTP port; every copied path exists; the
compose services point at each other on the ports their configurations use.
"""

import dataclasses
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.helpers import REPO

from segdicom.config import PREFIX, Settings

DOCKER = REPO / "docker"
FIELDS = {PREFIX + f.name.upper() for f in dataclasses.fields(Settings)}


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def _dockerfile_env(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in _instructions(path):
        if word == "ENV":
            env.update(dict(re.findall(r"(\S+?)=(\S+)", rest)))
    return env


def _compose() -> dict[str, Any]:
    lines = (DOCKER / "compose.yaml").read_text().splitlines()
    body = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    compose: dict[str, Any] = json.loads(body)  # flow-style YAML is JSON
    return compose


def _substitute(value: str) -> str:
    """Compose's `${NAME:-default}` with the defaults (what `up` uses when unset)."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def _orthanc_config() -> dict[str, Any]:
    text = (DOCKER / "orthanc.json").read_text()
    return dict(json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE)))


def test_dockerfile_settings_ports_user_and_healthcheck() -> None:
    dockerfile = DOCKER / "Dockerfile"
    steps = _instructions(dockerfile)
    env = _dockerfile_env(dockerfile)
    seg_env = {k: v for k, v in env.items() if k.startswith(PREFIX)}
    assert set(seg_env) <= FIELDS, set(seg_env) - FIELDS
    settings = Settings.from_mapping(seg_env)
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", steps[0][1]), steps[0]
    exposed = {int(p) for word, rest in steps if word == "EXPOSE" for p in rest.split()}
    assert exposed == {settings.http_port, settings.dicom_port}
    assert settings.http_host == settings.dicom_host == "0.0.0.0"  # reachable from outside
    users = [rest for word, rest in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    health = " ".join(rest for word, rest in steps if word == "HEALTHCHECK")
    assert f"127.0.0.1:{settings.http_port}/healthz" in health
    cmd = [rest for word, rest in steps if word == "CMD"][-1]
    assert json.loads(cmd) == ["segdicom", "serve"]


def test_copied_paths_exist() -> None:
    for name in ("Dockerfile", "orthanc.Dockerfile"):
        for word, rest in _instructions(DOCKER / name):
            if word == "COPY":
                for source in rest.split()[:-1]:
                    assert (REPO / source).exists(), f"{name}: COPY {source}"


def test_compose_service_settings_validate_and_point_at_the_peers() -> None:
    services = _compose()["services"]
    assert set(services) == {"segdicom", "orthanc", "postgres"}
    for service in services.values():
        build = service.get("build")
        if build:
            assert (DOCKER / build["context"] / build["dockerfile"]).is_file()
    app = services["segdicom"]
    env = {k: _substitute(v) for k, v in app["environment"].items()}
    assert set(env) <= FIELDS, set(env) - FIELDS
    image_env = _dockerfile_env(DOCKER / "Dockerfile")
    settings = Settings.from_mapping({**image_env, **env})

    published = {int(p.rsplit(":", 1)[1]) for p in app["ports"]}
    assert published == {settings.http_port, settings.dicom_port}

    orthanc = _orthanc_config()
    web = urlsplit(settings.dicomweb_url)
    assert web.hostname == "orthanc" and web.port == orthanc["HttpPort"]
    assert web.path.rstrip("/") + "/" == orthanc["DicomWeb"]["Root"]
    assert settings.pacs_host == "orthanc"
    assert settings.pacs_dicom_port == orthanc["DicomPort"]
    assert settings.pacs_ae_title == orthanc["DicomAet"]
    assert orthanc["DicomModalities"]["SEGDICOM"] == ["SEGDICOM", "segdicom", settings.dicom_port]
    assert settings.ae_title == "SEGDICOM"
    orthanc_ports = {int(p.rsplit(":", 1)[1]) for p in services["orthanc"]["ports"]}
    assert orthanc_ports == {orthanc["HttpPort"], orthanc["DicomPort"]}

    db = urlsplit(settings.database_url)
    pg = {k: _substitute(v) for k, v in services["postgres"]["environment"].items()}
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert (db.hostname, db.port, db.path) == ("postgres", 5432, "/" + pg["POSTGRES_DB"])
    assert (db.username, db.password) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"])
    conditions = {k: v["condition"] for k, v in app["depends_on"].items()}
    assert conditions == {"postgres": "service_healthy", "orthanc": "service_healthy"}

    volumes = _compose()["volumes"]
    for service in services.values():
        for mount in service.get("volumes", []):
            assert mount.split(":")[0] in volumes, mount


def test_compose_orthanc_is_the_development_orthanc() -> None:
    """docker/orthanc.json differs from orthanc/orthanc.json only in networking and storage."""
    text = (REPO / "orthanc" / "orthanc.json").read_text()
    dev = json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE))
    compose = _orthanc_config()
    allowed = {
        "Name",
        "StorageDirectory",
        "IndexDirectory",
        "RemoteAccessAllowed",
        "DicomModalities",
    }
    differing = {k for k in set(dev) | set(compose) if dev.get(k) != compose.get(k)}
    assert differing <= allowed, differing
    assert Path(compose["Plugins"][0]).name == "libOrthancDicomWeb.so"


def test_readme_documents_the_deployment() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Deployment with Docker", 1)
    assert len(section) == 2, "README lacks a 'Deployment with Docker' section"
    body = section[1].split("\n## ", 1)[0]
    for needle in ("docker compose -f docker/compose.yaml", "POSTGRES_PASSWORD", "/healthz"):
        assert needle in body, needle


def test_the_service_container_keeps_its_hostname_across_recreation() -> None:
    # Store journals and temp files are named host:pid (segdicom.process); a recreated
    # container with a new random hostname would see its predecessor's as foreign.
    assert _compose()["services"]["segdicom"]["hostname"] == "segdicom"
