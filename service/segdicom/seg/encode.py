"""Build one DICOM Segmentation (PS3.3 A.51) from painted masks, with highdicom.

One BINARY instance holds every segment (overlaps allowed); segments are
MANUAL, coded, coloured in CIELab, and created by the annotator. Only frames
where a segment has pixels are stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import highdicom as hd
import numpy as np
import numpy.typing as npt
from pydicom import config
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian
from pydicom.valuerep import PersonName, validate_value

from segdicom import __version__
from segdicom.errors import BadInput
from segdicom.seg._layout import Layout, pin_source_references, plan
from segdicom.seg._sources import number_of_frames
from segdicom.seg.labelmap import SegmentationType, check_no_overlap
from segdicom.seg.model import BoolMask, SegmentSpec, SourceFrame, check_int, check_text
from segdicom.uids import validate_uid

DEFAULT_SERIES_NUMBER = 1000
_LO_MAX = 64
_IS_MAX = 2**31 - 1


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
    are then placed by position (see `_layout`); two painted frames at one
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
    _check_uids(series_instance_uid, sop_instance_uid)
    resolved = _resolve_frames(sources, frames)
    shape = (len(frames), *_frame_shape(resolved))
    checked = _checked_masks(masks, ordered, shape)
    segmentation_type = SegmentationType.parse(segmentation_type)
    if segmentation_type is SegmentationType.LABELMAP:
        check_no_overlap(checked, {spec.number: spec.label for spec in ordered})
    painted = _painted_planes(checked, len(frames))
    layout = plan(resolved, frames, painted, _stack(checked, ordered, painted, shape))
    seg = _build(
        layout,
        [_description(index + 1, spec) for index, spec in enumerate(ordered)],
        series_instance_uid=series_instance_uid,
        sop_instance_uid=sop_instance_uid,
        instance_number=check_int("instance number", instance_number, 1, _IS_MAX),
        series_number=check_int("series number", series_number, 1, _IS_MAX),
        content_creator=_person_name(content_creator),
        series_description=_long_string("series description", series_description),
        manufacturer=_long_string("manufacturer", manufacturer),
        software_version=_long_string("software version", software_version),
        device_serial_number=_long_string("device serial number", device_serial_number),
        segmentation_type=segmentation_type,
    )
    if layout.pinned is not None:
        pin_source_references(seg, layout.pinned)
    _add_patient_orientation(seg, layout.source_images[0])
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


def _check_uids(series_instance_uid: str, sop_instance_uid: str) -> None:
    validate_uid(series_instance_uid, "series instance UID")
    validate_uid(sop_instance_uid, "SOP instance UID")


def _resolve_frames(sources: Sequence[Dataset], frames: Sequence[SourceFrame]) -> list[Dataset]:
    """The source dataset of each frame; BadInput for unknown, repeated or cross-series frames."""
    if len(sources) == 0:
        raise BadInput("at least one source image is required, got none")
    if len(frames) == 0:
        raise BadInput("at least one source frame is required, got none")
    by_uid: dict[str, Dataset] = {}
    for ds in sources:
        uid = ds.get("SOPInstanceUID")
        if uid is None:
            raise BadInput("a source image has no SOP Instance UID")
        by_uid.setdefault(str(uid), ds)
    seen: set[SourceFrame] = set()
    resolved = []
    for index, frame in enumerate(frames):
        if frame in seen:
            raise BadInput(f"frame {index} repeats {frame}; each source frame may appear once")
        seen.add(frame)
        resolved.append(_source_of(frame, by_uid))
    _check_one_series(resolved)
    return resolved


def _source_of(frame: SourceFrame, by_uid: Mapping[str, Dataset]) -> Dataset:
    if not isinstance(frame, SourceFrame):
        raise BadInput(f"frames must be SourceFrame values, got {frame!r:.80}")
    ds = by_uid.get(frame.sop_instance_uid)
    if ds is None:
        raise BadInput(f"frame {frame} names an instance that is not among the sources")
    frame_count = number_of_frames(ds)
    if frame.frame_number > frame_count:
        raise BadInput(
            f"frame {frame} is beyond the {frame_count} frame(s) of {frame.sop_instance_uid}"
        )
    return ds


def _check_one_series(resolved: Sequence[Dataset]) -> None:
    series = {str(ds.get("SeriesInstanceUID", "")) for ds in resolved}
    if len(series) != 1:
        raise BadInput(f"the frames must come from one series, got series {sorted(series)}")


def _frame_shape(resolved: Sequence[Dataset]) -> tuple[int, int]:
    shapes = {(int(ds.Rows), int(ds.Columns)) for ds in resolved}
    if len(shapes) != 1:
        raise BadInput(f"source frames must share rows x columns, got {sorted(shapes)}")
    return shapes.pop()


def _checked_masks(
    masks: Mapping[int, npt.NDArray[np.generic]],
    ordered: Sequence[SegmentSpec],
    shape: tuple[int, ...],
) -> dict[int, BoolMask]:
    """Each mask as a bool array of `shape`; BadInput for unknown segments or wrong shapes."""
    known = [spec.number for spec in ordered]
    unknown = sorted(set(masks) - set(known))
    if unknown:
        raise BadInput(f"masks name unknown segment numbers {unknown}; the segments are {known}")
    checked: dict[int, BoolMask] = {}
    for number, mask in masks.items():
        array = np.asarray(mask)
        if array.shape != shape:
            raise BadInput(
                f"mask of segment {number} has shape {array.shape}, "
                f"expected {shape} (frames, rows, columns)"
            )
        checked[int(number)] = _as_bool(number, array)
    return checked


def _as_bool(number: int, array: npt.NDArray[np.generic]) -> BoolMask:
    if array.dtype == np.bool_:
        return array.astype(np.bool_, copy=False)
    if not np.issubdtype(array.dtype, np.integer):
        raise BadInput(f"mask of segment {number} must be boolean, got dtype {array.dtype}")
    nonzero: BoolMask = np.not_equal(array, 0)
    return nonzero


def _painted_planes(checked: Mapping[int, BoolMask], count: int) -> npt.NDArray[np.intp]:
    """Indices of the frames where any segment has a pixel; BadInput when there are none."""
    painted = np.zeros(count, dtype=np.bool_)
    for mask in checked.values():
        painted |= mask.reshape(count, -1).any(axis=1)
    if not painted.any():
        raise BadInput("no segment has any painted pixel; there is nothing to encode")
    return np.flatnonzero(painted)


def _stack(
    checked: Mapping[int, BoolMask],
    ordered: Sequence[SegmentSpec],
    painted: npt.NDArray[np.intp],
    shape: tuple[int, ...],
) -> npt.NDArray[np.bool_]:
    """The painted planes as (planes, rows, columns, segments), segments in SEG order."""
    empty = np.zeros((len(painted), *shape[1:]), dtype=np.bool_)
    planes = [checked[s.number][painted] if s.number in checked else empty for s in ordered]
    stacked: npt.NDArray[np.bool_] = np.stack(planes, axis=-1)
    return stacked


def _description(number: int, spec: SegmentSpec) -> hd.seg.SegmentDescription:
    """PS3.3 C.8.20.2: a MANUAL segment with its codes and CIELab display colour."""
    return hd.seg.SegmentDescription(
        segment_number=number,
        segment_label=spec.label,
        segmented_property_category=spec.category.to_coded_concept(),
        segmented_property_type=spec.type.to_coded_concept(),
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        display_color=hd.color.CIELabColor.from_rgb(*spec.rgb),
    )


def _person_name(value: str) -> PersonName:
    """The content creator as a PN (PS3.5 6.2).

    A name without component separators is taken as a family name and written
    "name^", so readers do not see the retired single-component form.
    """
    check_text("content creator", value, _LO_MAX * 5)
    try:
        validate_value("PN", value, config.RAISE)
    except ValueError as exc:
        raise BadInput(f"content creator is not a valid person name: {exc}") from exc
    return PersonName(value if "^" in value else f"{value}^")


def _long_string(field_name: str, value: str) -> str:
    return check_text(field_name, value, _LO_MAX)


def _add_patient_orientation(seg: Dataset, source: Dataset) -> None:
    """PS3.3 C.7.6.1: Patient Orientation is Type 2C, required when frames carry no
    patient plane orientation (sources without a patient frame of reference: CR,
    US, slide microscopy). highdicom leaves it out; copy the source's, else empty.
    """
    shared = seg.SharedFunctionalGroupsSequence[0]
    if "PlaneOrientationSequence" not in shared and "PatientOrientation" not in seg:
        seg.PatientOrientation = source.get("PatientOrientation", "")


def _build(
    layout: Layout,
    descriptions: list[hd.seg.SegmentDescription],
    *,
    series_instance_uid: str,
    sop_instance_uid: str,
    instance_number: int,
    series_number: int,
    content_creator: PersonName,
    series_description: str,
    manufacturer: str,
    software_version: str,
    device_serial_number: str,
    segmentation_type: SegmentationType,
) -> hd.seg.Segmentation:
    """Call highdicom; its ValueErrors about the sources become BadInput."""
    try:
        return hd.seg.Segmentation(
            source_images=layout.source_images,
            further_source_images=layout.further_source_images or None,
            pixel_array=layout.pixel_array,
            plane_positions=layout.plane_positions,
            segmentation_type=segmentation_type.to_highdicom(),
            segment_descriptions=descriptions,
            series_instance_uid=series_instance_uid,
            series_number=series_number,
            series_description=series_description,
            sop_instance_uid=sop_instance_uid,
            instance_number=instance_number,
            manufacturer=manufacturer,
            manufacturer_model_name="SegDICOM",
            software_versions=software_version,
            device_serial_number=device_serial_number,
            content_description=series_description,
            content_creator_name=content_creator,
            transfer_syntax_uid=ExplicitVRLittleEndian,
            omit_empty_frames=True,
        )
    except (ValueError, AttributeError, KeyError) as exc:
        raise BadInput(f"cannot build a SEG from these source images: {exc}") from exc
