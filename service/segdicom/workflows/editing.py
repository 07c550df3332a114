"""An annotation's stored masks, read at once for the editor's volume operations."""

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from segdicom.db import annotations as repo
from segdicom.db.models import Segment
from segdicom.enums import SegmentStatus
from segdicom.imaging import Volume
from segdicom.imaging.editing import Box
from segdicom.masks import unpack_stored
from segdicom.state import AppState
from segdicom.workflows import volumes


@dataclass(frozen=True)
class SegmentInfo:
    number: int
    label: str
    color: str
    fields: repo.SegmentFields


@dataclass(frozen=True)
class StoredMasks:
    """One annotation's segments and wire-format masks (segment -> slice index -> bytes)
    as of `version`, placed on the series' current `volume`."""

    annotation_id: int
    series_uid: str
    study_uid: str
    version: int
    volume: Volume
    segments: dict[int, SegmentInfo]
    masks: dict[int, dict[int, bytes]]
    _unpacked: dict[int, dict[int, np.ndarray]] = field(default_factory=dict, repr=False)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.volume.num_slices, self.volume.rows, self.volume.columns)

    def slices_of(self, number: int) -> dict[int, np.ndarray]:
        """Segment `number` as slice index -> (rows, columns) bool mask, painted slices only
        (unpacked once; do not modify)."""
        found = self._unpacked.get(number)
        if found is None:
            rows, columns = self.volume.rows, self.volume.columns
            stored = self.masks.get(number, {})
            found = {k: unpack_stored(d, rows, columns) for k, d in stored.items()}
            self._unpacked[number] = found
        return found

    def box_of(self, numbers: Iterable[int]) -> Box | None:
        """The bounding box of the painted voxels of `numbers` (None: nothing painted)."""
        lows, highs = [], []
        for number in numbers:
            for k, mask in self.slices_of(number).items():
                rows = np.flatnonzero(mask.any(axis=1))
                if rows.size:
                    columns = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
                    lows.append((k, rows[0], columns[0]))
                    highs.append((k, rows[-1], columns[-1]))
        if not lows:
            return None
        lo, hi = np.min(lows, axis=0), np.max(highs, axis=0)
        return tuple(slice(int(a), int(b) + 1) for a, b in zip(lo, hi, strict=True))  # type: ignore[return-value]

    def crop(self, number: int, box: Box) -> np.ndarray:
        """Segment `number` within `box` as a bool array of the box's shape."""
        k_box, r_box, c_box = box
        out = np.zeros(box_shape(box), dtype=bool)
        for k, mask in self.slices_of(number).items():
            if k_box.start <= k < k_box.stop:
                out[k - k_box.start] = mask[r_box, c_box]
        return out


def box_shape(box: Box) -> tuple[int, int, int]:
    return tuple(s.stop - s.start for s in box)  # type: ignore[return-value]


def full_box(shape: tuple[int, int, int]) -> Box:
    return tuple(slice(0, n) for n in shape)  # type: ignore[return-value]


def grow_box(box: Box, pad: Iterable[int], shape: tuple[int, int, int]) -> Box:
    """`box` grown by `pad` voxels per axis, within an array of `shape`."""
    return tuple(  # type: ignore[return-value]
        slice(max(0, s.start - p), min(n, s.stop + p))
        for s, p, n in zip(box, pad, shape, strict=True)
    )


def read_masks(
    st: AppState, annotation_id: int, numbers: Iterable[int] | None = None
) -> StoredMasks:
    """The annotation's segments and the masks of `numbers` (all segments when None)."""
    with st.sessions() as session:
        series_uid = repo.get(session, annotation_id).series_uid
    volume = volumes.load_volume(st, series_uid)
    with st.sessions() as session:
        row = repo.get(session, annotation_id)
        segments = {s.number: _info(s) for s in row.segments}
        keys = volumes.slice_keys(volume)
        found = repo.masks_of(
            session, annotation_id, keys, None if numbers is None else set(numbers)
        )
        return StoredMasks(
            annotation_id=annotation_id,
            series_uid=row.series_uid,
            study_uid=row.study_uid,
            version=row.version,
            volume=volume,
            segments=segments,
            masks=found,
        )


def _info(row: Segment) -> SegmentInfo:
    fields = repo.SegmentFields(
        label=row.label,
        color=row.color,
        category=(row.category_code, row.category_scheme, row.category_meaning),
        type=(row.type_code, row.type_scheme, row.type_meaning),
        status=SegmentStatus(row.status),
    )
    return SegmentInfo(row.number, row.label, row.color, fields)
