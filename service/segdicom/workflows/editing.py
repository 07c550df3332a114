"""An annotation's stored masks, read at once for the editor's volume operations."""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from segdicom.db import annotations as repo
from segdicom.db.models import Segment, SegmentStatus
from segdicom.imaging import Volume
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

    def slices_of(self, number: int) -> dict[int, np.ndarray]:
        """Segment `number` as slice index -> (rows, columns) bool mask, painted slices only."""
        rows, columns = self.volume.rows, self.volume.columns
        return {k: unpack_stored(d, rows, columns) for k, d in self.masks.get(number, {}).items()}

    def dense(self, number: int) -> np.ndarray:
        """Segment `number` as a (slices, rows, columns) bool array."""
        v = self.volume
        out = np.zeros((v.num_slices, v.rows, v.columns), dtype=bool)
        for k, mask in self.slices_of(number).items():
            out[k] = mask
        return out


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
        found = repo.masks_of(session, annotation_id, volumes.slice_keys(volume))
        wanted = set(segments if numbers is None else numbers)
        return StoredMasks(
            annotation_id=annotation_id,
            series_uid=row.series_uid,
            study_uid=row.study_uid,
            version=row.version,
            volume=volume,
            segments=segments,
            masks={n: m for n, m in found.items() if n in wanted},
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
