"""Auth building blocks: password hashing, loopback rule, settings, names, CSRF."""

import pytest

from segdicom.auth import check_binding, is_loopback
from segdicom.auth.authenticator import Credentials, _check_csrf, _cookies
from segdicom.auth.identity import Identity, check_role, check_username, may_delete
from segdicom.auth.passwords import hash_password, verify
from segdicom.auth.secrets import digest, new_api_token
from segdicom.config import ConfigError, Settings
from segdicom.errors import BadInput, Forbidden


def test_argon2id_hash_verifies_and_refuses() -> None:
    stored = hash_password("a long enough secret")
    assert stored.startswith("$argon2id$")
    assert verify(stored, "a long enough secret")
    assert not verify(stored, "a long enough secreT")
    assert not verify(None, "anything at all")  # unknown user: still hashed, still False
    assert not verify("", "anything at all")  # proxy-only user has no password
    assert not verify("not a hash", "anything at all")
    with pytest.raises(BadInput):
        hash_password("short")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)
    check_binding(host, has_users=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "segdicom.example.org"])
def test_exposed_hosts_need_users(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ConfigError, match="no users configured"):
        check_binding(host, has_users=False)
    check_binding(host, has_users=True)


def test_auth_settings_validated() -> None:
    ok = Settings.from_mapping(
        {
            "SEGDICOM_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16, ::1",
            "SEGDICOM_PROXY_USER_HEADER": "X-Forwarded-User",
            "SEGDICOM_SECURE_COOKIES": "true",
            "SEGDICOM_SESSION_HOURS": "8",
        }
    )
    assert ok.trusted_proxies == ("10.0.0.1", "192.168.0.0/16", "::1")
    assert ok.secure_cookies is True and ok.session_hours == 8
    bad = [
        {"SEGDICOM_TRUSTED_PROXIES": "not-an-ip"},
        {"SEGDICOM_PROXY_USER_HEADER": "X-Forwarded-User"},  # trusted from nobody
        {"SEGDICOM_PROXY_USER_HEADER": "X Bad: header", "SEGDICOM_TRUSTED_PROXIES": "10.0.0.1"},
        {"SEGDICOM_SECURE_COOKIES": "maybe"},
        {"SEGDICOM_SESSION_HOURS": "0"},
    ]
    for values in bad:
        with pytest.raises(ConfigError, match="SEGDICOM_"):
            Settings.from_mapping(values)


@pytest.mark.parametrize("name", ["../x", "a/b", "", "x" * 65, "a\x00b", " lead", "<img>"])
def test_hostile_usernames_refused(name: str) -> None:
    with pytest.raises(BadInput):
        check_username(name)


def test_roles_and_delete_rule() -> None:
    assert check_role("reviewer") == "reviewer"
    with pytest.raises(BadInput):
        check_role("root")
    assert may_delete(Identity("alice", "annotator", "session"), "alice")
    assert not may_delete(Identity("rita", "reviewer", "session"), "alice")
    assert may_delete(Identity("root", "admin", "token"), "alice")


def test_csrf_check() -> None:
    _check_csrf(Credentials(method="GET", peer=""), "token")  # reads need none
    _check_csrf(Credentials(method="POST", peer="", csrf_header="token"), "token")
    for header, expected in (("", "token"), ("other", "token"), ("", ""), ("x", "")):
        with pytest.raises(Forbidden):
            _check_csrf(Credentials(method="PUT", peer="", csrf_header=header), expected)


def test_tokens_and_cookies() -> None:
    a, b = new_api_token(), new_api_token()
    assert a != b and a.startswith("sdt_") and len(a) > 40
    assert digest(a) != digest(b) and len(digest(a)) == 64
    assert _cookies("segdicom_session=abc; segdicom_csrf=def") == {
        "segdicom_session": "abc",
        "segdicom_csrf": "def",
    }
    assert _cookies('bad"cookie\x00') == {}
