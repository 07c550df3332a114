"""Statistics of every segment of an annotation, callable without HTTP (SR, scripts)."""

import numpy as np

from segdicom.imaging.statistics import SegmentStatistics, segment_statistics
from segdicom.state import AppState
from segdicom.workflows.editing import read_masks
from segdicom.workflows.reformat import stack


def annotation_statistics(st: AppState, annotation_id: int) -> list[SegmentStatistics]:
    """One `SegmentStatistics` per segment, by segment number; values in modality units
    (HU for CT), volumes with the true per-slice spacing."""
    stored = read_masks(st, annotation_id)
    volume = stored.volume
    thicknesses = volume.slice_thicknesses()
    # An annotation with nothing painted needs no image: do not build the stack for it.
    image = stack(st, volume) if stored.masks else np.empty((0, 0, 0))
    return [
        segment_statistics(number, info.label, stored.slices_of(number), image, volume, thicknesses)
        for number, info in sorted(stored.segments.items())
    ]
