"""Consensus of a case's readings: STAPLE or majority voting (SimpleITK), as a new annotation.

Runs as a job in a worker thread (like a pull, workflows/retrieve.py); the job's
result names the annotation it made. Each segment is combined on its own, in the
box that holds every reader's voxels of it, so segments may overlap as in the
readings. STAPLE (Warfield et al. 2004) estimates each reader's sensitivity and
specificity and the probability of every voxel; a voxel is in when that is at
least 0.5. Majority: a voxel is in when more than half of the readers painted it
(a tie is out).
"""

import enum
from collections.abc import Callable
from typing import Any

import numpy as np
import SimpleITK as sitk  # noqa: N813
from pydicom.uid import generate_uid

from segdicom.db import annotations as annotation_rows
from segdicom.db import events, jobs, readings
from segdicom.enums import JobKind, JobState
from segdicom.errors import BadInput
from segdicom.imaging.agreement import Cropped
from segdicom.masks import encode_mask
from segdicom.state import AppState
from segdicom.workflows.agreement import DEFAULT_STATES, case_readings, reader_masks
from segdicom.workflows.retrieve import failures_reported
from segdicom.workflows.volumes import load_volume, slice_keys

STAPLE_THRESHOLD = 0.5


class Method(enum.StrEnum):
    STAPLE = "staple"
    MAJORITY = "majority"


def start_consensus(st: AppState, case_id: int, method: Method, who: str) -> str:
    """Check the case has two readings or more, then build the consensus in a job."""
    _, tasks, _ = case_readings(st, case_id, DEFAULT_STATES)
    if len(tasks) < 2:
        raise BadInput(
            f"case {case_id} has {len(tasks)} submitted or approved reading(s); "
            "a consensus needs 2 or more"
        )

    def create() -> str:
        with st.sessions.begin() as session:
            params: dict[str, object] = {"case_id": case_id, "method": str(method)}
            return jobs.create(session, JobKind.CONSENSUS, params, total=len(tasks)).id

    def work(job_id: str) -> None:
        _run(st, job_id, case_id, method, who)

    return st.jobs.start(JobKind.CONSENSUS, f"{case_id}/{method}", create, work)


def _run(st: AppState, job_id: str, case_id: int, method: Method, who: str) -> None:
    def report(**values: Any) -> None:
        with st.sessions.begin() as session:
            jobs.progress(session, job_id, **values)

    with failures_reported(report, f"consensus job {job_id}"):
        report(state=JobState.RUNNING)
        annotation_id = build_consensus(st, case_id, method, who, report)
        result: dict[str, object] = {"annotation_id": annotation_id, "case_id": case_id}
        report(state=JobState.DONE, result=result | {"method": str(method)})


def build_consensus(
    st: AppState, case_id: int, method: Method, who: str, report: Callable[..., None]
) -> int:
    """The new annotation's id, holding every project label's consensus mask, linked to
    its case (workflows/reading_access.py decides who sees it). `report` is told of each
    reading read (the job's progress: `done` of `total` readings)."""
    case, tasks, labels = case_readings(st, case_id, DEFAULT_STATES)
    volume = load_volume(st, case.series_uid)
    readers = []
    for task in tasks:
        readers.append(reader_masks(st, volume, task))
        report(done=len(readers), total=len(tasks))
    combined: dict[int, dict[int, bytes | None]] = {}
    for number in range(1, len(labels) + 1):
        masks = [r.segments.get(number) for r in readers]
        found = combine([m for m in masks if m is not None and not m.empty], len(readers), method)
        combined[number] = _slices(found, (volume.rows, volume.columns))
    keys = slice_keys(volume)
    with st.sessions.begin() as session:
        row = annotation_rows.create(session, case.series_uid, case.study_uid, who, generate_uid())
        row.description = f"{method} consensus of case {case_id}"[:64]
        row.consensus_case_id = case.id  # blinding: the case's readers may not see it
        readings.add_segments(session, row.id, labels)
        for number in range(1, len(labels) + 1):
            annotation_rows.put_masks(session, row.id, number, combined[number], keys)
        annotation_rows.bump_version(session, row.id, None)
        events.append(
            session,
            user=who,
            action="consensus",
            study_uid=case.study_uid,
            series_uid=case.series_uid,
            annotation_id=row.id,
            detail=f"project {case.project_id} case {case_id} {method} of "
            + ", ".join(f"{r.reader} (annotation {r.annotation_id})" for r in readers),
        )
        return row.id


def combine(masks: list[Cropped], readers: int, method: Method) -> Cropped:
    """The consensus of `readers` readers' masks of one segment (those absent painted nothing)."""
    if not masks:
        return Cropped.from_slices({})
    origin, boxes = _common(masks, readers)
    if method is Method.STAPLE:
        images = [sitk.GetImageFromArray(b.astype(np.uint8)) for b in boxes]
        probability = sitk.GetArrayFromImage(sitk.STAPLE(images, 1.0))
        result = probability >= STAPLE_THRESHOLD
    else:
        images = [sitk.GetImageFromArray(b.astype(np.uint8)) for b in boxes]
        # Labels 0 and 1; a tie gets the "undecided" label, here 0 (out).
        result = sitk.GetArrayFromImage(sitk.LabelVoting(images, 0)) == 1
    return Cropped(origin, result)


def _common(masks: list[Cropped], readers: int) -> tuple[tuple[int, int, int], list[np.ndarray]]:
    """Every reader's mask in one box; readers who painted nothing give an empty one."""
    lo = tuple(min(m.origin[i] for m in masks) for i in range(3))
    hi = [max(m.origin[i] + m.array.shape[i] for m in masks) for i in range(3)]
    shape = tuple(h - low for h, low in zip(hi, lo, strict=True))
    boxes = []
    for mask in masks:
        box = np.zeros(shape, dtype=bool)
        s = [mask.origin[i] - lo[i] for i in range(3)]
        n = mask.array.shape
        box[s[0] : s[0] + n[0], s[1] : s[1] + n[1], s[2] : s[2] + n[2]] = mask.array
        boxes.append(box)
    boxes += [np.zeros(shape, dtype=bool) for _ in range(readers - len(masks))]
    return (lo[0], lo[1], lo[2]), boxes


def _slices(mask: Cropped, shape: tuple[int, int]) -> dict[int, bytes | None]:
    """Wire-format masks by slice index of the painted slices."""
    found: dict[int, bytes | None] = {}
    z0, r0, c0 = mask.origin
    for k in range(mask.array.shape[0]):
        layer = mask.array[k]
        if not layer.any():
            continue
        full = np.zeros(shape, dtype=bool)
        full[r0 : r0 + layer.shape[0], c0 : c0 + layer.shape[1]] = layer
        found[z0 + k] = encode_mask(full)
    return found
