"""The service runs without users only while nobody else can reach it."""

import ipaddress

from segdicom.config import ConfigError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name may resolve to anything: treat it as exposed


def check_binding(host: str, has_users: bool) -> None:
    """Refuse to serve open on an address other machines can reach."""
    if has_users or is_loopback(host):
        return
    raise ConfigError(
        f"refusing to listen on {host!r} with no users configured: anyone on the network "
        "could read patient data and change annotations. Add a user first "
        "(`segdicom users add NAME --role admin`) or bind to 127.0.0.1 (SEGDICOM_HTTP_HOST)."
    )
