"""Stage 3 of a SEG build: the source headers highdicom is given, copied and repaired.

Metadata copies (no pixel data) of the sources the SEG references, made once
here for the layout the frames have (`frames.SourceKind`), and repaired where
scanners are sloppy: patient and study attributes highdicom would refuse,
orientations that differ in the last digits, per-frame geometry highdicom
reads from the shared group.

Nothing here changes the caller's datasets: every repair is made on a copy,
and elements are replaced, never edited in place (pydicom's attribute setter
edits an existing element in place, which a copy may share with the original).
"""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom import config
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag
from pydicom.valuerep import validate_value

from segdicom.errors import BadInput
from segdicom.seg.frames import ResolvedFrames, SourceKind, distinct_instances

# Pixel Data, Float Pixel Data, Double Float Pixel Data: highdicom needs only
# the metadata of source images, so copies leave the bulk data out.
_BULK_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})

# PS3.3 C.7.1.1 Patient Module and C.7.2.1 General Study Module: Type 2
# attributes the SEG copies from its source. highdicom reads them as required
# attributes; absent or invalid ones become empty (a valid Type 2 value).
_TYPE2_PATIENT_STUDY = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyDate",
    "StudyTime",
    "ReferringPhysicianName",
    "StudyID",
    "AccessionNumber",
)
# Patient (0010), study (0032) and visit (0038) groups, plus the study-level
# attributes of groups 0008 and 0020 that highdicom copies with the Patient and
# Study information entities.
_PATIENT_STUDY_GROUPS = frozenset({0x0010, 0x0032, 0x0038})
_STUDY_KEYWORDS = frozenset(
    {
        "StudyDate",
        "StudyTime",
        "AccessionNumber",
        "ReferringPhysicianName",
        "StudyDescription",
        "PhysiciansOfRecord",
        "NameOfPhysiciansReadingStudy",
        "AdmittingDiagnosesDescription",
        "StudyID",
    }
)
_PATIENT_SEX = frozenset({"M", "F", "O", ""})  # PS3.3 C.7.1.1 Patient's Sex enumerated values
_DA = re.compile(r"\d{8}")
_ORIENTATION_TOLERANCE = 1e-4  # direction cosines closer than this are the same orientation


@dataclass(frozen=True)
class SourceHeaders:
    """highdicom's `source_images` (the first leads: its patient and study are the
    SEG's) and `further_source_images` (referenced, not scanned for planes)."""

    primary: list[Dataset]
    further: list[Dataset]


def source_headers(resolved: ResolvedFrames, painted: Sequence[int]) -> SourceHeaders:
    """The headers for the SEG of the `painted` frames (indices into `resolved`).

    Single-frame slices: the painted ones are the source images (the first a deep
    copy, as highdicom copies patient and study from it), the others further
    sources, so the SEG still references every slice. Enhanced images: one repaired
    copy of each instance, the one of the first painted frame first.
    """
    datasets = resolved.datasets
    if resolved.kind is SourceKind.SINGLE_FRAME:
        primary = [header_copy(datasets[i], deep=(n == 0)) for n, i in enumerate(painted)]
        repair_patient_and_study(primary[0])
        align_orientations(primary)
        chosen = set(painted)
        further = [header_copy(ds, deep=False) for i, ds in enumerate(datasets) if i not in chosen]
        return SourceHeaders(primary, further)
    if resolved.kind is SourceKind.MULTIFRAME:
        return SourceHeaders([_enhanced_copy(datasets[0])], [])
    instances = [_enhanced_copy(ds) for ds in distinct_instances([datasets[painted[0]], *datasets])]
    return SourceHeaders(instances[:1], instances[1:])


def _enhanced_copy(source: Dataset) -> Dataset:
    header = header_copy(source, deep=True)
    repair_patient_and_study(header)
    share_frame_geometry(header)
    return header


def header_copy(ds: Dataset, *, deep: bool) -> Dataset:
    """A copy of `ds` without bulk pixel data.

    With `deep`, no object is shared with `ds`; otherwise elements are shared
    but the element dictionary is new, so replacing an element in the copy
    leaves `ds` untouched.
    """
    tags = ds.keys()  # iterating the Dataset itself would decode every raw element
    shallow = Dataset({tag: ds.get_item(tag) for tag in tags if int(tag) not in _BULK_TAGS})
    return copy.deepcopy(shallow) if deep else shallow


def replace(ds: Dataset, keyword: str, value: Any) -> None:
    """Put a new element for `keyword` in `ds` (never edits an existing element object)."""
    ds.add_new(keyword, dictionary_VR(keyword), value)


