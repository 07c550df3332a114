"""Blinding of what is made from a reading: its exports, SEG and SR files, datasets.

workflows.reading_access decides who may see an annotation (`check_annotation_access`,
`hidden_from`); this module applies the same rule to everything derived from one,
so that a file is never a way round a 403 on the masks it holds.
"""

from collections.abc import Sequence
from typing import TypeVar

from segdicom.auth.identity import Identity
from segdicom.db import seg_origins
from segdicom.db.models import DatasetExport, Export
from segdicom.errors import Forbidden
from segdicom.seg.describe import SegDescription
from segdicom.state import AppState
from segdicom.workflows.reading_access import check_annotation_access, hidden_from

STAFF = ("reviewer", "admin")
E = TypeVar("E", bound=Export)


def visible_exports(st: AppState, who: Identity, rows: Sequence[E]) -> list[E]:
    """The exports `who` may see: those of hidden annotations left out."""
    if who.role in STAFF:
        return list(rows)
    with st.sessions() as session:
        hidden = hidden_from(session, who, sorted({r.annotation_id for r in rows}))
    return [r for r in rows if r.annotation_id not in hidden]


def check_export_visible(st: AppState, who: Identity, row: Export) -> None:
    """Forbidden when the export's annotation is hidden from `who`."""
    try:
        check_annotation_access(st, who, row.annotation_id, write=False)
    except Forbidden as exc:
        raise Forbidden(
            f"export {row.id} is a SEG of annotation {row.annotation_id}, and {exc.detail}"
        ) from None


def hidden_series(st: AppState, who: Identity, series_uids: Sequence[str]) -> set[str]:
    """Those of `series_uids` that are SEG or SR series exported from annotations hidden
    from `who`."""
    if who.role in STAFF or not series_uids:
        return set()
    with st.sessions() as session:
        origins = seg_origins.annotations_of_series(session, series_uids)
        hidden = hidden_from(session, who, sorted(set(origins.values())))
    return {uid for uid, annotation_id in origins.items() if annotation_id in hidden}


def visible_segs(
    st: AppState, who: Identity, segs: Sequence[SegDescription]
) -> list[SegDescription]:
    """The SEGs `who` may see: SEG series exported from hidden annotations left out."""
    hidden = hidden_series(st, who, [s.series_uid for s in segs])
    return [s for s in segs if s.series_uid not in hidden]


def check_seg_visible(st: AppState, who: Identity, sop_instance_uid: str) -> None:
    """Forbidden when the SEG was exported from an annotation hidden from `who` (it is
    its masks: importing it would copy them)."""
    if who.role in STAFF:
        return
    with st.sessions() as session:
        annotation_id = seg_origins.annotation_of_instance(session, sop_instance_uid)
    if annotation_id is None:
        return
    try:
        check_annotation_access(st, who, annotation_id, write=False)
    except Forbidden as exc:
        raise Forbidden(
            f"SEG {sop_instance_uid} was exported from annotation {annotation_id}, and {exc.detail}"
        ) from None


def check_dataset_visible(who: Identity, row: DatasetExport) -> None:
    """Annotators download their own datasets only: another's may hold readings (or
    consensus) hidden from them, which their own request was checked against."""
    if who.role in STAFF or row.created_by == who.username:
        return
    raise Forbidden(
        f"dataset {row.id} was made by {row.created_by!r}: annotators download their own "
        "datasets (another's may hold blinded readings)"
    )
