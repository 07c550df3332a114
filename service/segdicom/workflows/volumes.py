"""Volumes of stored series, built once per series state and cached."""

import gzip
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from pydicom.dataset import Dataset

from segdicom.db import instances as index
from segdicom.errors import BadInput, Conflict, NotFound
from segdicom.imaging import Volume, build_volume, read_header, read_slice
from segdicom.state import AppState

STATE_RECHECK_SECONDS = 1.0


def load_volume(st: AppState, series_uid: str) -> Volume:
    """The volume of a stored series; rebuilt when instances were added since."""
    key = _series_key(st, series_uid)
    cached = st.cache.volumes.get(key)
    if isinstance(cached, Volume):
        return cached
    with st.cache.lock_for(series_uid):
        cached = st.cache.volumes.get(key)
        if isinstance(cached, Volume):
            return cached
        with st.sessions() as session:
            rows = [i for i in index.instances_of_series(session, series_uid) if i.is_image]
        if not rows:
            raise NotFound(f"series {series_uid} holds no images (only non-image objects)")
        headers = [(r.path, _header(st, r.path, r.received_at)) for r in rows]
        volume = build_volume(series_uid, headers, st.settings.max_slices_per_series)
        volume = replace(volume, token=f"{key[1]}-{key[2]}")
        st.cache.volumes.discard(lambda k: isinstance(k, tuple) and k[0] == series_uid)
        st.cache.volumes.put(key, volume)
        return volume


def _series_key(st: AppState, series_uid: str) -> tuple[str, int, str]:
    checked = st.cache.checked.get(series_uid)
    now = time.monotonic()
    if checked is not None and now - checked[1] < STATE_RECHECK_SECONDS:
        return checked[0]  # type: ignore[return-value]
    st.store.flush()  # instances acknowledged a moment ago belong to the volume
    with st.sessions() as session:
        count, latest = index.series_state(session, series_uid)
    if count == 0:
        raise NotFound(f"series {series_uid} is not in the local store")
    key = (series_uid, count, latest)
    st.cache.checked[series_uid] = (key, now)
    return key


def _header(st: AppState, path: str, received_at: object) -> Dataset:
    cache_key = st.cache.header_key(path, received_at)
    cached = st.cache.headers.get(cache_key)
    if isinstance(cached, Dataset):
        return cached
    header = read_header(st.store.files.absolute(path))
    st.cache.headers.put(cache_key, header)
    return header


def slice_keys(volume: Volume) -> tuple[tuple[str, int], ...]:
    """The source of each slice by index, (SOP Instance UID, 1-based frame number):
    what a stored mask is pinned to, since indexes shift when instances arrive."""
    return tuple((f.sop_instance_uid, f.frame + 1) for f in volume.frames)


def check_index(volume: Volume, slice_index: int) -> None:
    if not 0 <= slice_index < volume.num_slices:
        raise NotFound(
            f"slice {slice_index} is out of range: series {volume.series_uid} "
            f"has slices 0-{volume.num_slices - 1}"
        )


def check_pin(
    st: AppState, series_uid: str, slice_index: int, point: Sequence[float] | None
) -> None:
    """BadInput when a comment's pin, a slice and maybe a point [row, column] on it, is
    outside the series' images; Conflict when the series is not held to tell."""
    try:
        volume = load_volume(st, series_uid)
    except NotFound as exc:
        raise Conflict(f"a pin on a slice needs the series' images: {exc.detail}") from None
    count = volume.num_slices
    if slice_index >= count:
        raise BadInput(
            f"`slice` must be within 0-{count - 1} (the series' slices), got {slice_index}"
        )
    if point is not None and not (point[0] < volume.rows and point[1] < volume.columns):
        raise BadInput(
            f"`point` must lie on the {volume.rows}x{volume.columns} image: row < {volume.rows}, "
            f"column < {volume.columns}, got [{point[0]:g}, {point[1]:g}]"
        )


def slice_array(st: AppState, volume: Volume, slice_index: int) -> np.ndarray:
    check_index(volume, slice_index)
    return read_slice(volume, slice_index, st.store.files.absolute)


def slice_payload(st: AppState, volume: Volume, slice_index: int, compressed: bool) -> bytes:
    """The slice as raw little-endian bytes, gzip-compressed if asked; cached."""
    key = (volume.series_uid, volume.token, slice_index, compressed)
    cached = st.cache.slices.get(key)
    if cached is not None:
        return cached
    little = np.dtype(volume.dtype).newbyteorder("<")
    payload = slice_array(st, volume, slice_index).astype(little, copy=False).tobytes()
    if compressed:
        # Level 1: most of the gain of gzip on medical images at a fraction of the time.
        payload = gzip.compress(payload, compresslevel=1, mtime=0)
    st.cache.slices.put(key, payload)
    return payload


def middle_sample(st: AppState, volume: Volume) -> np.ndarray:
    return slice_array(st, volume, volume.num_slices // 2)
