"""Engine and sessions, created by the app's lifespan (never at import time)."""

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy import exc as exc_
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from segdicom.bundled import bundled_dir

MIGRATIONS_DIR = bundled_dir("migrations")


def make_engine(url: str) -> Engine:
    """An engine for `url`. SQLite gets WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # The driver's own transaction handling is off; "begin" below takes over.
    engine = create_engine(url, connect_args={"isolation_level": None, "timeout": 30})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


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
