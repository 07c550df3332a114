"""docker/ agrees with the settings and the repository (Docker itself cannot run here).

The Dockerfile's SEGDICOM_* variables and the compose file's are Settings
fields and validate; the exposed and published ports are the settings' ports;
the healthcheck asks /healthz on the HTTP port; the build context that
.dockerignore leaves holds what the images copy and nothing else; the image
installs a wheel with pinned dependencies; the compose file is valid Compose
and its services point at each other on the ports their configurations use.
"""

import dataclasses
import json
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from packaging.requirements import Requirement
from tests.docker_context import (
    context_files,
    copied,
    copies_from_context,
    ignored,
    instructions,
    parse_ignore,
    stages,
)
from tests.helpers import REPO

from segdicom.config import PREFIX, Settings

DOCKER = REPO / "docker"
FIELDS = {PREFIX + f.name.upper() for f in dataclasses.fields(Settings)}
SAMPLE_ORTHANC_PASSWORD = "orthanc-secret"


def _instructions(path: Path) -> list[tuple[str, str]]:
    """The final stage's instructions (what the image runs with)."""
    return stages(path)[-1]


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
    """Compose's `${NAME:-default}` with the defaults (what `up` uses when unset), and
    the required `${ORTHANC_PASSWORD:?message}` with a sample value."""
    value = re.sub(r"\$\{ORTHANC_PASSWORD:\?[^}]*\}", SAMPLE_ORTHANC_PASSWORD, value)
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
    for stage in stages(dockerfile):
        image = stage[0][1].split()[0]
        assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", image), stage[0]
    exposed = {int(p) for word, rest in steps if word == "EXPOSE" for p in rest.split()}
    assert exposed == {settings.http_port, settings.dicom_port}
    assert settings.http_host == settings.dicom_host == "0.0.0.0"  # reachable from outside
    users = [rest for word, rest in steps if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    health = " ".join(rest for word, rest in steps if word == "HEALTHCHECK")
    assert f"127.0.0.1:{settings.http_port}/healthz" in health
    cmd = [rest for word, rest in steps if word == "CMD"][-1]
    assert json.loads(cmd) == ["segdicom", "serve"]


def test_the_image_installs_a_wheel_with_pinned_dependencies_not_the_source_tree() -> None:
    build, final = stages(DOCKER / "Dockerfile")
    runs = " ".join(rest for word, rest in final if word == "RUN")
    assert "pip install --constraint /tmp/constraints.txt" in runs
    assert "/tmp/wheels/segdicom-" in runs and " -e " not in runs
    assert [rest for word, rest in final if word == "COPY"] == [
        "docker/constraints.txt /tmp/constraints.txt",
        "--from=wheel /wheels /tmp/wheels",
    ]
    assert "pip wheel" in " ".join(rest for word, rest in build if word == "RUN")


def _pins() -> dict[str, str]:
    lines = (DOCKER / "constraints.txt").read_text().splitlines()
    pairs = [line.split("==") for line in lines if line and not line.startswith("#")]
    return {name: pinned for name, pinned in pairs}


def test_the_constraints_pin_every_run_time_requirement_within_its_range() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["postgres"]
    pins = _pins()
    for text in wanted:
        req = Requirement(text)
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in pins, f"{name} is not pinned: run docker/constraints.py (its docstring)"
        assert req.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside {req}"
    assert all(re.fullmatch(r"[a-z0-9-]+", n) and v for n, v in pins.items())


def test_the_constraints_are_what_the_tests_run_with() -> None:
    stale = {n: v for n, v in _pins().items() if version(n) != v}
    assert not stale, f"pins differ from this environment: {stale} (docker/constraints.py)"


@pytest.mark.parametrize(
    ("path", "sent"),
    [
        (".venv/bin/python", False),
        ("data/instances/1.2/3.4/5.6.dcm", False),
        ("tests/unit/test_docker_config.py", False),
        (".git", False),
        ("node_modules/typescript/package.json", False),
        ("service/segdicom/__pycache__/app.cpython-311.pyc", False),
        ("service/segdicom.egg-info/PKG-INFO", False),
        (".mypy_cache/3.11/x.json", False),
        ("build/lib/segdicom/app.py", False),
        ("docker/secrets/admin_password", False),
        ("service/segdicom/app.py", True),
        ("viewer/index.html", True),
        ("migrations/versions/20261128_initial_schema.py", True),
        ("docker/constraints.txt", True),
        ("orthanc/forward-stable.lua", True),
    ],
)
def test_dockerignore_keeps_local_state_and_tests_out_of_the_context(path: str, sent: bool) -> None:
    patterns = parse_ignore((REPO / ".dockerignore").read_text())
    assert ignored(patterns, path) is not sent


def test_the_ignore_rules_follow_docker() -> None:
    patterns = parse_ignore("*.md\n!README.md\n/build\n**/cache\na/?/c\n")
    assert ignored(patterns, "SECURITY.md") and not ignored(patterns, "README.md")
    assert not ignored(patterns, "viewer/README.md")  # `*` does not cross folders
    assert ignored(patterns, "build/x/y") and not ignored(patterns, "service/build")
    assert ignored(patterns, "cache") and ignored(patterns, "x/y/cache/z")
    assert ignored(patterns, "a/b/c") and not ignored(patterns, "a/bb/c")


def test_every_copied_path_is_sent_and_nothing_else_is_needed() -> None:
    sent = context_files(REPO)
    for top in (".venv", "data", "tests", ".git", "node_modules", "bench"):
        assert not any(f == top or f.startswith(top + "/") for f in sent), top
    assert not any("__pycache__" in f or f.endswith(".pyc") for f in sent)
    for name in ("Dockerfile", "orthanc.Dockerfile"):
        for stage in stages(DOCKER / name):
            for sources, _ in copies_from_context(stage):
                for source in sources:
                    assert copied(sent, [source]), f"{name}: COPY {source} sends nothing"


def test_the_wheel_stage_copies_the_package_viewer_and_migrations() -> None:
    sent = context_files(REPO)
    build = stages(DOCKER / "Dockerfile")[0]
    installed = copied(sent, [s for sources, _ in copies_from_context(build) for s in sources])
    for folder in ("service/segdicom", "viewer", "migrations"):
        tracked = {
            p.relative_to(REPO).as_posix()
            for p in (REPO / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        assert tracked and tracked <= installed, tracked - installed
    assert {"pyproject.toml", "setup.py", "MANIFEST.in", "README.md"} <= installed


def test_compose_is_valid_compose() -> None:
    schema = json.loads((REPO / "tests" / "data" / "compose-spec.json").read_text())
    jsonschema.Draft201909Validator(schema).validate(_compose())


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


def test_published_dicom_ports_take_only_known_peers_by_default() -> None:
    services = _compose()["services"]
    env = {k: _substitute(v) for k, v in services["segdicom"]["environment"].items()}
    settings = Settings.from_mapping(env)
    assert settings.scp_allowed_aets == (_orthanc_config()["DicomAet"],)
    assert settings.scp_allowed_hosts == ("orthanc",)
    orthanc = _orthanc_config()
    assert orthanc["DicomAlwaysAllowStore"] is False and orthanc["DicomAlwaysAllowEcho"] is False
    assert set(orthanc["DicomModalities"]) == {"SEGDICOM"}


def test_orthanc_asks_for_the_password_the_service_sends() -> None:
    services = _compose()["services"]
    orthanc = _orthanc_config()
    assert orthanc["AuthenticationEnabled"] is True
    env = {k: _substitute(v) for k, v in services["segdicom"]["environment"].items()}
    settings = Settings.from_mapping(env)
    expanded = {
        user: password.replace("${ORTHANC_PASSWORD}", SAMPLE_ORTHANC_PASSWORD)
        for user, password in orthanc["RegisteredUsers"].items()
    }
    assert expanded == {settings.dicomweb_username: settings.dicomweb_password}
    orthanc_env = services["orthanc"]["environment"]
    assert _substitute(orthanc_env["ORTHANC_PASSWORD"]) == SAMPLE_ORTHANC_PASSWORD
    # Required, not defaulted: compose refuses to start without a password.
    assert orthanc_env["ORTHANC_PASSWORD"].startswith("${ORTHANC_PASSWORD:?")
    steps = instructions(DOCKER / "orthanc.Dockerfile")
    health = " ".join(rest for word, rest in steps if word == "HEALTHCHECK")
    assert f"{settings.dicomweb_username}:${{ORTHANC_PASSWORD}}" in health


def test_compose_orthanc_is_the_development_orthanc() -> None:
    """docker/orthanc.json differs from orthanc/orthanc.json only in networking,
    storage and access (a password; DICOM only from known modalities)."""
    text = (REPO / "orthanc" / "orthanc.json").read_text()
    dev = json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE))
    compose = _orthanc_config()
    allowed = {
        "Name",
        "StorageDirectory",
        "IndexDirectory",
        "RemoteAccessAllowed",
        "DicomModalities",
        "AuthenticationEnabled",
        "RegisteredUsers",
        "DicomAlwaysAllowEcho",
        "DicomAlwaysAllowStore",
    }
    differing = {k for k in set(dev) | set(compose) if dev.get(k) != compose.get(k)}
    assert differing <= allowed, differing
    assert Path(compose["Plugins"][0]).name == "libOrthancDicomWeb.so"


def test_readme_documents_the_deployment() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Deployment with Docker", 1)
    assert len(section) == 2, "README lacks a 'Deployment with Docker' section"
    body = section[1].split("\n## ", 1)[0]
    needles = (
        "docker compose -f docker/compose.yaml",
        "POSTGRES_PASSWORD",
        "ORTHANC_PASSWORD",
        "docker/secrets/admin_password",
        "--scale segdicom=",
        "/healthz",
        "docker/constraints.py",
    )
    for needle in needles:
        assert needle in body, needle


def test_replicas_share_no_fixed_name_or_host_port() -> None:
    # Writers of the shared /data are told apart by the locks they hold
    # (segdicom.process), so replicas need no fixed host name; each publishes
    # on the next free port of a range.
    app = _compose()["services"]["segdicom"]
    assert "hostname" not in app and "container_name" not in app
    for mapping in app["ports"]:
        host_port = mapping.rsplit(":", 2)[-2]
        assert re.fullmatch(r"\d+-\d+", host_port), mapping
