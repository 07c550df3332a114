"""Queries over the instance index: studies, series and the files of a series."""

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from segdicom.db.models import Instance
from segdicom.db.types import utcnow

# The fields of store.ingest.InstanceInfo copied into a row (the db layer does
# not import the store; any object with these attributes will do).
_COPIED = (
    "sop_instance_uid",
    "sop_class_uid",
    "study_uid",
    "series_uid",
    "modality",
    "patient_id",
    "patient_name",
    "study_date",
    "study_description",
    "accession_number",
    "series_description",
    "series_number",
    "instance_number",
    "rows",
    "columns",
    "num_frames",
    "transfer_syntax_uid",
    "is_image",
)


def row_values(info: Any) -> dict[str, Any]:
    """The index columns of an object carrying the _COPIED attributes."""
    return {name: getattr(info, name) for name in _COPIED}


def upsert_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert or replace index rows (the same SOP Instance UID again replaces it)."""
    if not rows:
        return
    now = utcnow()
    for row in rows:
        row.setdefault("received_at", now)
    # Last one wins when a batch holds the same SOP Instance UID twice.
    unique = list({row["sop_instance_uid"]: row for row in rows}.values())
    columns = tuple(unique[0])
    dialect = session.get_bind().dialect.name
    # One statement for every batch of these columns, its rows given as parameters
    # (executemany): SQLAlchemy compiles it once, not a VALUES list per batch size.
    session.execute(_upsert_statement(dialect, columns), unique)


@functools.cache
def _upsert_statement(dialect: str, columns: tuple[str, ...]) -> Any:
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = insert(Instance)
    updated = {c: statement.excluded[c] for c in columns if c != "sop_instance_uid"}
    return statement.on_conflict_do_update(index_elements=["sop_instance_uid"], set_=updated)


def upsert(session: Session, info: Any, path: str, *, size: int, source: str) -> None:
    """Index an instance; the same SOP Instance UID again replaces the row."""
    row = session.get(Instance, str(info.sop_instance_uid)) or Instance()
    for name in _COPIED:
        setattr(row, name, getattr(info, name))
    row.path, row.size, row.source, row.received_at = path, size, source, utcnow()
    session.add(row)


@dataclass(frozen=True)
class StudyRow:
    study_uid: str
    patient_id: str
    patient_name: str
    study_date: str
    modalities: list[str]
    description: str
    accession_number: str
    num_series: int
    num_instances: int


@dataclass(frozen=True)
class SeriesRow:
    series_uid: str
    study_uid: str
    modality: str
    description: str
    series_number: int | None
    num_instances: int
    is_image: bool


@dataclass(frozen=True)
class StudyFilter:
    patient_id: str = ""
    patient_name: str = ""
    modality: str = ""
    date_from: str = ""
    date_to: str = ""
    accession: str = ""


def studies(session: Session, flt: StudyFilter, limit: int, offset: int) -> list[StudyRow]:
    """Local studies matching `flt`, newest study date first."""
    query = select(
        Instance.study_uid,
        func.max(Instance.patient_id),
        func.max(Instance.patient_name),
        func.max(Instance.study_date),
        func.max(Instance.study_description),
        func.max(Instance.accession_number),
        func.count(func.distinct(Instance.series_uid)),
        func.count(),
    ).group_by(Instance.study_uid)
    query = _filtered(query, flt)
    query = query.order_by(func.max(Instance.study_date).desc(), Instance.study_uid)
    rows = session.execute(query.limit(limit).offset(offset)).all()
    modalities = _modalities(session, [r[0] for r in rows])
    return [
        StudyRow(r[0], r[1], r[2], r[3], modalities.get(r[0], []), r[4], r[5], r[6], r[7])
        for r in rows
    ]


def _filtered(query, flt: StudyFilter):  # type: ignore[no-untyped-def]
    if flt.patient_id:
        query = query.where(Instance.patient_id.ilike(_like(flt.patient_id)))
    if flt.patient_name:
        query = query.where(Instance.patient_name.ilike(_like(flt.patient_name)))
    if flt.accession:
        query = query.where(Instance.accession_number.ilike(_like(flt.accession)))
    if flt.date_from:
        query = query.where(Instance.study_date >= flt.date_from)
    if flt.date_to:
        query = query.where(Instance.study_date <= flt.date_to)
    if flt.modality:
        sub = select(Instance.study_uid).where(Instance.modality == flt.modality)
        query = query.where(Instance.study_uid.in_(sub))
    return query


def _like(pattern: str) -> str:
    """DICOM wildcards (`*`, `?`) to SQL LIKE; a bare value matches anywhere."""
    escaped = pattern.replace("%", "").replace("_", "")
    if "*" not in escaped and "?" not in escaped:
        return f"%{escaped}%"
    return escaped.replace("*", "%").replace("?", "_")


def _modalities(session: Session, study_uids: Sequence[str]) -> dict[str, list[str]]:
    query = (
        select(Instance.study_uid, Instance.modality)
        .where(Instance.study_uid.in_(study_uids))
        .distinct()
    )
    found: dict[str, list[str]] = {}
    for study_uid, modality in session.execute(query):
        if modality:
            found.setdefault(study_uid, []).append(modality)
    return {k: sorted(v) for k, v in found.items()}


def series_of_study(session: Session, study_uid: str) -> list[SeriesRow]:
    query = (
        select(
            Instance.series_uid,
            Instance.study_uid,
            func.max(Instance.modality),
            func.max(Instance.series_description),
            func.max(Instance.series_number),
            func.count(),
            func.max(cast(Instance.is_image, Integer)),  # PostgreSQL has no max(boolean)
        )
        .where(Instance.study_uid == study_uid)
        .group_by(Instance.series_uid, Instance.study_uid)
        .order_by(func.max(Instance.series_number), Instance.series_uid)
    )
    return [
        SeriesRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in session.execute(query)
    ]


def instances_of_series(session: Session, series_uid: str) -> list[Instance]:
    query = select(Instance).where(Instance.series_uid == series_uid)
    return list(session.scalars(query.order_by(Instance.sop_instance_uid)))


def series_state(session: Session, series_uid: str) -> tuple[int, str]:
    """(instance count, latest receive time): changes whenever the series grows."""
    row = session.execute(
        select(func.count(), func.max(Instance.received_at)).where(
            Instance.series_uid == series_uid
        )
    ).one()
    return int(row[0]), str(row[1] or "")


def known_sop_uids(session: Session, series_uid: str) -> set[str]:
    query = select(Instance.sop_instance_uid).where(Instance.series_uid == series_uid)
    return set(session.scalars(query))


def study_of_series(session: Session, series_uid: str) -> str | None:
    """The study of a series held locally; None when no instance of it is held.

    The one answer to "is this series held" and "which study is it in"."""
    query = select(Instance.study_uid).where(Instance.series_uid == series_uid)
    return session.scalar(query.limit(1))


def get(session: Session, sop_instance_uid: str) -> Instance | None:
    return session.get(Instance, sop_instance_uid)


def paths_of_class(
    session: Session, sop_classes: Sequence[str], study_uid: str | None
) -> list[str]:
    """The paths of the instances of `sop_classes`, within `study_uid` when given."""
    query = select(Instance.path).where(Instance.sop_class_uid.in_(sop_classes))
    if study_uid:
        query = query.where(Instance.study_uid == study_uid)
    return list(session.scalars(query))


def locations(session: Session, sop_uids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(path, series UID) of each of `sop_uids` that is indexed."""
    query = select(Instance.sop_instance_uid, Instance.path, Instance.series_uid)
    rows = session.execute(query.where(Instance.sop_instance_uid.in_(sop_uids)))
    return {sop: (path, series) for sop, path, series in rows}


def paths_of_study(session: Session, study_uid: str) -> set[str]:
    return set(session.scalars(select(Instance.path).where(Instance.study_uid == study_uid)))
