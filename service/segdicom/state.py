"""What the lifespan builds and the handlers use: one typed object on app.state."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from segdicom.config import Settings
from segdicom.imaging import VolumeCache
from segdicom.store import Store


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: Store
    cache: VolumeCache
    # Optional parts (PACS clients, SCP, outbox) register here when configured.
    services: dict[str, Any] = field(default_factory=dict)
    on_stop: list[Callable[[], None]] = field(default_factory=list)
