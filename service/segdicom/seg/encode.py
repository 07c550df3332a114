"""Build one DICOM Segmentation (PS3.3 A.51) from painted masks, with highdicom.

The build is a pipeline; the data passes each stage once, in this order:

1. `frames`: each volume slice's source instance and frame, checked;
2. `planes`: the masks reduced to the painted planes, in SEG segment order;
3. `headers`: metadata copies of the sources, repaired for highdicom;
4. `layout`: the planes placed over those headers (by slice, frame or position);
5. `build`: highdicom's Segmentation, with the checked SEG attributes;
6. `references`: source references pinned to exact frames, Patient Orientation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset

from segdicom import __version__
from segdicom.enums import SegmentationType
from segdicom.errors import BadInput
from segdicom.seg.build import build, check_uids, seg_identity
from segdicom.seg.frames import resolve_frames
from segdicom.seg.headers import source_headers
from segdicom.seg.labelmap import check_no_overlap
from segdicom.seg.layout import lay_out
from segdicom.seg.model import SegmentSpec, SourceFrame
from segdicom.seg.planes import painted_planes
from segdicom.seg.references import finish

DEFAULT_SERIES_NUMBER = 1000


def segment_number_map(segments: Sequence[SegmentSpec]) -> dict[int, int]:
    """SEG segment number for each spec number: 1, 2, ... in ascending spec order.

    PS3.3 C.8.20.2 (and highdicom) number the segments of a BINARY SEG from 1
    upwards by 1, so an annotation whose segments are 1, 3 and 7 is written as
    1, 2 and 3. Labels, codes and colours travel with each segment.
    """
    return {spec.number: index + 1 for index, spec in enumerate(_ordered(segments))}


def encode_seg(
    sources: Sequence[Dataset],
    frames: Sequence[SourceFrame],
    masks: Mapping[int, npt.NDArray[np.generic]],
    segments: Sequence[SegmentSpec],
    *,
    series_instance_uid: str,
    sop_instance_uid: str,
    instance_number: int,
    content_creator: str,
    content_description: str | None = None,
    series_number: int = DEFAULT_SERIES_NUMBER,
    series_description: str = "Segmentation",
    manufacturer: str = "SegDICOM",
    software_version: str = __version__,
    device_serial_number: str = "1",
    segmentation_type: SegmentationType = SegmentationType.BINARY,
) -> Dataset:
    """Return a SEG for `masks` painted over the volume whose slice i is `frames[i]`.

    `sources` are the instances of one image series as read from disk (pixel
    data is not needed; they are never modified; instances that no frame
    names are not referenced). They may be single-frame images, one enhanced
    multi-frame image, or several enhanced images of one series, whose frames
    are then placed by position (see `frames.SourceKind`); two painted frames at one
    position raise BadInput. `masks` maps a segment number of `segments` to a
    bool (or integer: nonzero is painted) array of shape (len(frames), rows, columns); a
    segment without a mask, or with an empty one, stays in the Segment
    Sequence with no frames, but some segment must have a pixel. Segments are
    renumbered as `segment_number_map` says. Raises BadInput for inputs that
    cannot make a valid SEG, naming the field and the value.

    `segmentation_type` LABELMAP writes a Label Map Segmentation (Supplement
    243) and raises SegmentsOverlap (Unprocessable) naming two segments and a
    slice when segments share a pixel.
    """
    ordered = _ordered(segments)
    check_uids(series_instance_uid, sop_instance_uid)
    resolved = resolve_frames(sources, frames)
    segmentation_type = SegmentationType.parse(segmentation_type)
    painted = painted_planes(masks, ordered, (len(frames), *resolved.shape))
    if segmentation_type is SegmentationType.LABELMAP:
        check_no_overlap(painted, ordered)
    headers = source_headers(resolved, painted.indices.tolist())
    layout = lay_out(resolved, headers, painted)
    ident = seg_identity(
        series_instance_uid=series_instance_uid,
        sop_instance_uid=sop_instance_uid,
        instance_number=instance_number,
        series_number=series_number,
        content_creator=content_creator,
        content_description=content_description or series_description,
        series_description=series_description,
        manufacturer=manufacturer,
        software_version=software_version,
        device_serial_number=device_serial_number,
    )
    seg = build(layout, ordered, ident, segmentation_type)
    finish(seg, layout, resolved)
    return seg


def _ordered(segments: Sequence[SegmentSpec]) -> list[SegmentSpec]:
    """The specs sorted by number; BadInput when empty, not specs, or numbered twice."""
    if len(segments) == 0:
        raise BadInput("at least one segment is required, got none")
    for spec in segments:
        if not isinstance(spec, SegmentSpec):
            raise BadInput(f"segments must be SegmentSpec values, got {spec!r:.80}")
    numbers = [spec.number for spec in segments]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise BadInput(f"segment numbers must be unique, got {duplicates} more than once")
    return sorted(segments, key=lambda spec: spec.number)
