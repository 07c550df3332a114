"""With users configured nobody gets in anonymously; sessions need CSRF; tokens die with users."""

import re
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from starlette.routing import Route
from starlette.testclient import TestClient
from tests.integration.auth_support import PASSWORD, add_users
from tests.integration.support import create_annotation, upload_series

from segdicom.app import create_app
from segdicom.cli import main
from segdicom.config import Settings

PARAMS = {"id": "1", "number": "1", "index": "0", "job_id": "j1", "volume_id": "v1"}


@pytest.fixture
def app_with_users(settings: Settings) -> Iterator[TestClient]:
    add_users(settings, alice="annotator", rita="reviewer", root="admin")
    with TestClient(create_app(settings)) as client:
        yield client


def login(client: TestClient, name: str) -> str:
    """Log in; the CSRF token the viewer would echo."""
    response = client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


def _concrete(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return PARAMS.get(name, "1.2.3")

    return re.sub(r"\{([^}]+)\}", value, path)


def test_every_endpoint_but_healthz_refuses_anonymous(app_with_users: TestClient) -> None:
    client = app_with_users
    checked = 0
    for route in client.app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, Route) or route.path in ("/healthz", "/api/auth/login"):
            continue
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            response = client.request(method, _concrete(route.path))
            assert response.status_code == 401, (method, route.path, response.text)
            assert set(response.json()) == {"error", "detail"}
            checked += 1
    assert checked >= 30
    assert client.get("/healthz").status_code == 200
    # The viewer itself: a page load goes to the login page, the modules are refused.
    page = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login.html"
    assert client.get("/main.js").status_code == 401
    assert client.get("/login.html").status_code == 200


