"""Read a DICOM SEG (ours or anyone's) into segments and per-source-frame masks.

highdicom parses the object and decodes frames; this module walks the frames'
functional groups (PS3.3 C.8.20.3, Segmentation Functional Groups) so that
BINARY, FRACTIONAL and LABELMAP SEGs, overlapping segments, multi-frame
sources and SEGs whose sources are absent all read the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from segdicom.errors import BadInput, SegDicomError
from segdicom.seg.codes import default_color
from segdicom.seg.model import BoolMask, Code, DecodedSeg, SegmentSpec, SourceFrame

Masks = dict[int, BoolMask]
Position = tuple[float, float, float]

_SEG_SOP_CLASSES = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.66.4",  # Segmentation Storage
        "1.2.840.10008.5.1.4.1.1.66.7",  # Label Map Segmentation Storage
    }
)
_POSITION_DECIMALS = 4
_LABEL_MAX = 64
_UNPRINTABLE = re.compile(r"[\\\x00-\x1f\x7f]")


def decode_seg(ds: Dataset) -> DecodedSeg:
    """Decode `ds` (left unchanged) into segment specs and masks.

    FRACTIONAL values count as inside from half the Maximum Fractional Value
    up; LABELMAP pixels belong to the segment whose number they hold (0 is the
    background). Raises BadInput when `ds` is not a SEG, has no segments, or a
    frame can be placed neither by source reference nor by position.
    """
    seg = _read(ds)
    segments = _segments(seg)
    decoded = DecodedSeg(
        segments=segments,
        referenced_series_uid=_referenced_series(seg),
        study_uid=str(seg.StudyInstanceUID),
        frame_of_reference_uid=_optional_str(seg.get("FrameOfReferenceUID")),
        series_instance_uid=str(seg.SeriesInstanceUID),
        sop_instance_uid=str(seg.SOPInstanceUID),
        content_creator=_optional_str(seg.get("ContentCreatorName")),
        notes=_notes(seg),
    )
    numbers = [spec.number for spec in segments]
    for index, group in enumerate(_frame_groups(seg)):
        _place(decoded, index + 1, group, _frame_masks(seg, index + 1, group, numbers))
    return decoded


def _read(ds: Dataset) -> hd.seg.Segmentation:
    if not isinstance(ds, Dataset):
        raise BadInput(f"a SEG must be a pydicom Dataset, got {type(ds).__name__}")
    sop_class = str(ds.get("SOPClassUID", ""))
    if sop_class not in _SEG_SOP_CLASSES:
        raise BadInput(f"not a segmentation: SOP Class UID is {sop_class or 'missing'}")
    if not ds.get("SegmentSequence"):
        raise BadInput("the segmentation has no segments (empty Segment Sequence)")
    if "PixelData" not in ds:
        raise BadInput("the segmentation has no pixel data")
    try:
        return hd.seg.Segmentation.from_dataset(ds, copy=True)
    except (ValueError, AttributeError, KeyError, TypeError) as exc:
        raise BadInput(f"cannot read the segmentation: {exc}") from exc


def _notes(seg: Dataset) -> tuple[str, ...]:
    if str(seg.get("SegmentationType", "")) != "FRACTIONAL":
        return ()
    maximum = int(seg.get("MaximumFractionalValue", 255))
    return (
        f"FRACTIONAL SEG imported as binary: a pixel is inside a segment from 0.5 "
        f"(stored value {(maximum + 1) // 2} of {maximum}) up",
    )


def _segments(seg: hd.seg.Segmentation) -> list[SegmentSpec]:
    """The described segments; LABELMAP background (segment 0) is not a segment."""
    specs = [_spec(item) for item in seg.SegmentSequence if int(item.SegmentNumber) != 0]
    if not specs:
        raise BadInput("the segmentation describes no segment besides the background")
    return specs


def _spec(item: Dataset) -> SegmentSpec:
    number = int(item.SegmentNumber)
    try:
        return SegmentSpec(
            number=number,
            label=_label(item.get("SegmentLabel"), number),
            color=_color(item.get("RecommendedDisplayCIELabValue"), number),
            category=Code.from_item(item.SegmentedPropertyCategoryCodeSequence[0]),
            type=Code.from_item(item.SegmentedPropertyTypeCodeSequence[0]),
        )
    except (AttributeError, IndexError) as exc:
        raise BadInput(f"segment {number} lacks its property codes: {exc}") from exc
    except SegDicomError as exc:
        raise BadInput(f"segment {number}: {exc.detail}") from exc


def _label(value: Any, number: int) -> str:
    """Segment Label made printable and at most 64 characters, "Segment n" when empty."""
    text = _UNPRINTABLE.sub(" ", str(value or "")).strip()[:_LABEL_MAX].strip()
    return text or f"Segment {number}"


def _color(value: Any, number: int) -> str:
    """PS3.3 C.10.7.1.1: Recommended Display CIELab Value as "#rrggbb" (palette when absent)."""
    if value is None or len(value) != 3:
        return default_color(number)
    try:
        lab = hd.color.CIELabColor.from_dicom_value([int(v) for v in value])
    except (TypeError, ValueError):
        return default_color(number)
    red, green, blue = (min(max(round(c), 0), 255) for c in lab.to_rgb(clip=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


def _referenced_series(seg: Dataset) -> str | None:
    """The first series of the Referenced Series Sequence (PS3.3 C.12.2), if any."""
    for item in seg.get("ReferencedSeriesSequence") or []:
        if item.get("SeriesInstanceUID"):
            return str(item.SeriesInstanceUID)
    return None


def _frame_groups(seg: Dataset) -> Iterator[Dataset]:
    """For each frame, its per-frame group with the shared group's items filled in."""
    shared = (seg.get("SharedFunctionalGroupsSequence") or [Dataset()])[0]
    per_frame = seg.get("PerFrameFunctionalGroupsSequence") or []
    for index in range(int(seg.get("NumberOfFrames", 1) or 1)):
        group = Dataset()
        for source in (shared, per_frame[index] if index < len(per_frame) else Dataset()):
            for element in source:
                group[element.tag] = element
        yield group


