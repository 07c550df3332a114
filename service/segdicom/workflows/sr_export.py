"""The TID 1500 measurement report written beside a SEG export (`"measurements": true`).

The SR goes into one SR series per annotation (the series of its previous SR,
else a new one) with the instance number of the SEG it measures, and travels
to the PACS on the SEG's outbox row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from segdicom.db import exports as outbox
from segdicom.imaging import Volume, read_slice
from segdicom.seg.encode import segment_number_map
from segdicom.seg.model import SegmentSpec
from segdicom.seg.sr import SegmentMeasurement, encode_sr, unit_for
from segdicom.state import AppState


def build_sr(
    st: AppState,
    annotation_id: int,
    seg: Dataset,
    sources: Sequence[Dataset],
    segments: Sequence[SegmentSpec],
    measurements: Sequence[SegmentMeasurement],
    user: str,
) -> Dataset:
    """The SR on `seg`; `measurements[i]` is about `segments[i]`, numbered as in the SEG."""
    sr: Dataset = encode_sr(
        seg,
        sources,
        segments,
        measurements,
        series_instance_uid=sr_series_uid(st, annotation_id),
        sop_instance_uid=generate_uid(),
        instance_number=int(seg.InstanceNumber),
        observer=user,
    )
    return sr


def sr_series_uid(st: AppState, annotation_id: int) -> str:
    """The SR series of the annotation's previous reports, or a new series."""
    with st.sessions() as session:
        previous = outbox.latest_sr_series(session, annotation_id)
    return previous or str(generate_uid())


# TODO(statistics): replaced at merge by the Segment Editor's statistics module
# (true per-slice spacing, one place for every figure); kept minimal on purpose.
def provisional_measurements(
    st: AppState,
    volume: Volume,
    masks: Mapping[int, npt.NDArray[np.bool_]],
    segments: Sequence[SegmentSpec],
) -> list[SegmentMeasurement]:
    """PROVISIONAL, to be replaced by the statistics module: per segment (numbered as
    in the SEG), the voxels of each slice times its pixel area and its true thickness
    along the normal (Volume.slice_thicknesses), and the mean and population SD of the
    image values (after the modality LUT) inside it."""
    row, column, _ = volume.spacing
    slice_ml = volume.slice_thicknesses() * (row * column / 1000.0)
    seg_numbers = segment_number_map(segments)
    found = []
    for spec in segments:
        mask = masks[spec.number]
        values = _values_inside(st, volume, mask)
        found.append(
            SegmentMeasurement(
                number=seg_numbers[spec.number],
                label=spec.label,
                volume_ml=float(mask.reshape(len(mask), -1).sum(axis=1) @ slice_ml),
                mean=float(values.mean()) if values.size else None,
                sd=float(values.std()) if values.size else None,
                unit=unit_for(volume.modality),
            )
        )
    return found


def _values_inside(
    st: AppState, volume: Volume, mask: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    parts = [
        read_slice(volume, int(i), st.store.files.absolute)[mask[i]].astype(np.float64)
        for i in np.flatnonzero(mask.reshape(len(mask), -1).any(axis=1))
    ]
    return np.concatenate(parts) if parts else np.zeros(0)
