"""Export: stored masks + source instances -> one DICOM SEG file, and its outbox row."""

import io
import warnings
from dataclasses import dataclass

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from segdicom.auth.identity import Identity
from segdicom.db import annotation_places as places
from segdicom.db import annotations as repo
from segdicom.db import events
from segdicom.db import exports as outbox
from segdicom.db.models import Annotation, Export, Project, Task
from segdicom.enums import Destination, SegmentationType, TaskState
from segdicom.errors import BadInput, Conflict, Forbidden, Unprocessable
from segdicom.imaging import Volume
from segdicom.masks import decode_mask
from segdicom.seg.encode import encode_seg
from segdicom.seg.model import Code, SegmentSpec, SourceFrame
from segdicom.state import AppState
from segdicom.workflows.sr_export import build_sr, segment_measurements
from segdicom.workflows.volumes import load_volume, slice_keys


@dataclass(frozen=True)
class Snapshot:
    """An annotation read in one transaction: what the SEG will hold."""

    annotation: Annotation
    segments: list[SegmentSpec]
    masks: dict[int, dict[int, bytes]]


@dataclass(frozen=True)
class Authorship:
    """Whom the SEG names: who painted it (Content Creator's Name; the reader of a
    project reading) and the reviewer who approved it, if any."""

    creator: str
    approved_by: str | None = None

    @property
    def note(self) -> str | None:
        """The SEG's Content Description when approved. PS3.3 C.10.9: the SEG has one
        Content Creator and no verifying observer (the SR has, C.17.2), so the approval
        is said in words; LO holds 64 characters, the export row the whole name."""
        return f"Approved by {self.approved_by}"[:64] if self.approved_by else None


def check_pacs_export(st: AppState, who: Identity, annotation_id: int) -> None:
    """A project reading goes to the PACS once approved (409 before), sent by the approval
    or, later, by a reviewer or admin (403 for annotators); so does a case's consensus,
    which is the reviewers' work (403 for annotators, blinded project or not)."""
    with st.sessions() as session:
        found = places.project_of_annotation(session, annotation_id)
    if found is None:
        return
    if found.task is None:
        if who.role not in ("reviewer", "admin"):
            raise Forbidden(
                f"annotation {annotation_id} is the consensus of case {found.case.id}: "
                "reviewers and admins send it to the PACS"
            )
        return
    _check_approved(annotation_id, found.task, found.project)
    if who.role not in ("reviewer", "admin"):
        raise Forbidden(
            f"annotation {annotation_id} is the approved reading of task {found.task.id}: "
            "reviewers and admins send it to the PACS"
        )


def _check_approved(annotation_id: int, task: Task, project: Project) -> None:
    if task.state == TaskState.APPROVED:
        return
    how = (
        f"its approval sends it (project {project.id} exports on approval)"
        if project.export_on_approval
        else "a reviewer or admin may export it once it is approved"
    )
    raise Conflict(
        f"annotation {annotation_id} is the reading of task {task.id}, which is {task.state}: "
        f"a project reading goes to the PACS through review, and {how}"
    )


def authorship(st: AppState, annotation_id: int, destination: str, user: str) -> Authorship:
    """Whom the SEG of the annotation names; Conflict for a PACS export of a project
    reading that is not approved (whoever asks: the review is the way to the PACS)."""
    with st.sessions() as session:
        found = places.project_of_annotation(session, annotation_id)
    if found is None or found.task is None:
        return Authorship(user)
    task = found.task
    if destination == Destination.PACS:
        _check_approved(annotation_id, task, found.project)
    approved = task.state == TaskState.APPROVED and task.reviewed_by
    return Authorship(task.reader, task.reviewed_by if approved else None)


def export_annotation(
    st: AppState,
    annotation_id: int,
    destination: str,
    user: str,
    segmentation_type: SegmentationType = SegmentationType.BINARY,
    measurements: bool = False,
) -> Export:
    """Write the SEG of an annotation as a new instance of its SEG series.

    LABELMAP is refused (SegmentsOverlap, 422) when two segments share a pixel.
    `measurements` also writes a TID 1500 SR on the SEG's segments, stored beside
    it and delivered with it.
    """
    if destination not in tuple(Destination):
        raise BadInput(f"destination must be 'local' or 'pacs', got {destination!r}")
    if destination == Destination.PACS and st.outbox is None:
        raise BadInput(
            "no PACS configured for delivery: set SEGDICOM_DICOMWEB_URL (STOW-RS) "
            "or SEGDICOM_PACS_AE_TITLE, _PACS_HOST and _PACS_DICOM_PORT (C-STORE)"
        )
    with st.sessions() as session:
        series_uid = repo.get(session, annotation_id).series_uid
    by = authorship(st, annotation_id, destination, user)
    volume = load_volume(st, series_uid)
    if not volume.pixel_spacing_known:  # highdicom would fail on the first source image
        raise Unprocessable(
            f"a SEG needs the images' Pixel Spacing to place its masks, and series "
            f"{series_uid} has none usable (the viewer assumes 1 mm for display only)"
        )
    snap = _snapshot(st, annotation_id, volume)
    with st.sessions() as session:
        number = outbox.next_instance_number(session, annotation_id)
    arrays = _volume_masks(snap, volume)
    sources = _source_datasets(st, volume)
    seg = build_seg(st, snap, volume, number, by, segmentation_type, (arrays, sources))
    stored = st.store.put_bytes(_part10(seg), source="export", images_only=False)
    report = None
    if measurements:
        figures = segment_measurements(st, annotation_id, volume, snap.segments)
        people = (by.creator, by.approved_by)
        sr = build_sr(st, row_id(snap), seg, sources, snap.segments, figures, people)
        report = (sr, st.store.put_bytes(_part10(sr), source="export", images_only=False).path)
    written = Written(seg, stored.path, segmentation_type, report)
    return _record(st, snap, written, destination, user, by)


