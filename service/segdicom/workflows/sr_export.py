"""The TID 1500 measurement report written beside a SEG export (`"measurements": true`).

The SR goes into one SR series per annotation (the series of its previous SR,
else a new one) with the instance number of the SEG it measures, and travels
to the PACS on the SEG's outbox row.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from segdicom.db import exports as outbox
from segdicom.imaging import Volume
from segdicom.seg.encode import segment_number_map
from segdicom.seg.model import SegmentSpec
from segdicom.seg.sr import SegmentMeasurement, encode_sr, unit_for
from segdicom.state import AppState
from segdicom.workflows.statistics import annotation_statistics


def build_sr(
    st: AppState,
    annotation_id: int,
    seg: Dataset,
    sources: Sequence[Dataset],
    segments: Sequence[SegmentSpec],
    measurements: Sequence[SegmentMeasurement],
    people: tuple[str, str | None],
) -> Dataset:
    """The SR on `seg`; `measurements[i]` is about `segments[i]`, numbered as in the SEG.
    `people` are its observer (who painted) and the reviewer who approved it, if any."""
    observer, verifier = people
    sr: Dataset = encode_sr(
        seg,
        sources,
        segments,
        measurements,
        series_instance_uid=sr_series_uid(st, annotation_id),
        sop_instance_uid=generate_uid(),
        instance_number=int(seg.InstanceNumber),
        observer=observer,
        verifier=verifier,
    )
    return sr


def sr_series_uid(st: AppState, annotation_id: int) -> str:
    """The SR series of the annotation's previous reports, or a new series."""
    with st.sessions() as session:
        previous = outbox.latest_sr_series(session, annotation_id)
    return previous or str(generate_uid())


def segment_measurements(
    st: AppState, annotation_id: int, volume: Volume, segments: Sequence[SegmentSpec]
) -> list[SegmentMeasurement]:
    """What the SR says about each of `segments` (numbered as in the SEG): the figures of
    GET /api/annotations/{id}/statistics (workflows.statistics, the one place they are
    computed: volume with the true per-slice thickness, mean and population SD in
    modality units)."""
    figures = {s.number: s for s in annotation_statistics(st, annotation_id)}
    seg_numbers = segment_number_map(segments)
    unit = unit_for(volume.modality)
    return [
        SegmentMeasurement(
            number=seg_numbers[spec.number],
            label=spec.label,
            volume_ml=figures[spec.number].volume_ml,
            mean=figures[spec.number].mean,
            sd=figures[spec.number].sd,
            unit=unit,
        )
        for spec in segments
    ]