def test_bad_login_and_cookie_flags(app_with_users: TestClient) -> None:
    client = app_with_users
    wrong = client.post("/api/auth/login", json={"username": "alice", "password": "nope-nope"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"
    nobody = client.post("/api/auth/login", json={"username": "zed", "password": PASSWORD})
    assert nobody.status_code == 401
    ok = client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    cookies = ok.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("segdicom_session="))
    assert "HttpOnly" in session and "SameSite=Strict" in session
    assert client.get("/api/auth/me").json()["username"] == "alice"


def test_state_changes_without_csrf_are_refused(app_with_users: TestClient) -> None:
    client = app_with_users
    csrf = login(client, "alice")
    form = client.post(
        "/api/annotations",
        content=b"series_uid=1.2.3",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 403 and "CSRF" in form.json()["detail"]
    wrong = client.post(
        "/api/annotations", json={"series_uid": "1.2.3"}, headers={"x-csrf-token": "x"}
    )
    assert wrong.status_code == 403
    right = client.post(
        "/api/annotations", json={"series_uid": "1.2.3"}, headers={"x-csrf-token": csrf}
    )
    assert right.status_code == 404  # past auth: no such series
    # A cross-site form cannot log anyone in either (login takes JSON only).
    form_login = client.post("/api/auth/login", data={"username": "alice", "password": PASSWORD})
    assert form_login.status_code == 403
    client.post("/api/auth/logout", headers={"x-csrf-token": csrf})
    assert client.get("/api/auth/me").status_code == 401


def test_api_token_needs_no_csrf_and_dies_with_its_user(settings: Settings) -> None:
    add_users(settings, alice="annotator", root="admin")
    with TestClient(create_app(settings)) as admin, TestClient(create_app(settings)) as script:
        admin_csrf = login(admin, "root")
        alice = TestClient(admin.app)
        csrf = login(alice, "alice")
        made = alice.post(
            "/api/auth/tokens", json={"name": "script"}, headers={"x-csrf-token": csrf}
        )
        assert made.status_code == 201
        bearer = {"authorization": f"Bearer {made.json()['token']}"}
        assert script.get("/api/auth/me", headers=bearer).json()["via"] == "token"
        created = script.post("/api/annotations", json={"series_uid": "1.2.3"}, headers=bearer)
        assert created.status_code == 404  # authenticated, no CSRF needed, no such series
        assert (
            script.get("/api/auth/me", headers={"authorization": "Bearer sdt_forged"}).status_code
            == 401
        )
        # Only admins manage users.
        assert alice.get("/api/users").status_code == 403
        disabled = admin.patch(
            "/api/users/alice", json={"disabled": True}, headers={"x-csrf-token": admin_csrf}
        )
        assert disabled.status_code == 200 and disabled.json()["disabled"] is True
        refused = script.get("/api/studies", headers=bearer)
        assert refused.status_code == 401 and "disabled" in refused.json()["detail"]
        assert alice.get("/api/auth/me").status_code == 401  # the session ended too
        relogin = alice.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
        assert relogin.status_code == 401


def test_reviewer_cannot_delete_another_users_annotation(app_with_users: TestClient) -> None:
    client = app_with_users
    app = client.app
    alice, rita, root = TestClient(app), TestClient(app), TestClient(app)
    alice_csrf, rita_csrf, root_csrf = (
        login(alice, "alice"),
        login(rita, "rita"),
        login(root, "root"),
    )
    alice.headers["x-csrf-token"] = alice_csrf
    series_uid = upload_series(alice, "ct_philips_phantom")
    mine = create_annotation(alice, series_uid)
    assert mine["created_by"] == "alice"
    refused = rita.delete(f"/api/annotations/{mine['id']}", headers={"x-csrf-token": rita_csrf})
    assert refused.status_code == 403 and "alice" in refused.json()["detail"]
    assert alice.get(f"/api/annotations/{mine['id']}").status_code == 200
    other = create_annotation(alice, series_uid)
    by_admin = root.delete(f"/api/annotations/{other['id']}", headers={"x-csrf-token": root_csrf})
    assert by_admin.status_code == 204
    assert alice.delete(f"/api/annotations/{mine['id']}").status_code == 204


def test_real_user_in_events_csv_and_seg(app_with_users: TestClient) -> None:
    client = app_with_users
    client.headers["x-csrf-token"] = login(client, "alice")
    annotation = create_annotation(client, upload_series(client, "ct_philips_phantom"))
    url = f"/api/annotations/{annotation['id']}/segments/1"
    saved = client.put(url, json={"label": "Liver", "color": "#ff0000"}, headers={"If-Match": "1"})
    assert saved.status_code in (200, 201), saved.text
    from tests.integration.support import disc, put_mask

    info = client.get(f"/api/series/{annotation['series_uid']}").json()
    put_mask(
        client,
        annotation["id"],
        1,
        0,
        disc(info["rows"], info["columns"], 50, 50, 20),
        saved.json()["version"],
    )
    export = client.post(
        f"/api/annotations/{annotation['id']}/exports", json={"destination": "local"}
    )
    assert export.status_code in (200, 201, 202), export.text
    seg = client.get(f"/api/exports/{export.json()['id']}/file")
    assert seg.status_code == 200
    path = Path(client.app.state.segdicom.settings.data_dir) / "check-seg.dcm"  # type: ignore[attr-defined]
    path.write_bytes(seg.content)
    assert pydicom.dcmread(path).ContentCreatorName.family_name == "alice"
    rows = client.get("/api/log.csv").text.splitlines()
    users = {line.split(",")[1] for line in rows[1:]}
    assert users == {"alice"}, rows


def test_proxy_header_only_from_trusted_proxies(settings: Settings) -> None:
    import dataclasses

    proxied = dataclasses.replace(
        settings, trusted_proxies=("10.1.2.0/24",), proxy_user_header="X-Forwarded-User"
    )
    add_users(proxied, alice="annotator")
    app = create_app(proxied)
    header = {"x-forwarded-user": "alice"}
    with TestClient(app, client=("10.1.2.7", 40000)) as proxy:
        me = proxy.get("/api/auth/me", headers=header)
        assert me.status_code == 200 and me.json()["via"] == "proxy"
        csrf = proxy.cookies.get("segdicom_csrf")
        assert csrf, me.headers
        assert (
            proxy.post("/api/annotations", json={"series_uid": "1.2.3"}, headers=header).status_code
            == 403
        )
        with_csrf = {**header, "x-csrf-token": csrf}
        assert (
            proxy.post(
                "/api/annotations", json={"series_uid": "1.2.3"}, headers=with_csrf
            ).status_code
            == 404
        )
        unknown = proxy.get("/api/auth/me", headers={"x-forwarded-user": "mallory"})
        assert unknown.status_code == 403
    with TestClient(app, client=("10.9.9.9", 40000)) as stranger:
        assert stranger.get("/api/auth/me", headers=header).status_code == 401


def test_cli_users_and_refusal_to_serve_open(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SEGDICOM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SEGDICOM_DICOM_PORT", "0")
    assert main(["serve", "--host", "0.0.0.0", "--port", "18998"]) == 2
    err = capsys.readouterr().err
    assert "refusing to listen on '0.0.0.0' with no users" in err and "users add" in err
    assert main(["users", "list"]) == 0
    listed = capsys.readouterr()
    assert listed.out == "" and "no users yet" in listed.err
    monkeypatch.setattr("sys.stdin", _Lines(PASSWORD + "\n"))
    assert main(["users", "add", "bob", "--role", "reviewer", "--password-stdin"]) == 0
    assert main(["users", "add", "bob", "--password-stdin"]) == 1
    assert main(["users", "add", "../x", "--no-password"]) == 1
    assert main(["users", "disable", "bob"]) == 0
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    assert "bob\treviewer\tdisabled" in capsys.readouterr().out


class _Lines:
    def __init__(self, text: str) -> None:
        self.text = text

    def readline(self) -> str:
        return self.text


def test_password_guessing_is_paused_per_user_name(app_with_users: TestClient) -> None:
    client = app_with_users
    for attempt in range(10):
        wrong = {"username": "alice", "password": f"guess number {attempt}"}
        assert client.post("/api/auth/login", json=wrong).status_code == 401
    right = client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert right.status_code == 401 and "too many failed logins" in right.json()["detail"]
    assert client.post(
        "/api/auth/login", json={"username": "rita", "password": PASSWORD}
    ).is_success
    failed = [
        line for line in client.get("/api/log.csv").text.splitlines() if "login_failed" in line
    ]
    assert len(failed) == 11
