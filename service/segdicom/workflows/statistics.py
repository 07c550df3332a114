"""Statistics of every segment of an annotation, callable without HTTP (SR, scripts)."""

from dataclasses import dataclass

import numpy as np

from segdicom.imaging.statistics import SegmentStatistics, segment_statistics
from segdicom.state import AppState
from segdicom.workflows.editing import read_masks
from segdicom.workflows.reformat import stack


@dataclass(frozen=True)
class AnnotationFigures:
    """The statistics answer: every segment's figures, and whether the sizes are in true
    millimetres (False: the images carry no usable Pixel Spacing, 1 mm was assumed)."""

    segments: list[SegmentStatistics]
    pixel_spacing_known: bool


def annotation_figures(st: AppState, annotation_id: int) -> AnnotationFigures:
    """One `SegmentStatistics` per segment, by segment number; values in modality units
    (HU for CT), volumes with the true per-slice spacing."""
    stored = read_masks(st, annotation_id)
    volume = stored.volume
    thicknesses = volume.slice_thicknesses()
    # An annotation with nothing painted needs no image: do not build the stack for it.
    image = stack(st, volume) if stored.masks else np.empty((0, 0, 0))
    segments = [
        segment_statistics(number, info.label, stored.slices_of(number), image, volume, thicknesses)
        for number, info in sorted(stored.segments.items())
    ]
    return AnnotationFigures(segments, volume.pixel_spacing_known)


def annotation_statistics(st: AppState, annotation_id: int) -> list[SegmentStatistics]:
    """annotation_figures' segments (what the SR reports)."""
    return annotation_figures(st, annotation_id).segments
