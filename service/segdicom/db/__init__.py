"""Database layer: SQLAlchemy 2 models, the engine, and queries per resource."""

from segdicom.db.engine import make_engine, make_sessionmaker, upgrade
from segdicom.db.models import Annotation, Base, Event, Export, Instance, Job, Segment, SliceMask

__all__ = [
    "Annotation",
    "Base",
    "Event",
    "Export",
    "Instance",
    "Job",
    "Segment",
    "SliceMask",
    "make_engine",
    "make_sessionmaker",
    "upgrade",
]
