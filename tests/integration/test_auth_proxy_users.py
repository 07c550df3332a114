"""Single sign-on: with SEGDICOM_PROXY_NEW_USER_ROLE, a user the trusted proxy vouches for is
created on first use with that role; without it, or for bad names, nobody is made up."""

import dataclasses

import pytest
from starlette.testclient import TestClient
from tests.integration.auth_support import add_users

from segdicom.app import create_app
from segdicom.config import ConfigError, Settings

PROXY = ("10.1.2.7", 40000)


def proxied(settings: Settings, role: str) -> Settings:
    return dataclasses.replace(
        settings,
        trusted_proxies=("10.1.2.0/24",),
        proxy_user_header="X-Forwarded-User",
        proxy_new_user_role=role,
    )


def test_a_new_proxy_user_is_created_with_the_configured_role(settings: Settings) -> None:
    config = proxied(settings, "annotator")
    add_users(config, root="admin")
    with TestClient(create_app(config), client=PROXY) as proxy:
        me = proxy.get("/api/auth/me", headers={"x-forwarded-user": "bob@hospital.org"})
        assert me.status_code == 200, me.text
        assert me.json()["username"] == "bob@hospital.org"
        assert me.json()["role"] == "annotator" and me.json()["via"] == "proxy"
        again = proxy.get("/api/auth/me", headers={"x-forwarded-user": "bob@hospital.org"})
        assert again.status_code == 200
        root = proxy.get("/api/auth/me", headers={"x-forwarded-user": "root"})
        assert root.json()["role"] == "admin"  # an existing user keeps their own role
        users = proxy.get("/api/users", headers={"x-forwarded-user": "root"}).json()
    names = [u["username"] for u in users]
    assert names.count("bob@hospital.org") == 1, users


def test_a_disabled_user_is_not_recreated_by_the_proxy(settings: Settings) -> None:
    config = proxied(settings, "annotator")
    add_users(config, root="admin", eve="annotator")
    with TestClient(create_app(config), client=PROXY) as proxy:
        root = {"x-forwarded-user": "root"}
        csrf = proxy.get("/api/auth/me", headers=root).cookies.get("segdicom_csrf") or ""
        disabled = proxy.patch(
            "/api/users/eve", json={"disabled": True}, headers={**root, "x-csrf-token": csrf}
        )
        assert disabled.status_code == 200, disabled.text
        assert proxy.get("/api/auth/me", headers={"x-forwarded-user": "eve"}).status_code == 403


def test_a_name_that_is_not_a_user_name_is_refused_and_not_stored(settings: Settings) -> None:
    config = proxied(settings, "reviewer")
    add_users(config, root="admin")
    with TestClient(create_app(config), client=PROXY) as proxy:
        bad = proxy.get("/api/auth/me", headers={"x-forwarded-user": "bob;drop table"})
        assert bad.status_code == 403 and "user name from the proxy" in bad.json()["detail"]
        users = proxy.get("/api/users", headers={"x-forwarded-user": "root"}).json()
    assert [u["username"] for u in users] == ["root"]


def test_without_the_setting_unknown_proxy_users_stay_out(settings: Settings) -> None:
    config = proxied(settings, "")
    add_users(config, root="admin")
    with TestClient(create_app(config), client=PROXY) as proxy:
        assert proxy.get("/api/auth/me", headers={"x-forwarded-user": "bob"}).status_code == 403


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"proxy_new_user_role": "admin"}, "annotator or reviewer"),
        ({"proxy_user_header": "", "trusted_proxies": ()}, "PROXY_USER_HEADER"),
    ],
)
def test_the_setting_is_checked_at_start(
    settings: Settings, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        dataclasses.replace(proxied(settings, "annotator"), **changes).validate()  # type: ignore[arg-type]
