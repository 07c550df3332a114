"""Users for the auth tests, written to the database before the app starts."""

from segdicom.auth.passwords import hash_password
from segdicom.config import Settings
from segdicom.db import make_engine, make_sessionmaker, upgrade
from segdicom.db import users as repo

PASSWORD = "correct horse battery"


def add_users(settings: Settings, **roles: str) -> None:
    """add_users(settings, alice="annotator", ...): each with PASSWORD."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            for name, role in roles.items():
                repo.add(session, name, hash_password(PASSWORD), role)
    finally:
        engine.dispose()
