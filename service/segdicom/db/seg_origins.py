"""Which annotation a SEG (or the SR beside it) was written from.

Blinding follows the masks into the files made of them: a SEG in the local store or
the PACS is as hidden as the reading it was exported from (workflows.blinding).
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select, union_all
from sqlalchemy.orm import Session

from segdicom.db.models import Annotation, Export


def annotations_of_series(session: Session, series_uids: Iterable[str]) -> dict[str, int]:
    """SEG or SR series UID -> the annotation whose exports make up that series."""
    wanted = sorted(set(series_uids))
    if not wanted:
        return {}
    segs = select(Annotation.seg_series_uid, Annotation.id).where(
        Annotation.seg_series_uid.in_(wanted)
    )
    reports = select(Export.sr_series_uid, Export.annotation_id).where(
        Export.sr_series_uid.in_(wanted)
    )
    found: list[Any] = list(session.execute(union_all(segs, reports)))
    return {str(row[0]): int(row[1]) for row in found}


def annotation_of_instance(session: Session, sop_instance_uid: str) -> int | None:
    """The annotation a SEG or SR instance was exported from; None when it is not ours."""
    found = session.scalar(
        select(Export.annotation_id)
        .where(
            or_(
                Export.sop_instance_uid == sop_instance_uid,
                Export.sr_sop_instance_uid == sop_instance_uid,
            )
        )
        .limit(1)
    )
    return None if found is None else int(found)
