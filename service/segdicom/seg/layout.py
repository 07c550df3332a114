"""Stage 4 of a SEG build: the painted planes placed for highdicom.

Single-frame slices: one plane per painted slice, in the order of the source
images. One enhanced image: one plane per frame of the image (frame i of the
array is frame i + 1 of the source). Several enhanced images, or one whose
frames repeat positions: the planes are placed by explicit plane positions, and
`pinned` says which source frame each position was painted on
(`references.pin_source_references` writes that into the SEG).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from highdicom import CoordinateSystemNames, PlanePositionSequence
from pydicom.dataset import Dataset

from segdicom.errors import BadInput
from segdicom.seg.frames import (
    Position,
    ResolvedFrames,
    SourceKind,
    frame_position,
    number_of_frames,
    position_key,
)
from segdicom.seg.headers import SourceHeaders
from segdicom.seg.model import SourceFrame
from segdicom.seg.planes import PaintedPlanes

Pinned = dict[Position, tuple[Dataset, SourceFrame]]


@dataclass(frozen=True, slots=True)
class Layout:
    """highdicom arguments for one SEG, plus the references to pin after it is built."""

    source_images: list[Dataset]
    further_source_images: list[Dataset]
    pixel_array: npt.NDArray[np.bool_]
    plane_positions: list[PlanePositionSequence] | None = None
    pinned: Pinned | None = None


def lay_out(resolved: ResolvedFrames, headers: SourceHeaders, painted: PaintedPlanes) -> Layout:
    """The layout of the painted planes over the sources' headers."""
    if resolved.kind is SourceKind.SINGLE_FRAME:
        return Layout(headers.primary, headers.further, painted.stacked)
    if resolved.kind is SourceKind.MULTIFRAME:
        return _multiframe(resolved, headers, painted)
    return _by_position(resolved, headers, painted)


def _multiframe(resolved: ResolvedFrames, headers: SourceHeaders, painted: PaintedPlanes) -> Layout:
    stacked = painted.stacked
    planes = np.zeros((number_of_frames(resolved.datasets[0]), *stacked.shape[1:]), dtype=np.bool_)
    planes[[resolved.frames[i].frame_number - 1 for i in painted.indices]] = stacked
    return Layout(headers.primary, [], planes)


def _by_position(
    resolved: ResolvedFrames, headers: SourceHeaders, painted: PaintedPlanes
) -> Layout:
    pinned: Pinned = {}
    positions: list[PlanePositionSequence] = []
    for i in painted.indices:
        frame = resolved.frames[i]
        position = frame_position(resolved.datasets[i], frame.frame_number)
        key = position_key(position)
        if key in pinned:
            raise BadInput(
                f"frames {pinned[key][1]} and {frame} are painted at the same position "
                f"{position}; a SEG plane holds one source frame"
            )
        pinned[key] = (resolved.datasets[i], frame)
        positions.append(PlanePositionSequence(CoordinateSystemNames.PATIENT, position))
    return Layout(headers.primary, headers.further, painted.stacked, positions, pinned)
