"""Segmentation Type of an exported SEG, and the LABELMAP rule that segments do not overlap.

PS3.3 C.8.20.2.3 (Supplement 243): a LABELMAP SEG (Label Map Segmentation
Storage, 1.2.840.10008.5.1.4.1.1.66.7) stores one frame per plane whose pixel
values are segment numbers, so a pixel belongs to at most one segment. A BINARY
SEG stores one frame per segment and plane and allows overlaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import highdicom as hd
import numpy as np

from segdicom.enums import SegmentationType
from segdicom.errors import Unprocessable
from segdicom.seg.model import SegmentSpec
from segdicom.seg.planes import PaintedPlanes

__all__ = ["SegmentationType", "SegmentsOverlap", "check_no_overlap", "to_highdicom"]


def to_highdicom(segmentation_type: SegmentationType) -> hd.seg.SegmentationTypeValues:
    if segmentation_type is SegmentationType.LABELMAP:
        return hd.seg.SegmentationTypeValues.LABELMAP
    return hd.seg.SegmentationTypeValues.BINARY


class SegmentsOverlap(Unprocessable):
    """Two segments share a pixel, so they cannot go into one LABELMAP SEG (HTTP 422)."""

    def __init__(self, first: str, second: str, slice_index: int, pixels: int) -> None:
        super().__init__(
            f"segments {first} and {second} overlap on slice {slice_index} ({pixels} pixels); "
            "a LABELMAP SEG holds one segment per pixel: remove the overlap or export as binary"
        )
        self.segments = (first, second)
        self.slice_index = slice_index
        self.pixels = pixels


def check_no_overlap(painted: PaintedPlanes, ordered: Sequence[SegmentSpec]) -> None:
    """Raise SegmentsOverlap for the first plane where two segments share a pixel.

    `painted.stacked` holds the segments of `ordered` along its last axis; the
    error names both segments ("1 (Liver)") and the volume slice where they meet.
    """
    counts = painted.stacked.sum(axis=3, dtype=np.uint16)
    shared = (counts > 1).reshape(len(counts), -1).any(axis=1)
    if not shared.any():
        return
    plane = int(np.flatnonzero(shared)[0])
    stack = painted.stacked[plane]
    for a, b in combinations(range(len(ordered)), 2):
        pixels = int(np.count_nonzero(stack[..., a] & stack[..., b]))
        if pixels:
            name_a, name_b = (f"{s.number} ({s.label})" for s in (ordered[a], ordered[b]))
            raise SegmentsOverlap(name_a, name_b, int(painted.indices[plane]), pixels)
