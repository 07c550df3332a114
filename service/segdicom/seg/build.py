"""Stage 5 of a SEG build: highdicom's Segmentation from the layout and the segments.

One BINARY instance holds every segment (overlaps allowed), or one LABELMAP
instance (Supplement 243) segments that do not overlap; segments are
MANUAL, coded, coloured in CIELab, and created by the annotator. Only frames
where a segment has pixels are stored.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import highdicom as hd
from pydicom import config
from pydicom.uid import ExplicitVRLittleEndian
from pydicom.valuerep import PersonName, validate_value

from segdicom.enums import SegmentationType
from segdicom.errors import BadInput
from segdicom.seg.labelmap import to_highdicom
from segdicom.seg.layout import Layout
from segdicom.seg.model import SegmentSpec, check_int, check_text
from segdicom.uids import validate_uid

_LO_MAX = 64
_IS_MAX = 2**31 - 1


@dataclass(frozen=True)
class SegIdentity:
    """The SEG's own attributes, checked: UIDs, numbers, creator, descriptions."""

    series_instance_uid: str
    sop_instance_uid: str
    instance_number: int
    series_number: int
    content_creator: PersonName
    content_description: str
    series_description: str
    manufacturer: str
    software_version: str
    device_serial_number: str


def check_uids(series_instance_uid: str, sop_instance_uid: str) -> None:
    validate_uid(series_instance_uid, "series instance UID")
    validate_uid(sop_instance_uid, "SOP instance UID")


def seg_identity(
    *,
    series_instance_uid: str,
    sop_instance_uid: str,
    instance_number: int,
    series_number: int,
    content_creator: str,
    content_description: str,
    series_description: str,
    manufacturer: str,
    software_version: str,
    device_serial_number: str,
) -> SegIdentity:
    """The attributes checked; BadInput names the first bad one and its value."""
    return SegIdentity(
        series_instance_uid=series_instance_uid,
        sop_instance_uid=sop_instance_uid,
        instance_number=check_int("instance number", instance_number, 1, _IS_MAX),
        series_number=check_int("series number", series_number, 1, _IS_MAX),
        content_creator=_person_name(content_creator),
        series_description=_long_string("series description", series_description),
        content_description=_long_string("content description", content_description),
        manufacturer=_long_string("manufacturer", manufacturer),
        software_version=_long_string("software version", software_version),
        device_serial_number=_long_string("device serial number", device_serial_number),
    )


def build(
    layout: Layout,
    ordered: Sequence[SegmentSpec],
    ident: SegIdentity,
    segmentation_type: SegmentationType = SegmentationType.BINARY,
) -> hd.seg.Segmentation:
    """Call highdicom; its ValueErrors about the sources become BadInput. A LABELMAP
    (checked free of overlaps before) stores one frame per plane of segment numbers."""
    descriptions = [_description(index + 1, spec) for index, spec in enumerate(ordered)]
    try:
        with source_person_names_as_they_are():
            return hd.seg.Segmentation(
                source_images=layout.source_images,
                further_source_images=layout.further_source_images or None,
                pixel_array=layout.pixel_array,
                plane_positions=layout.plane_positions,
                segmentation_type=to_highdicom(segmentation_type),
                segment_descriptions=descriptions,
                series_instance_uid=ident.series_instance_uid,
                series_number=ident.series_number,
                series_description=ident.series_description,
                sop_instance_uid=ident.sop_instance_uid,
                instance_number=ident.instance_number,
                manufacturer=ident.manufacturer,
                manufacturer_model_name="SegDICOM",
                software_versions=ident.software_version,
                device_serial_number=ident.device_serial_number,
                content_description=ident.content_description,
                content_creator_name=ident.content_creator,
                transfer_syntax_uid=ExplicitVRLittleEndian,
                omit_empty_frames=True,
            )
    except (ValueError, AttributeError, KeyError) as exc:
        raise BadInput(f"cannot build a SEG from these source images: {exc}") from exc


# highdicom warns about every Person Name without a "^" (valuerep.check_person_name).
# The SEG (and the SR beside it, seg/sr.py) copies the source's Patient's Name as
# it is, since the PACS matches on it, so that warning is expected for a whole class
# of real data: it would otherwise be logged at every export. Only that message,
# from highdicom, only here. (catch_warnings is process-wide: with two exports at once, the filter
# may outlive one of them, which hides no other warning.)
_PERSON_NAME_WARNING = r'The string ".*" is unlikely to represent the intended person name'


@contextlib.contextmanager
def source_person_names_as_they_are() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=_PERSON_NAME_WARNING, category=UserWarning, module=r"highdicom\."
        )
        yield


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
