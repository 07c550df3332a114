"""Sagittal and coronal reformats of a stored series, on the grid of its geometry.

The stack is built once per series state from the slices (after the modality LUT) and kept in
the slice cache, so a reformat never reads every file. Measured on a 300 x 512 x 512 int16 CT:
the stack is 150 MiB, too much to ship to a browser for two small views; a reformat is
300 x 512 values (300 KiB raw, less with gzip).

A regular series (untilted, even spacing, no gaps) is its own grid: a plane is one numpy slice
of the stack, exactly the source values. Any other series is resampled in patient space
(imaging/resample.py) with a plan kept per series state and axis.
"""

import gzip

import numpy as np

from segdicom.errors import BadInput, NotFound
from segdicom.imaging import Volume
from segdicom.imaging.grid import AXES, Axis, PlaneGrid
from segdicom.imaging.resample import PlanePlan, plan_plane, resample_plane
from segdicom.state import AppState
from segdicom.workflows.volumes import slice_array

__all__ = ["AXES", "Axis", "parse_axis", "plane_grid", "reformat", "reformat_payload", "stack"]


def parse_axis(raw: str) -> Axis:
    for axis in AXES:
        if raw == axis:
            return axis
    raise BadInput(f"axis must be one of {', '.join(AXES)}, got {raw!r}")


def plane_grid(volume: Volume, axis: Axis, index: int) -> PlaneGrid:
    """The grid of `axis`, after checking `index` names one of its planes."""
    grid = volume.grid.axis(axis)
    if not 0 <= index < grid.planes:
        raise NotFound(f"{axis} index {index} is out of range 0-{grid.planes - 1}")
    return grid


def stack(st: AppState, volume: Volume) -> np.ndarray:
    """All slices as one (slices, rows, columns) little-endian array; cached."""
    little = np.dtype(volume.dtype).newbyteorder("<")
    shape = (volume.num_slices, volume.rows, volume.columns)
    key = (volume.series_uid, volume.token, "stack")
    cached = st.cache.slices.get(key)
    if cached is not None:
        return np.frombuffer(cached, dtype=little).reshape(shape)
    with st.cache.lock_for(f"stack:{volume.series_uid}"):
        cached = st.cache.slices.get(key)
        if cached is not None:
            return np.frombuffer(cached, dtype=little).reshape(shape)
        out = np.empty(shape, dtype=little)
        for i in range(volume.num_slices):
            out[i] = slice_array(st, volume, i)
        st.cache.slices.put(key, out.tobytes())
        return out


def _plan(st: AppState, volume: Volume, axis: Axis, data: np.ndarray) -> tuple[PlanePlan, float]:
    """The resampling plan of `axis` and the background (the volume's minimum); cached."""
    key = (volume.series_uid, volume.token, axis)
    cached = st.cache.plans.get(key)
    if cached is not None:
        return cached
    assert volume.orientation is not None  # an irregular grid needs positions
    with st.cache.lock_for(f"plan:{volume.series_uid}"):
        cached = st.cache.plans.get(key)
        if cached is not None:
            return cached
        shape = (volume.rows, volume.columns)
        plan = plan_plane(volume.frames, volume.orientation, shape, volume.grid.axis(axis), axis)
        planned = (plan, float(data.min()))
        st.cache.plans.put(key, planned)
        return planned


def reformat(st: AppState, volume: Volume, axis: Axis, index: int) -> np.ndarray:
    """Plane `index` of `axis`: grid rows (along the normal, first sorted slice first) by grid
    columns, row-major, in the series dtype."""
    plane_grid(volume, axis, index)
    data = stack(st, volume)
    if volume.grid.exact:
        plane = data[:, :, index] if axis == "sagittal" else data[:, index, :]
        return np.ascontiguousarray(plane)
    plan, background = _plan(st, volume, axis, data)
    return resample_plane(data, plan, index, background, volume.dtype)


def reformat_payload(
    st: AppState, volume: Volume, axis: Axis, index: int, compressed: bool
) -> tuple[bytes, int]:
    """(raw little-endian bytes, gzip-compressed if asked; the plane's width in values)."""
    plane = reformat(st, volume, axis, index)
    little = np.dtype(volume.dtype).newbyteorder("<")
    payload = plane.astype(little, copy=False).tobytes()
    if compressed:
        payload = gzip.compress(payload, compresslevel=1, mtime=0)
    return payload, int(plane.shape[1])