def repair_patient_and_study(ds: Dataset) -> None:
    """Make the patient and study attributes of the copy `ds` valid for the SEG to copy.

    Missing Type 2 attributes are added empty; an invalid value becomes empty
    when the attribute is Type 2 and is dropped otherwise (all such attributes
    are Type 3 in the SEG's Patient and Study modules). An empty Specific
    Character Set, which highdicom refuses, is dropped: absent means the
    default repertoire (PS3.3 C.12.1.1.2), which is what empty meant.
    """
    charset = ds.get("SpecificCharacterSet")
    if charset is not None and not any(str(v).strip() for v in _as_list(charset)):
        del ds.SpecificCharacterSet
    for keyword in _TYPE2_PATIENT_STUDY:
        if keyword not in ds:
            replace(ds, keyword, "")
    for tag in list(ds.keys()):
        if _is_patient_or_study(tag) and not _element_is_valid(ds, tag):
            if keyword_for_tag(tag) in _TYPE2_PATIENT_STUDY:
                replace(ds, keyword_for_tag(tag), "")
            else:
                del ds[tag]


def _is_patient_or_study(tag: BaseTag) -> bool:
    return tag.group in _PATIENT_STUDY_GROUPS or keyword_for_tag(tag) in _STUDY_KEYWORDS


def _element_is_valid(ds: Dataset, tag: BaseTag) -> bool:
    """Whether the element's value conforms to its VR (and to the enumerations highdicom checks)."""
    try:
        elem = ds[tag]
    except (ValueError, KeyError, TypeError):
        return False  # an undecodable raw value
    if elem.VR == "SQ" or elem.value is None or elem.is_private:
        return True
    # DS, IS and PN values arrive as DSfloat, IS and PersonName; pydicom's
    # validators check the text form, as it was in the file.
    textual = elem.VR in ("DS", "IS", "PN")
    values = [str(v) if textual and v is not None else v for v in _as_list(elem.value)]
    try:
        for value in values:
            validate_value(elem.VR, value, config.RAISE)
    except (ValueError, TypeError):
        return False
    return _passes_enumerations(elem.keyword, values)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, MultiValue | list) else [value]


def _passes_enumerations(keyword: str, values: Iterable[Any]) -> bool:
    """Checks pydicom's VR validation leaves to highdicom, which raises on them."""
    if keyword == "PatientSex":
        return all(str(v) in _PATIENT_SEX for v in values)
    if keyword in ("PatientBirthDate", "StudyDate"):
        return all(_is_real_date(str(v)) for v in values)
    return True


def _is_real_date(value: str) -> bool:
    if value == "":
        return True
    if not _DA.fullmatch(value):
        return False
    try:
        datetime.datetime.strptime(value, "%Y%m%d")
    except ValueError:
        return False
    return True


def align_orientations(headers: list[Dataset]) -> None:
    """Give every single-frame copy the first one's Image Orientation (Patient).

    highdicom compares orientations exactly; scanners write cosines that differ
    in the last digits. Orientations further apart than 1e-4 raise BadInput.
    """
    first = headers[0].get("ImageOrientationPatient")
    if first is None:
        return
    reference = np.asarray(first, dtype=float)
    for header in headers[1:]:
        other = header.get("ImageOrientationPatient")
        if other is None or not np.allclose(other, reference, atol=_ORIENTATION_TOLERANCE):
            raise BadInput(
                f"source images have different orientations: {header.SOPInstanceUID} has "
                f"{_shown(other)}, {headers[0].SOPInstanceUID} has {_shown(first)}"
            )
        replace(header, "ImageOrientationPatient", list(first))


def share_frame_geometry(header: Dataset) -> None:
    """Move per-frame orientation and pixel measures of the copy `header` into its shared group.

    Enhanced MR from Philips and Siemens repeats Plane Orientation and Pixel
    Measures in every frame (PS3.3 C.7.6.16.2); highdicom reads them from the
    Shared Functional Groups. When every frame agrees, the shared group gets
    the first frame's items; orientations that differ raise BadInput.
    """
    per_frame = header.get("PerFrameFunctionalGroupsSequence") or []
    if "SharedFunctionalGroupsSequence" not in header:
        header.SharedFunctionalGroupsSequence = [Dataset()]
    shared = header.SharedFunctionalGroupsSequence[0]
    for keyword in ("PlaneOrientationSequence", "PixelMeasuresSequence"):
        if keyword in shared or not per_frame or keyword not in per_frame[0]:
            continue
        _check_frames_agree(header, per_frame, keyword)
        shared.add_new(keyword, "SQ", copy.deepcopy(per_frame[0][keyword].value))


def _check_frames_agree(header: Dataset, per_frame: Any, keyword: str) -> None:
    attribute = (
        "ImageOrientationPatient" if keyword == "PlaneOrientationSequence" else "PixelSpacing"
    )
    first = np.asarray(per_frame[0][keyword][0].get(attribute, []), dtype=float)
    for index, item in enumerate(per_frame):
        value = item[keyword][0].get(attribute, []) if keyword in item else []
        if len(value) != len(first) or not np.allclose(value, first, atol=_ORIENTATION_TOLERANCE):
            raise BadInput(
                f"frames of {header.SOPInstanceUID} have different {attribute}: frame "
                f"{index + 1} has {_shown(value)}, frame 1 has {_shown(first)}"
            )


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    return "[" + ", ".join(f"{float(v):g}" for v in value) + "]"
