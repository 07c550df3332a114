"""The original SegDICOM API (volume_id, JSON slices and masks) on the new internals.

A legacy "volume" is a stored series (volume_id = Series Instance UID). Masks are
flat lists of rows x columns integers: 0 is background, n is segment n. The
original API had no versions, so a legacy save is last-writer-wins on the series' newest
annotation, and (as the original did) every save writes a SEG.
"""

from typing import Any

import numpy as np
from pydicom.uid import generate_uid

from segdicom.auth.identity import Identity
from segdicom.db import annotations as repo
from segdicom.db import events
from segdicom.db.models import Annotation
from segdicom.errors import BadInput, Conflict, Forbidden
from segdicom.imaging import Volume
from segdicom.masks import decode_mask, encode_mask
from segdicom.seg.codes import codes_for_label, default_color
from segdicom.state import AppState
from segdicom.workflows.exports import export_annotation
from segdicom.workflows.reading_access import check_annotation_access, hidden_from
from segdicom.workflows.volumes import check_index, load_volume, slice_array, slice_keys

MAX_SEED_SEGMENTS = 255


def legacy_slice(st: AppState, volume_id: str, index: int, who: Identity) -> dict[str, Any]:
    volume = load_volume(st, volume_id)
    values = slice_array(st, volume, index)
    with st.sessions() as session:
        visible = _visible(session, volume_id, who)
        annotation = visible[-1] if visible else None
        labels, mask = {}, None
        if annotation is not None:
            labels = {str(s.number): s.label for s in annotation.segments}
            masks = repo.masks_of(session, annotation.id, slice_keys(volume))
            mask = _label_map(volume, masks, index)
    return {
        "pixel_data": _windowed(volume, values).ravel().tolist(),
        "rows": volume.rows,
        "columns": volume.columns,
        "num_frames": volume.num_slices,
        "mask": None if mask is None else mask.ravel().tolist(),
        "labels": labels,
    }


def _windowed(volume: Volume, values: np.ndarray) -> np.ndarray:
    """8-bit display values with the first header window (or an automatic one)."""
    window = volume.windows(values)[0]
    low = window.center - window.width / 2
    scaled = (values.astype(np.float32) - low) / max(window.width, 1e-6) * 255.0
    shown = np.clip(scaled, 0, 255).astype(np.uint8)
    inverted: np.ndarray = 255 - shown
    return inverted if volume.invert else shown


def _label_map(volume: Volume, masks: dict[int, dict[int, bytes]], index: int) -> np.ndarray | None:
    found = None
    for number in sorted(masks):
        data = masks[number].get(index)
        if data is None:
            continue
        if found is None:
            found = np.zeros((volume.rows, volume.columns), dtype=np.int32)
        found[decode_mask(data, volume.rows, volume.columns)] = number
    return found


def legacy_save(
    st: AppState, volume_id: str, index: int, body: dict[str, Any], who: Identity
) -> dict[str, Any]:
    volume = load_volume(st, volume_id)
    check_index(volume, index)  # 404, like every other slice read or write
    label_map = _parse_mask(body.get("mask"), volume)
    labels = _parse_labels(body.get("labels"))
    user = who.username
    target = _newest_writable(st, volume_id, who)
    annotation_id = _write(st, volume, index, label_map, labels, user, target)
    export = export_annotation(st, annotation_id, "local", user) if label_map.any() else None
    return {
        "message": f"Mask saved for slice {index}" + (" and SEG written" if export else ""),
        "annotation_id": annotation_id,
        "seg": None
        if export is None
        else {
            "export_id": export.id,
            "sop_instance_uid": export.sop_instance_uid,
            "path": export.path,
            "file_url": f"/api/exports/{export.id}/file",
        },
    }


def _parse_mask(raw: object, volume: Volume) -> np.ndarray:
    expected = volume.rows * volume.columns
    if not isinstance(raw, list):
        raise BadInput("mask must be a list of rows x columns integers")
    flat = raw if not raw or not isinstance(raw[0], list) else [v for row in raw for v in row]
    if len(flat) != expected:
        raise BadInput(
            f"mask size mismatch: expected {volume.rows}x{volume.columns} = {expected} "
            f"values, got {len(flat)}"
        )
    try:
        values = np.asarray(flat, dtype=np.int64).reshape(volume.rows, volume.columns)
    except (TypeError, ValueError):
        raise BadInput("mask values must be integers") from None
    if values.min(initial=0) < 0 or values.max(initial=0) > MAX_SEED_SEGMENTS:
        raise BadInput(f"mask values must be 0-{MAX_SEED_SEGMENTS}")
    return values


def _parse_labels(raw: object) -> dict[int, str]:
    if raw is None:
        return {}
    if isinstance(raw, list):
        pairs = list(enumerate(raw, 1))
    elif isinstance(raw, dict):
        pairs = [(_int_key(k), v) for k, v in raw.items()]
    else:
        raise BadInput("labels must be a list or an object {segment number: label}")
    return {number: str(label)[:64] for number, label in pairs if str(label).strip()}


def _int_key(key: object) -> int:
    try:
        return int(str(key))
    except ValueError:
        raise BadInput(f"labels keys must be segment numbers, got {key!r}") from None


def _write(
    st: AppState,
    volume: Volume,
    index: int,
    label_map: np.ndarray,
    labels: dict[int, str],
    user: str,
    target: int | None,
) -> int:
    numbers = {int(v) for v in np.unique(label_map) if v}
    with st.sessions.begin() as session:
        if target is None:
            annotation = repo.create(
                session, volume.series_uid, volume.study_uid, user, generate_uid()
            )
        else:
            annotation = repo.get(session, target)
        existing = {s.number: s for s in annotation.segments}
        for number in sorted(numbers | set(labels)):
            label = labels.get(number) or (
                existing[number].label if number in existing else f"Segment {number}"
            )
            category, kind = codes_for_label(label)
            color = existing[number].color if number in existing else default_color(number)
            fields = repo.SegmentFields(
                label=label,
                color=color,
                category=(category.value, category.scheme, category.meaning),
                type=(kind.value, kind.scheme, kind.meaning),
            )
            repo.put_segment(session, annotation.id, number, fields)
        session.flush()
        # First, so that concurrent saves to this annotation queue on its row lock.
        repo.bump_version(session, annotation.id, None)
        keys = slice_keys(volume)
        for number in numbers | set(existing):
            mask = label_map == number
            data = encode_mask(mask) if mask.any() else None
            repo.put_mask(session, annotation.id, number, index, data, keys)
        events.on_annotation(
            session,
            volume,
            annotation.id,
            user,
            "save_mask",
            slice=str(index),
            labels="; ".join(labels.get(n, f"Segment {n}") for n in sorted(numbers)),
        )
        return annotation.id


def _visible(session: Any, series_uid: str, who: Identity) -> list[Annotation]:
    """The series' annotations `who` may see, oldest first."""
    rows = repo.list_for_series(session, series_uid)
    hidden = hidden_from(session, who, [r.id for r in rows])
    return [r for r in rows if r.id not in hidden]


def _newest_writable(st: AppState, series_uid: str, who: Identity) -> int | None:
    """The newest annotation of the series `who` may change (not another reader's
    reading, not a submitted one); None: the save makes a new annotation of theirs."""
    with st.sessions() as session:
        ids = [a.id for a in _visible(session, series_uid, who)]
    for annotation_id in reversed(ids):
        try:
            check_annotation_access(st, who, annotation_id, write=True)
        except (Forbidden, Conflict):
            continue
        return annotation_id
    return None
