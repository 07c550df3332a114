"""Engine and sessions, created by the app's lifespan (never at import time)."""

import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy import exc as exc_
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from segdicom.bundled import bundled_dir

MIGRATIONS_DIR = bundled_dir("migrations")
# A pooled server connection unused this long is pinged before it is handed out.
IDLE_PING_SECONDS = 10.0
POOL_SIZE, POOL_OVERFLOW = 10, 10  # connections of a server database, kept and at most
CONNECTIONS = POOL_SIZE + POOL_OVERFLOW


def make_engine(url: str) -> Engine:
    """An engine for `url`. SQLite gets WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
        event.listen(engine, "checkin", _note_idle)
        event.listen(engine, "checkout", _ping_if_idle)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # The driver's own transaction handling is off; "begin" below takes over.
    engine = create_engine(url, connect_args={"isolation_level": None, "timeout": 30})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _note_idle(dbapi_conn: object, record: ConnectionPoolEntry) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_conn: object, record: ConnectionPoolEntry, proxy: object) -> None:
    """A connection that sat in the pool may have been closed by the server (a
    restart, an idle timeout): ping it, and have the pool open a new one if it is
    gone (pessimistic disconnect handling, as pool_pre_ping, but not on every
    checkout: under load that ping was a round trip to the server per session)."""
    since = record.info.get("idle_since")
    if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
        return
    try:
        cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_conn.rollback()  # type: ignore[attr-defined]
    except Exception as exc:
        raise exc_.DisconnectionError(f"pooled connection is gone: {exc}") from exc


def _sqlite_on_connect(dbapi_conn: object, record: ConnectionPoolEntry) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before we acknowledge it, power loss included.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_on_begin(conn: object) -> None:
    # IMMEDIATE takes the write lock up front: two writers queue on busy_timeout
    # instead of one failing with "database is locked" when it upgrades.
    conn.exec_driver_sql("BEGIN IMMEDIATE")  # type: ignore[attr-defined]


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` with the Alembic migrations."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)


def is_transient(exc: BaseException) -> bool:
    """The database (or the disk under it) is away or busy: the same write may succeed
    later. A refusal of the data itself (a constraint, a bad value) is not."""
    if isinstance(exc, FileNotFoundError):
        return False
    transient = (exc_.OperationalError, exc_.InterfaceError, exc_.TimeoutError, OSError)
    return isinstance(exc, transient)


def ping(sessions: sessionmaker[Session]) -> None:
    """Raise unless the database answers."""
    with sessions() as session:
        session.execute(text("SELECT 1"))
