"""Command line: `segdicom serve`, `segdicom db upgrade`, `segdicom store reindex`,
`segdicom users add/list/disable`, `segdicom export dataset`."""

import argparse
import logging
import sys

from segdicom.config import ConfigError, Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="segdicom", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate the database and serve the annotator")
    serve.add_argument("--host", help="override SEGDICOM_HTTP_HOST")
    serve.add_argument("--port", type=int, help="override SEGDICOM_HTTP_PORT")
    db = commands.add_parser("db", help="database commands")
    db.add_argument("action", choices=["upgrade"])
    store = commands.add_parser("store", help="local store commands")
    store.add_argument(
        "action",
        choices=["reindex"],
        help="reindex: walk every stored file and index those the index lacks",
    )
    from segdicom.auth.cli import add_parser as add_users_parser

    add_users_parser(commands)
    from segdicom.export_cli import add_parser as add_export_parser

    add_export_parser(commands)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"segdicom: configuration error: {exc.detail}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # alembic names each of its plugins at INFO whenever it loads: noise before every command.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if args.command == "db":
        return _upgrade(settings)
    if args.command == "store":
        return _reindex(settings)
    if args.command == "export":
        from segdicom.export_cli import run as run_export

        return run_export(settings, args)
    if args.command == "users":
        from segdicom.auth.cli import run as run_users

        return run_users(settings, args)
    return _serve(settings, args.host, args.port)


def _upgrade(settings: Settings) -> int:
    from segdicom.db import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    print(f"database at head: {settings.resolved_database_url}")
    return 0


def _reindex(settings: Settings) -> int:
    """The full scan a start no longer does: for files copied into the store by
    hand. Safe while services run on the same folder (it only adds missing rows)."""
    from segdicom.db import make_engine, make_sessionmaker, upgrade
    from segdicom.store import FileStore, Store

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    store = Store(FileStore(settings.data_dir), make_sessionmaker(engine))
    try:
        report = store.reindex()
    finally:
        store.close()
        engine.dispose()
    print(f"store reindexed under {settings.data_dir}: {report.summary()}")
    return 0


def _serve(settings: Settings, host: str | None, port: int | None) -> int:
    import uvicorn

    from segdicom.app import create_app

    host, port = host or settings.http_host, port or settings.http_port
    from segdicom.auth.cli import bootstrap_admin, refuse_open_binding

    try:
        bootstrap_admin(settings)
    except ConfigError as exc:
        print(f"segdicom: configuration error: {exc.detail}", file=sys.stderr)
        return 2
    if refuse_open_binding(settings, host):
        return 2
    app = create_app(settings)
    print(f"SegDICOM: serving the annotator on http://{host}:{port}")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        proxy_headers=False,
    )
    return 0
