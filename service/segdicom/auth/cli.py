"""`segdicom users add/list/disable/enable`, and the refusal to serve open on a network."""

import argparse
import getpass
import sys
from pathlib import Path

from segdicom.auth.identity import ROLES, check_role, check_username
from segdicom.auth.passwords import hash_password
from segdicom.auth.startup import check_binding
from segdicom.config import ConfigError, Settings
from segdicom.errors import SegDicomError

MIN_BOOTSTRAP_PASSWORD = 12


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    users = commands.add_parser("users", help="manage the users who may log in")
    actions = users.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a user (asks for the password)")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, default="annotator")
    source = add.add_mutually_exclusive_group()
    source.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    source.add_argument(
        "--no-password", action="store_true", help="only via the trusted proxy header"
    )
    actions.add_parser("list", help="list users")
    for name in ("disable", "enable"):
        action = actions.add_parser(name, help=f"{name} a user (disable ends their sessions)")
        action.add_argument("username")


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        return _run(settings, args)
    except SegDicomError as exc:
        print(f"segdicom users: {exc.detail}", file=sys.stderr)
        return 1


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from segdicom.db import events, make_engine, make_sessionmaker, upgrade
    from segdicom.db import users as repo

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    try:
        sessions = make_sessionmaker(engine)
        if args.action == "list":
            with sessions() as session:
                found = repo.list_all(session)
                for u in found:
                    state = "disabled" if u.disabled else "enabled"
                    print(f"{u.username}\t{u.role}\t{state}")
            if not found:  # stdout stays a table (empty) for scripts; a person reads this
                print(
                    "no users yet: add one with `segdicom users add NAME --role admin`",
                    file=sys.stderr,
                )
            return 0
        username = check_username(args.username)
        with sessions.begin() as session:
            if args.action == "add":
                hashed = "" if args.no_password else hash_password(_password(args))
                repo.add(session, username, hashed, check_role(args.role))
            else:
                repo.set_disabled(session, username, args.action == "disable")
            detail = f"{username} (command line)"
            events.append(session, user="cli", action=f"{args.action}_user", detail=detail)
        print(f"{args.action}: {username}")
        return 0
    finally:
        engine.dispose()


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {args.username}: ")
    if getpass.getpass("again: ") != first:
        raise ConfigError("the two passwords differ")
    return first


def bootstrap_admin(settings: Settings) -> bool:
    """With SEGDICOM_ADMIN_PASSWORD_FILE and no users yet, create "admin"; True if done."""
    if not settings.admin_password_file:
        return False
    try:
        password = Path(settings.admin_password_file).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"SEGDICOM_ADMIN_PASSWORD_FILE cannot be read: {settings.admin_password_file!r} "
            f"({exc.strerror or exc})"
        ) from None
    if len(password) < MIN_BOOTSTRAP_PASSWORD:
        raise ConfigError(
            f"SEGDICOM_ADMIN_PASSWORD_FILE must hold a password of at least "
            f"{MIN_BOOTSTRAP_PASSWORD} characters"
        )
    from segdicom.db import events, make_engine, make_sessionmaker, upgrade
    from segdicom.db import users as repo

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            if repo.any_users(session):
                return False
            repo.add(session, "admin", hash_password(password), "admin")
            events.append(session, user="cli", action="add_user", detail="admin (bootstrap)")
    finally:
        engine.dispose()
    print("segdicom: created the user 'admin' from SEGDICOM_ADMIN_PASSWORD_FILE")
    return True


def refuse_open_binding(settings: Settings, host: str) -> bool:
    """True (after saying why on stderr) when serving `host` with no users is unsafe."""
    from segdicom.auth import is_loopback

    if is_loopback(host):
        return False
    from segdicom.db import make_engine, upgrade
    from segdicom.db import users as repo
    from segdicom.db.engine import make_sessionmaker

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_sessionmaker(engine)() as session:
            has_users = repo.any_users(session)
    finally:
        engine.dispose()
    try:
        check_binding(host, has_users)
    except ConfigError as exc:
        print(f"segdicom: {exc.detail}", file=sys.stderr)
        return True
    return False
