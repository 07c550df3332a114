"""Segmentation Type of an exported SEG, and the LABELMAP rule that segments do not overlap.

PS3.3 C.8.20.2.3 (Supplement 243): a LABELMAP SEG (Label Map Segmentation
Storage, 1.2.840.10008.5.1.4.1.1.66.7) stores one frame per plane whose pixel
values are segment numbers, so a pixel belongs to at most one segment. A BINARY
SEG stores one frame per segment and plane and allows overlaps.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from itertools import combinations

import highdicom as hd
import numpy as np
import numpy.typing as npt

from segdicom.errors import BadInput, Unprocessable
from segdicom.seg.model import BoolMask


class SegmentationType(StrEnum):
    """What an export writes: `binary` (overlaps allowed) or `labelmap` (Supplement 243)."""

    BINARY = "binary"
    LABELMAP = "labelmap"

    @classmethod
    def parse(cls, value: object) -> SegmentationType:
        """The type named by `value`; BadInput naming the choices otherwise."""
        if isinstance(value, str) and value.lower() in cls._value2member_map_:
            return cls(value.lower())
        choices = ", ".join(repr(t.value) for t in cls)
        raise BadInput(f"segmentation_type must be one of {choices}, got {value!r:.80}")

    def to_highdicom(self) -> hd.seg.SegmentationTypeValues:
        if self is SegmentationType.LABELMAP:
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


def check_no_overlap(masks: Mapping[int, BoolMask], names: Mapping[int, str]) -> None:
    """Raise SegmentsOverlap for the first pair of segments sharing a pixel.

    `masks` maps a segment number to its (slices, rows, columns) mask and
    `names` a number to its label; the error names both segments ("1 (Liver)")
    and the first slice index where they meet.
    """
    for first, second in combinations(sorted(masks), 2):
        planes = _overlap_planes(masks[first], masks[second])
        if planes.size:
            index = int(planes[0])
            pixels = int(np.count_nonzero(masks[first][index] & masks[second][index]))
            name_a, name_b = (f"{n} ({names.get(n, '?')})" for n in (first, second))
            raise SegmentsOverlap(name_a, name_b, index, pixels)


def _overlap_planes(a: BoolMask, b: BoolMask) -> npt.NDArray[np.intp]:
    """Indices of the planes where `a` and `b` both hold a pixel (cheap planes first)."""
    both = a.reshape(len(a), -1).any(axis=1) & b.reshape(len(b), -1).any(axis=1)
    found = [i for i in np.flatnonzero(both) if np.logical_and(a[i], b[i]).any()]
    return np.array(found, dtype=np.intp)
