"""Typed values of the SEG layer: codes, segment descriptions, source frames, decoded SEGs.

Every value is validated when it is built, so the encoder and the rest of the
service can trust them. Errors are `BadInput` naming the field and the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from highdicom.sr import CodedConcept

from segdicom.errors import BadInput
from segdicom.uids import validate_uid

BoolMask = npt.NDArray[np.bool_]

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
# PS3.5 6.2: LO (Segment Label, Code Meaning) is at most 64 characters, without
# backslash or control characters; SH (Code Value, Coding Scheme Designator) 16.
_LO_MAX = 64
_SH_MAX = 16
_FORBIDDEN = re.compile(r"[\\\x00-\x1f\x7f]")
_MAX_SEGMENT_NUMBER = 0xFFFF  # Segment Number is US (PS3.3 C.8.20.2)


def check_text(field_name: str, value: object, max_len: int) -> str:
    """Return `value` if it is a non-blank DICOM text of at most `max_len` characters."""
    if not isinstance(value, str):
        raise BadInput(f"{field_name} must be a string, got {value!r:.80}")
    if not 1 <= len(value) <= max_len:
        raise BadInput(f"{field_name} must be 1..{max_len} characters, got {value!r:.80}")
    if value != value.strip():
        raise BadInput(f"{field_name} must not start or end with spaces, got {value!r:.80}")
    if _FORBIDDEN.search(value):
        raise BadInput(
            f"{field_name} must not contain backslashes or control characters, got {value!r:.80}"
        )
    return value


def check_int(field_name: str, value: object, low: int, high: int) -> int:
    """Return `value` if it is an int (not a bool) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise BadInput(f"{field_name} must be an integer, got {value!r:.80}")
    if not low <= int(value) <= high:
        raise BadInput(f"{field_name} must be in {low}..{high}, got {value}")
    return int(value)


@dataclass(frozen=True, slots=True)
class Code:
    """A coded concept: code value, coding scheme designator and code meaning (PS3.3 8.8)."""

    value: str
    scheme: str
    meaning: str

    def __post_init__(self) -> None:
        # Code Value is SH; values over 16 characters go in Long Code Value
        # (PS3.3 8.8), which highdicom handles, so allow up to 64 here.
        check_text("code value", self.value, _LO_MAX)
        check_text("coding scheme designator", self.scheme, _SH_MAX)
        check_text("code meaning", self.meaning, _LO_MAX)

    def to_coded_concept(self) -> CodedConcept:
        """Return the highdicom `CodedConcept` for this code."""
        return CodedConcept(value=self.value, scheme_designator=self.scheme, meaning=self.meaning)

    @classmethod
    def from_item(cls, item: Any) -> Code:
        """Build a Code from a code sequence item (a pydicom Dataset or CodedConcept).

        Reads Code Value, else Long Code Value, else URN Code Value (PS3.3 8.8).
        """
        value = item.get("CodeValue") or item.get("LongCodeValue") or item.get("URNCodeValue") or ""
        return cls(
            value=str(value).strip(),
            scheme=str(item.get("CodingSchemeDesignator", "")).strip(),
            meaning=str(item.get("CodeMeaning", "")).strip(),
        )


@dataclass(frozen=True, slots=True)
class SegmentSpec:
    """One segment: its number, label, display colour ("#rrggbb") and property codes.

    The colour is normalised to lower case, so specs compare equal after a round trip.
    """

    number: int
    label: str
    color: str
    category: Code
    type: Code

    def __post_init__(self) -> None:
        check_int("segment number", self.number, 1, _MAX_SEGMENT_NUMBER)
        check_text("segment label", self.label, _LO_MAX)
        if not isinstance(self.color, str) or not _COLOR.fullmatch(self.color):
            raise BadInput(f"segment color must look like '#rrggbb', got {self.color!r:.80}")
        object.__setattr__(self, "color", self.color.lower())
        for name in ("category", "type"):
            if not isinstance(getattr(self, name), Code):
                raise BadInput(f"segment {name} must be a Code, got {getattr(self, name)!r:.80}")

    @property
    def rgb(self) -> tuple[int, int, int]:
        """The colour as (red, green, blue), each 0..255."""
        return (int(self.color[1:3], 16), int(self.color[3:5], 16), int(self.color[5:7], 16))


@dataclass(frozen=True, slots=True)
class SourceFrame:
    """A frame of a source image: its SOP Instance UID and 1-based frame number.

    Single-frame images have frame number 1.
    """

    sop_instance_uid: str
    frame_number: int = 1

    def __post_init__(self) -> None:
        validate_uid(self.sop_instance_uid, "source SOP Instance UID")
        check_int("source frame number", self.frame_number, 1, 2**31 - 1)

    def __str__(self) -> str:
        return f"frame {self.frame_number} of {self.sop_instance_uid}"


@dataclass(frozen=True, slots=True)
class DecodedSeg:
    """What a SEG holds, keyed for import.

    `masks` maps each referenced source frame to its masks (segment number ->
    2D bool array). Frames that reference no source frame (or whose spatial
    locations are not preserved) are keyed by their Image Position (Patient),
    rounded to 1e-4 mm, in `plane_positions`. `notes` says what was changed
    on the way in (a FRACTIONAL SEG made binary).
    """

    segments: list[SegmentSpec]
    referenced_series_uid: str | None
    study_uid: str
    frame_of_reference_uid: str | None
    series_instance_uid: str
    sop_instance_uid: str
    content_creator: str | None
    masks: dict[SourceFrame, dict[int, BoolMask]] = field(default_factory=dict)
    plane_positions: dict[tuple[float, float, float], dict[int, BoolMask]] = field(
        default_factory=dict
    )
    # What the reader should know about how the SEG was read (a FRACTIONAL SEG
    # thresholded to binary), for the import answer and the audit event.
    notes: tuple[str, ...] = ()