def row_id(snap: Snapshot) -> int:
    return int(snap.annotation.id)


def _volume_masks(snap: Snapshot, volume: Volume) -> dict[int, np.ndarray]:
    return {seg.number: _volume_mask(volume, snap.masks[seg.number]) for seg in snap.segments}


def _snapshot(st: AppState, annotation_id: int, volume: Volume) -> Snapshot:
    with st.sessions() as session:
        row = repo.get(session, annotation_id)
        segments = [
            SegmentSpec(
                number=s.number,
                label=s.label,
                color=s.color,
                category=Code(s.category_code, s.category_scheme, s.category_meaning),
                type=Code(s.type_code, s.type_scheme, s.type_meaning),
            )
            for s in row.segments
        ]
        masks = repo.masks_of(session, annotation_id, slice_keys(volume))
    painted = [s for s in segments if masks.get(s.number)]
    if not painted:
        raise BadInput(f"annotation {annotation_id} has nothing painted: no SEG to write")
    return Snapshot(row, painted, masks)


def build_seg(
    st: AppState,
    snap: Snapshot,
    volume: Volume,
    number: int,
    by: Authorship,
    segmentation_type: SegmentationType = SegmentationType.BINARY,
    inputs: tuple[dict[int, np.ndarray], list[Dataset]] | None = None,
) -> Dataset:
    """The SEG of `snap`; `inputs` (volume masks, source headers) when already read."""
    arrays, sources = inputs or (_volume_masks(snap, volume), _source_datasets(st, volume))
    frames = [SourceFrame(f.sop_instance_uid, f.frame + 1) for f in volume.frames]
    seg: Dataset = encode_seg(
        sources,
        frames,
        arrays,
        snap.segments,
        series_instance_uid=snap.annotation.seg_series_uid,
        sop_instance_uid=generate_uid(),
        instance_number=number,
        content_creator=by.creator,
        content_description=by.note,
        segmentation_type=segmentation_type,
    )
    return seg


def _volume_mask(volume: Volume, slices: dict[int, bytes]) -> np.ndarray:
    mask = np.zeros((volume.num_slices, volume.rows, volume.columns), dtype=bool)
    for index, data in slices.items():
        if index < volume.num_slices:
            mask[index] = decode_mask(data, volume.rows, volume.columns)
    return mask


def _source_datasets(st: AppState, volume: Volume) -> list[Dataset]:
    paths = dict.fromkeys(f.path for f in volume.frames)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [pydicom.dcmread(st.store.files.absolute(p), stop_before_pixels=True) for p in paths]


def _part10(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@dataclass(frozen=True)
class Written:
    """The files an export wrote: the SEG, and the SR beside it (with its path) if any."""

    seg: Dataset
    path: str
    segmentation_type: SegmentationType
    report: tuple[Dataset, str] | None = None


def _record(
    st: AppState, snap: Snapshot, out: Written, destination: str, user: str, by: Authorship
) -> Export:
    row, seg, path = snap.annotation, out.seg, out.path
    sr, sr_path = out.report if out.report else (None, "")
    painted = sorted({i for slices in snap.masks.values() for i in slices})
    with st.sessions.begin() as session:
        export = outbox.create(
            session,
            row,
            sop_instance_uid=str(seg.SOPInstanceUID),
            series_instance_uid=str(seg.SeriesInstanceUID),
            study_uid=str(seg.StudyInstanceUID),
            instance_number=int(seg.InstanceNumber),
            path=path,
            destination=Destination(destination),
            created_by=user,
            content_creator=by.creator,
            approved_by=by.approved_by,
            segmentation_type=out.segmentation_type,
            sr_sop_instance_uid=str(sr.SOPInstanceUID) if sr else None,
            sr_series_uid=str(sr.SeriesInstanceUID) if sr else None,
            sr_path=sr_path,
        )
        events.on_annotation(
            session,
            row,
            row.id,
            user,
            f"export_{destination}",
            slice=_range(painted),
            labels="; ".join(s.label for s in snap.segments),
            seg_sop_instance_uid=export.sop_instance_uid,
            seg_path=path,
            detail=_detail(by, user, sr, sr_path),
        )
    return export


def _detail(by: Authorship, user: str, sr: Dataset | None, sr_path: str) -> str:
    parts = [f"content creator {by.creator}"] if by.creator != user else []
    if by.approved_by:
        parts.append(f"approved by {by.approved_by}")
    if sr is not None:
        parts.append(f"SR {sr.SOPInstanceUID} {sr_path}")
    return "; ".join(parts)


def _range(indices: list[int]) -> str:
    if not indices:
        return ""
    return str(indices[0]) if len(indices) == 1 else f"{indices[0]}-{indices[-1]}"
