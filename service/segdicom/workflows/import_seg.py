"""Reopen a SEG: list the SEGs that reference a series, import one as an annotation.

Any SEG (ours, dcmqi's, highdicom's; binary, fractional, label map, overlapping
segments) is decoded by `seg.decode`, its frames are matched to the slices of
the source series' volume (by source SOP Instance UID and frame, else by
position), and it becomes a new annotation with the same segments and masks.
"""

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from segdicom.db import annotations as repo
from segdicom.db import events
from segdicom.db import instances as held_index
from segdicom.enums import Destination
from segdicom.errors import NotFound, Unprocessable
from segdicom.imaging import Volume
from segdicom.masks import encode_mask
from segdicom.seg.decode import decode_seg
from segdicom.seg.describe import SegDescription, describe_seg, referenced_series
from segdicom.seg.model import BoolMask, DecodedSeg, SegmentSpec
from segdicom.state import AppState
from segdicom.workflows.volumes import load_volume, slice_keys

SEG_CLASSES = ("1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.66.7")
SliceMasks = dict[int, dict[int, BoolMask]]  # segment number -> slice index -> mask


@dataclass(frozen=True)
class Imported:
    annotation_id: int
    slices: int  # (segment, slice) masks written
    unmatched_frames: int  # SEG frames that fall on no slice of the volume
    notes: tuple[str, ...] = ()  # how the SEG was read (a FRACTIONAL SEG made binary)


def read_seg(st: AppState, sop_instance_uid: str) -> Dataset:
    """A SEG of the local store, read whole; NotFound/Unprocessable say why not."""
    with st.sessions() as session:
        row = held_index.get(session, sop_instance_uid)
        path = row.path if row else None
        sop_class = row.sop_class_uid if row else ""
    if path is None:
        raise NotFound(
            f"SEG {sop_instance_uid} is not in the local store: retrieve its series first"
        )
    if sop_class not in SEG_CLASSES:
        raise Unprocessable(f"instance {sop_instance_uid} is not a SEG (SOP class {sop_class})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(st.store.files.absolute(path))


def import_seg(st: AppState, sop_instance_uid: str, user: str) -> Imported:
    """Create an annotation holding the segments and masks of a stored SEG."""
    return import_decoded(st, decode_seg(read_seg(st, sop_instance_uid)), user)


def import_decoded(st: AppState, decoded: DecodedSeg, user: str) -> Imported:
    """Create an annotation from a decoded SEG whose source series is held locally."""
    volume = _source_volume(st, decoded)
    masks, unmatched = place_masks(decoded, volume)
    if not any(masks.values()):
        why = ", ".join(sorted({e.reason.value for e in volume.excluded}))
        hint = f"; it may be painted on images the volume leaves out ({why})" if why else ""
        raise Unprocessable(
            f"SEG {decoded.sop_instance_uid}: none of its frames falls on a slice of series "
            f"{volume.series_uid}{hint}"
        )
    annotation_id = _write(st, decoded, volume, masks, user)
    return Imported(annotation_id, _count(masks), unmatched, decoded.notes)


def source_series_uid(decoded: DecodedSeg) -> str:
    """The series the SEG segments (the one its masks are placed on), or Unprocessable."""
    if not decoded.referenced_series_uid:
        raise Unprocessable(
            f"SEG {decoded.sop_instance_uid} names no source series (ReferencedSeriesSequence)"
        )
    return decoded.referenced_series_uid


def _source_volume(st: AppState, decoded: DecodedSeg) -> Volume:
    series_uid = source_series_uid(decoded)
    with st.sessions() as session:
        held = held_index.study_of_series(session, series_uid) is not None
    if not held:
        raise NotFound(
            f"the source series {series_uid} of SEG {decoded.sop_instance_uid} is not in the "
            "local store: retrieve or upload it first"
        )
    return load_volume(st, series_uid)


def place_masks(decoded: DecodedSeg, volume: Volume) -> tuple[SliceMasks, int]:
    """The SEG's masks per segment and slice index; and how many frames matched no slice."""
    by_frame = {(f.sop_instance_uid, f.frame + 1): i for i, f in enumerate(volume.frames)}
    by_position = {_rounded(f.position): i for i, f in enumerate(volume.frames) if f.position}
    placed: SliceMasks = {s.number: {} for s in decoded.segments}
    unmatched = 0
    keyed: list[tuple[int | None, dict[int, BoolMask]]] = [
        (by_frame.get((k.sop_instance_uid, k.frame_number)), v) for k, v in decoded.masks.items()
    ]
    keyed += [(by_position.get(k), v) for k, v in decoded.plane_positions.items()]
    for index, masks in keyed:
        if index is None:
            unmatched += 1
            continue
        for number, mask in masks.items():
            _check_shape(decoded, volume, mask)
            slices = placed.setdefault(number, {})
            slices[index] = slices[index] | mask if index in slices else mask
    return placed, unmatched


def _rounded(position: Any) -> tuple[float, float, float]:
    x, y, z = (round(float(v), 4) for v in position)
    return (x, y, z)


def _check_shape(decoded: DecodedSeg, volume: Volume, mask: np.ndarray) -> None:
    if mask.shape != (volume.rows, volume.columns):
        raise Unprocessable(
            f"SEG {decoded.sop_instance_uid} frames are {mask.shape[0]}x{mask.shape[1]}, "
            f"series {volume.series_uid} slices are {volume.rows}x{volume.columns}"
        )


def _write(st: AppState, decoded: DecodedSeg, volume: Volume, masks: SliceMasks, user: str) -> int:
    with st.sessions.begin() as session:
        row = repo.create(session, volume.series_uid, volume.study_uid, user, generate_uid())
        for spec in decoded.segments:
            repo.put_segment(session, row.id, spec.number, _fields(spec))
        session.flush()
        keys = slice_keys(volume)
        for number, slices in masks.items():
            data = {i: encode_mask(m) for i, m in slices.items() if m.any()}
            if data:
                repo.put_masks(session, row.id, number, data, keys)
        events.on_annotation(
            session,
            volume,
            row.id,
            user,
            "import_seg",
            labels="; ".join(s.label for s in decoded.segments),
            seg_sop_instance_uid=decoded.sop_instance_uid,
            detail="; ".join(decoded.notes),
        )
        return int(row.id)


def _fields(spec: SegmentSpec) -> repo.SegmentFields:
    c, t = spec.category, spec.type
    return repo.SegmentFields(
        label=spec.label,
        color=spec.color,
        category=(c.value, c.scheme, c.meaning),
        type=(t.value, t.scheme, t.meaning),
    )


def _count(masks: SliceMasks) -> int:
    return sum(1 for slices in masks.values() for m in slices.values() if m.any())


# -- SEGs in the local store that reference a series --------------------------------


def local_segs(st: AppState, series_uid: str) -> list[SegDescription]:
    """SEG instances of the local store whose ReferencedSeriesSequence names `series_uid`."""
    with st.sessions() as session:
        study_uid = held_index.study_of_series(session, series_uid)
        paths = held_index.paths_of_class(session, SEG_CLASSES, study_uid)
    found: list[SegDescription] = []
    for path in paths:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(st.store.files.absolute(path), stop_before_pixels=True)
        if series_uid in referenced_series(ds):
            found.append(describe_seg(ds, Destination.LOCAL))
    return found
