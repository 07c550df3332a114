"""This process's identity, and whether another writer of the data folder is gone.

Several service processes (containers, hosts) may share one database and data
folder. Work they leave behind when killed (a claimed delivery, a journal, a
half-written temp file) is named after them, so a process starting up can
tell what is abandoned from what is in progress.

A name is `<host>.<token>:<pid>`: the token is drawn at each start, so two
replicas with the same host name and pid (containers run as pid 1) never share
one. Whether its owner still runs is decided by a lock: each writer holds an
exclusive flock(2) on `<data>/writers/<name>.lock` while its store is open
(`hold_writer_lock`). The kernel drops it when the process ends however it
ends, and every container sharing the data volume sees that, whatever its host
name; so a recreated container recognises its killed predecessor's work as
abandoned at once. A name without a lock file in a data folder of ours (an
older version's `<host>:<pid>`, or a writer of another folder) falls back to
the pid on this host, and is unknown (None) from another host.
"""

import fcntl
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

HOST = socket.gethostname().replace("-", "_").replace(":", "_")[:40] or "host"
TOKEN = secrets.token_hex(4)
LOCKS = "writers"
STALE_LOCK_AGE = 3600.0  # after this, what a dead writer left is judged by age alone
_NAME = re.compile(r"[A-Za-z0-9_.]{1,64}:[0-9]{1,10}")

_lock = threading.Lock()
_held: dict[Path, tuple[int, int]] = {}  # lock folder -> (fd, number of holders)


def identity() -> str:
    """`host.token:pid` of this process (read each time: the pid changes after a fork)."""
    return f"{HOST}.{TOKEN}:{os.getpid()}"


def is_gone(owner: str) -> bool | None:
    """True when the process named `owner` no longer runs; False when it runs or
    is us; None when that cannot be told (another host's, without a lock file)."""
    if owner == identity():
        return False
    held = _lock_held(owner)
    if held is not None:
        return not held
    host, _, pid = owner.rpartition(":")
    if host != HOST or not pid.isdigit():
        return None
    # `host:pid`, an older version's name: with our pid, an earlier life of it
    # (a container restarted as pid 1), since our own name has a token.
    return int(pid) == os.getpid() or not _running(int(pid))


def hold_writer_lock(data_dir: Path) -> Callable[[], None]:
    """Hold this process's lock in `data_dir` until every holder has called the
    release it was given (once is enough; again does nothing)."""
    folder = data_dir.resolve() / LOCKS
    with _lock:
        fd, holders = _held.get(folder, (-1, 0))
        if fd < 0:
            fd = _take(folder / _lock_name(identity()))
            _sweep(folder)
        _held[folder] = (fd, holders + 1)
    released = threading.Event()

    def release() -> None:
        if not released.is_set():
            released.set()
            _release(folder)

    return release


def _take(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    # Blocking: a process checking on us holds a shared lock for an instant.
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _sweep(folder: Path) -> None:
    """Delete the lock files of writers long gone (one is left per crash)."""
    for path in folder.glob("*.lock"):
        owner = path.name.removesuffix(".lock").replace("-", ":")
        try:
            old = time.time() - path.stat().st_mtime > STALE_LOCK_AGE
        except FileNotFoundError:
            continue
        if old and _lock_held(owner, [folder]) is False:
            path.unlink(missing_ok=True)


def _release(folder: Path) -> None:
    with _lock:
        fd, holders = _held.pop(folder)
        if holders > 1:
            _held[folder] = (fd, holders - 1)
            return
    (folder / _lock_name(identity())).unlink(missing_ok=True)
    os.close(fd)  # closing drops the lock


def _lock_held(owner: str, folders: list[Path] | None = None) -> bool | None:
    """Whether `owner`'s lock file in one of our data folders is locked; None
    when there is no such file (or `owner` is no process name)."""
    if not _NAME.fullmatch(owner):
        return None
    if folders is None:
        with _lock:
            folders = list(_held)
    for folder in folders:
        try:
            fd = os.open(folder / _lock_name(owner), os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False
    return None


def _lock_name(owner: str) -> str:
    return owner.replace(":", "-") + ".lock"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True
