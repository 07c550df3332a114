"""What the lifespan builds and the handlers use: one typed object on app.state.

The optional parts are None until `services.start_services` starts them (when
their settings are present).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from segdicom.auth.authenticator import Authenticator
from segdicom.config import Settings
from segdicom.enums import Via
from segdicom.imaging import VolumeCache
from segdicom.jobs import Jobs
from segdicom.observability.metrics import Metrics
from segdicom.pacs.dicomweb import DicomWebPacs
from segdicom.pacs.dimse import DimsePacs
from segdicom.pacs.dimse_scp import StoreScp
from segdicom.pacs.outbox import Outbox
from segdicom.pacs.protocol import Pacs
from segdicom.store import Store


class Intake(Protocol):
    """Series received by C-STORE, matched against project rules (workflows.projects)."""

    def drain(self) -> None: ...

    def forget(self) -> None: ...


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: Store
    cache: VolumeCache
    auth: Authenticator
    jobs: Jobs = field(default_factory=Jobs)
    dicomweb: DicomWebPacs | None = None
    dimse: DimsePacs | None = None
    scp: StoreScp | None = None
    outbox: Outbox | None = None
    metrics: Metrics | None = None
    rules: Intake | None = None
    on_stop: list[Callable[[], None]] = field(default_factory=list)

    def pacs(self, via: Via) -> Pacs | None:
        """The PACS client for `via`, when configured."""
        return self.dicomweb if via == Via.DICOMWEB else self.dimse

    def wake_outbox(self) -> None:
        """Deliver pending exports now (no-op without an outbox)."""
        if self.outbox is not None:
            self.outbox.wake()
