"""This process's identity, and whether another writer on this host is gone.

Several service processes (or hosts) may share one database and data folder.
Work they leave behind when killed (a claimed delivery, a half-written temp
file) is named after them, so a process starting up can tell what is
abandoned (its writer no longer runs here) from what is in progress.
"""

import os
import socket

HOST = socket.gethostname().replace("-", "_").replace(":", "_")[:40] or "host"


def identity() -> str:
    """`host:pid` of this process (read each time: the pid changes after a fork)."""
    return f"{HOST}:{os.getpid()}"


def is_gone(owner: str) -> bool | None:
    """True when `owner` (`host:pid`) was a process of this host that no longer
    runs; False when it still runs or is us; None when it is another host's."""
    host, _, pid = owner.rpartition(":")
    if host != HOST or not pid.isdigit():
        return None
    return int(pid) != os.getpid() and not _running(int(pid))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True
