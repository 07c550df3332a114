"""Stage 2 of a SEG build: the painted planes of the masks, in SEG segment order.

Only frames where some segment has a pixel are stored (the SEG omits empty
frames), so the masks are reduced to those planes once, here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from segdicom.errors import BadInput
from segdicom.seg.model import BoolMask, SegmentSpec


@dataclass(frozen=True)
class PaintedPlanes:
    """`stacked` is (planes, rows, columns, segments); plane k is volume frame `indices[k]`."""

    indices: npt.NDArray[np.intp]
    stacked: npt.NDArray[np.bool_]


def painted_planes(
    masks: Mapping[int, npt.NDArray[np.generic]],
    ordered: Sequence[SegmentSpec],
    shape: tuple[int, int, int],
) -> PaintedPlanes:
    """The planes of `masks` (segment number -> array of `shape` (frames, rows, columns))
    where any segment has a pixel; BadInput for unknown segments, wrong shapes or types,
    or nothing painted."""
    checked = _checked_masks(masks, ordered, shape)
    indices = _painted_indices(checked, shape[0])
    return PaintedPlanes(indices, _stack(checked, ordered, indices, shape))


def _checked_masks(
    masks: Mapping[int, npt.NDArray[np.generic]],
    ordered: Sequence[SegmentSpec],
    shape: tuple[int, ...],
) -> dict[int, BoolMask]:
    """Each mask as a bool array of `shape`; BadInput for unknown segments or wrong shapes."""
    known = [spec.number for spec in ordered]
    unknown = sorted(set(masks) - set(known))
    if unknown:
        raise BadInput(f"masks name unknown segment numbers {unknown}; the segments are {known}")
    checked: dict[int, BoolMask] = {}
    for number, mask in masks.items():
        array = np.asarray(mask)
        if array.shape != shape:
            raise BadInput(
                f"mask of segment {number} has shape {array.shape}, "
                f"expected {shape} (frames, rows, columns)"
            )
        checked[int(number)] = _as_bool(number, array)
    return checked


def _as_bool(number: int, array: npt.NDArray[np.generic]) -> BoolMask:
    if array.dtype == np.bool_:
        return array.astype(np.bool_, copy=False)
    if not np.issubdtype(array.dtype, np.integer):
        raise BadInput(f"mask of segment {number} must be boolean, got dtype {array.dtype}")
    nonzero: BoolMask = np.not_equal(array, 0)
    return nonzero


def _painted_indices(checked: Mapping[int, BoolMask], count: int) -> npt.NDArray[np.intp]:
    """Indices of the frames where any segment has a pixel; BadInput when there are none."""
    painted = np.zeros(count, dtype=np.bool_)
    for mask in checked.values():
        painted |= mask.reshape(count, -1).any(axis=1)
    if not painted.any():
        raise BadInput("no segment has any painted pixel; there is nothing to encode")
    return np.flatnonzero(painted)


def _stack(
    checked: Mapping[int, BoolMask],
    ordered: Sequence[SegmentSpec],
    painted: npt.NDArray[np.intp],
    shape: tuple[int, ...],
) -> npt.NDArray[np.bool_]:
    """The painted planes as (planes, rows, columns, segments), segments in SEG order."""
    empty = np.zeros((len(painted), *shape[1:]), dtype=np.bool_)
    planes = [checked[s.number][painted] if s.number in checked else empty for s in ordered]
    stacked: npt.NDArray[np.bool_] = np.stack(planes, axis=-1)
    return stacked
