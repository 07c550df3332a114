"""Agreement of a project's readers, per case, segment and reader pair; consensus masks."""

import itertools
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from segdicom.db import annotations as annotation_rows
from segdicom.db import projects as repo
from segdicom.db import readings
from segdicom.db.models import Case, Task
from segdicom.enums import TaskState
from segdicom.imaging import Volume
from segdicom.imaging.agreement import Cropped, Geometry, compare
from segdicom.masks import decode_mask
from segdicom.state import AppState
from segdicom.workflows.volumes import load_volume, slice_keys

COLUMNS = (
    "project_id",
    "case_id",
    "series_uid",
    "segment_number",
    "label",
    "reader_a",
    "reader_b",
    "dice",
    "hd95_mm",
    "volume_a_ml",
    "volume_b_ml",
    "volume_difference_ml",
)
DEFAULT_STATES = (TaskState.SUBMITTED, TaskState.APPROVED)


def geometry_of(volume: Volume) -> Geometry:
    """The volume's per-slice positions and orientation (a regular grid when absent)."""
    frames = volume.frames
    if volume.orientation is None or any(f.position is None for f in frames):
        return Geometry.regular(volume.num_slices, volume.spacing)
    orientation = np.asarray(volume.orientation, dtype=float)
    positions = np.asarray([f.position for f in frames], dtype=float)
    thickness = volume.slice_thicknesses()
    return Geometry(positions, orientation[:3], orientation[3:], volume.spacing[:2], thickness)


@dataclass(frozen=True)
class ReaderMasks:
    reader: str
    annotation_id: int
    segments: dict[int, Cropped]  # segment number -> mask


def reader_masks(st: AppState, volume: Volume, task: Task) -> ReaderMasks:
    """One reading's masks, decoded slice by slice into boxes around what is painted."""
    assert task.annotation_id is not None
    with st.sessions() as session:
        stored = annotation_rows.masks_of(session, task.annotation_id, slice_keys(volume))
    segments = {
        number: Cropped.from_parts(painted_parts(slices, volume.rows, volume.columns))
        for number, slices in stored.items()
    }
    return ReaderMasks(task.reader, task.annotation_id, segments)


def painted_parts(
    slices: dict[int, bytes], rows: int, columns: int
) -> dict[int, tuple[int, int, np.ndarray]]:
    """Slice index -> (first row, first column, mask) of the painted part of each slice.

    The wire format packs each row in whole bytes when `columns` is a multiple of 8: the
    painted rows and byte columns are found in the packed bytes, and only they are unpacked.
    """
    parts = {}
    for index, data in slices.items():
        part = _painted(data, rows, columns)
        if part is not None:
            parts[index] = part
    return parts


def _painted(data: bytes, rows: int, columns: int) -> tuple[int, int, np.ndarray] | None:
    packed = np.frombuffer(zlib.decompress(data), dtype=np.uint8)
    if columns % 8 or packed.size != rows * columns // 8:
        mask = decode_mask(data, rows, columns)
        found = Cropped.from_slices({0: mask})
        return None if found.empty else (found.origin[1], found.origin[2], found.array[0])
    grid = packed.reshape(rows, columns // 8)
    used_rows = np.flatnonzero(grid.any(axis=1))
    if used_rows.size == 0:
        return None
    r0, r1 = int(used_rows[0]), int(used_rows[-1]) + 1
    used_bytes = np.flatnonzero(grid[r0:r1].any(axis=0))
    b0, b1 = int(used_bytes[0]), int(used_bytes[-1]) + 1
    bits = np.unpackbits(grid[r0:r1, b0:b1], axis=1).astype(bool)
    return r0, 8 * b0, bits


def case_readings(
    st: AppState, case_id: int, states: Sequence[str]
) -> tuple[Case, list[Task], list[dict[str, object]]]:
    with st.sessions() as session:
        case = repo.get_case(session, case_id)
        tasks = [
            t
            for t in readings.tasks_of_case(session, case_id)
            if t.state in states and t.annotation_id is not None
        ]
        labels = list(repo.get_project(session, case.project_id).labels)
    return case, tasks, labels


def case_rows(st: AppState, case_id: int, states: Sequence[str]) -> Iterator[tuple[object, ...]]:
    """CSV rows (COLUMNS) of one case: every project label x every pair of its readers."""
    case, tasks, labels = case_readings(st, case_id, states)
    if len(tasks) < 2:
        return
    volume = load_volume(st, case.series_uid)
    geometry = geometry_of(volume)
    readers = [reader_masks(st, volume, t) for t in tasks]
    empty = Cropped.from_slices({})
    for number, label in enumerate(labels, 1):
        for a, b in itertools.combinations(readers, 2):
            found = compare(a.segments.get(number, empty), b.segments.get(number, empty), geometry)
            yield (
                case.project_id,
                case.id,
                case.series_uid,
                number,
                label["label"],
                a.reader,
                b.reader,
                found.dice,
                found.hd95_mm,
                found.volume_a_ml,
                found.volume_b_ml,
                found.volume_difference_ml,
            )


def project_rows(
    st: AppState, project_id: int, states: Sequence[str] = DEFAULT_STATES
) -> Iterator[tuple[object, ...]]:
    with st.sessions() as session:
        cases = [c.id for c in repo.cases_of(session, project_id)]
    for case_id in cases:
        yield from case_rows(st, case_id, states)