def _frame_masks(
    seg: hd.seg.Segmentation, frame_number: int, group: Dataset, numbers: list[int]
) -> Masks:
    """Segment number -> mask for one frame, per the Segmentation Type (PS3.3 C.8.20.2.3)."""
    try:
        stored = seg.get_stored_frame(frame_number)
    except (ValueError, RuntimeError, NotImplementedError) as exc:
        raise BadInput(
            f"frame {frame_number} of the segmentation cannot be decoded: {exc}"
        ) from exc
    kind = str(seg.SegmentationType)
    if kind == "LABELMAP":
        return {n: mask for n in numbers if (mask := np.equal(stored, n)).any()}
    number = _frame_segment(group, frame_number)
    if kind == "FRACTIONAL":
        # Values run 0..Maximum Fractional Value (PS3.3 C.8.20.2.3); threshold at 0.5.
        maximum = int(seg.get("MaximumFractionalValue", 255))
        mask = np.greater_equal(stored.astype(np.uint32) * 2, maximum)
    else:
        mask = np.not_equal(stored, 0)
    return {number: mask} if mask.any() else {}


def _frame_segment(group: Dataset, frame_number: int) -> int:
    try:
        return int(group.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
    except (AttributeError, IndexError) as exc:
        raise BadInput(f"frame {frame_number} does not say which segment it holds") from exc


def _place(decoded: DecodedSeg, frame_number: int, group: Dataset, masks: Masks) -> None:
    """Merge a frame's masks under its source frames, else under its position."""
    if not masks:
        return
    references = _source_frames(group, frame_number)
    if references:
        for reference in references:
            _merge(decoded.masks.setdefault(reference, {}), masks)
        return
    position = _position(group)
    if position is None:
        raise BadInput(
            f"frame {frame_number} references no source frame and has no Image Position (Patient)"
        )
    _merge(decoded.plane_positions.setdefault(position, {}), masks)


def _source_frames(group: Dataset, frame_number: int) -> list[SourceFrame]:
    """Source frames named by the Derivation Image Sequence (PS3.3 C.7.6.16.2.6).

    A reference whose Spatial Locations Preserved is not YES (when present)
    does not line up pixel for pixel, so it does not count.
    """
    found: list[SourceFrame] = []
    for derivation in group.get("DerivationImageSequence") or []:
        for source in derivation.get("SourceImageSequence") or []:
            if str(source.get("SpatialLocationsPreserved", "YES")).upper() != "YES":
                continue
            found.extend(_frames_of(source, frame_number))
    return found


def _frames_of(source: Dataset, frame_number: int) -> list[SourceFrame]:
    uid = str(source.get("ReferencedSOPInstanceUID", "")).strip()
    value = source.get("ReferencedFrameNumber")
    # Absent for single-frame sources; one or more frame numbers otherwise.
    numbers = list(value) if isinstance(value, MultiValue | list) else [value or 1]
    try:
        return [SourceFrame(uid, int(n)) for n in numbers]
    except (SegDicomError, ValueError, TypeError) as exc:
        raise BadInput(f"frame {frame_number} has an unusable source reference: {exc}") from exc


def _position(group: Dataset) -> Position | None:
    """Image Position (Patient) of the frame, rounded to 1e-4 mm, if it has one."""
    for item in group.get("PlanePositionSequence") or []:
        value = item.get("ImagePositionPatient")
        if value is not None and len(value) == 3:
            x, y, z = (round(float(v), _POSITION_DECIMALS) for v in value)
            return (x, y, z)
    return None


def _merge(target: Masks, masks: Masks) -> None:
    for number, mask in masks.items():
        target[number] = target[number] | mask if number in target else mask


def _optional_str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
