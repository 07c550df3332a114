"""Measurements of a SEG's segments as a TID 1500 Measurement Report (Comprehensive 3D SR).

One Volumetric ROI Measurements group (TID 1411) per segment, referencing the
segment of the SEG (ReferencedSegment, with the source series) and holding its
volume (SCT 118565006 "Volume", UCUM ml), and the mean (SCT 373098007) and
standard deviation (SCT 386136009) of the image values inside it, in
Hounsfield units (UCUM [hnsf'U]) for CT and without unit (UCUM 1) otherwise.
The SEG and the source images are the evidence (PS3.3 C.17.2.3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import highdicom as hd
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from segdicom import __version__
from segdicom.errors import BadInput
from segdicom.seg.build import source_person_names_as_they_are
from segdicom.seg.model import SegmentSpec, check_int, check_text
from segdicom.uids import validate_uid

HOUNSFIELD = hd.sr.CodedConcept("[hnsf'U]", "UCUM", "Hounsfield unit")
NO_UNIT = hd.sr.CodedConcept("1", "UCUM", "no units")
MILLILITER = hd.sr.CodedConcept("ml", "UCUM", "milliliter")
DEFAULT_SERIES_NUMBER = 1001
_LO_MAX = 64
# PS3.16 CID 100 (Quantitative Diagnostic Imaging Procedures), by modality.
_PROCEDURES = {"CT": codes.LN.CTUnspecifiedBodyRegion, "MR": codes.LN.MRIUnspecifiedBodyRegion}
_IMAGING = hd.sr.CodedConcept("363679005", "SCT", "Imaging")


@dataclass(frozen=True, slots=True)
class SegmentMeasurement:
    """What the report says about one segment: its number in the SEG and label,
    its volume, and the mean and SD of the image values inside it (None when empty)."""

    number: int
    label: str
    volume_ml: float
    mean: float | None
    sd: float | None
    unit: str  # UCUM: "[hnsf'U]" for CT values, "1" otherwise

    def __post_init__(self) -> None:
        check_int("segment number", self.number, 1, 0xFFFF)
        check_text("segment label", self.label, _LO_MAX)
        if not math.isfinite(self.volume_ml) or self.volume_ml < 0:
            raise BadInput(f"volume_ml must be a finite number >= 0, got {self.volume_ml}")
        for name in ("mean", "sd"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise BadInput(f"{name} of segment {self.number} must be finite, got {value}")
        if self.unit not in (HOUNSFIELD.value, NO_UNIT.value):
            raise BadInput(f'unit must be "[hnsf\'U]" or "1", got {self.unit!r:.40}')


def unit_for(modality: str) -> str:
    """The UCUM unit of image values of `modality` after the modality LUT."""
    return HOUNSFIELD.value if modality == "CT" else NO_UNIT.value


def encode_sr(
    seg: Dataset,
    sources: Sequence[Dataset],
    segments: Sequence[SegmentSpec],
    measurements: Sequence[SegmentMeasurement],
    *,
    series_instance_uid: str,
    sop_instance_uid: str,
    instance_number: int,
    observer: str,
    verifier: str | None = None,
    series_number: int = DEFAULT_SERIES_NUMBER,
) -> Dataset:
    """A Comprehensive 3D SR measurement report on the segments of `seg`.

    `segments[i]` describes the segment numbered `measurements[i].number` in
    the SEG (its codes become the finding type and category); `sources` are
    the images the SEG segments (headers suffice). `observer` painted the segments;
    `verifier`, the reviewer who approved them, makes the report VERIFIED with them
    as its Verifying Observer (PS3.3 C.17.2).
    """
    validate_uid(series_instance_uid, "SR series instance UID")
    validate_uid(sop_instance_uid, "SR SOP instance UID")
    if len(segments) != len(measurements) or not measurements:
        raise BadInput(
            f"one segment per measurement is required, got {len(segments)} segments "
            f"and {len(measurements)} measurements"
        )
    groups = [_group(seg, spec, m) for spec, m in zip(segments, measurements, strict=True)]
    report = hd.sr.MeasurementReport(
        observation_context=_context(observer),
        procedure_reported=_PROCEDURES.get(str(seg.get("Modality", "")), _IMAGING),
        imaging_measurements=groups,
    )
    with source_person_names_as_they_are():
        sr = hd.sr.Comprehensive3DSR(
            evidence=[seg, *sources],
            content=report,
            series_instance_uid=series_instance_uid,
            series_number=check_int("series number", series_number, 1, 2**31 - 1),
            sop_instance_uid=sop_instance_uid,
            instance_number=check_int("instance number", instance_number, 1, 2**31 - 1),
            manufacturer="SegDICOM",
            is_complete=True,
            series_description="Segment measurements",
            software_versions=__version__,
            is_verified=verifier is not None,
            verifying_observer_name=_person(verifier) if verifier else None,
            verifying_organization="SegDICOM review" if verifier else None,
        )
    return sr


def _person(username: str) -> str:
    """A user name as a Person Name (PN): the whole name as the family name component."""
    return username if "^" in username else f"{username}^"


def _context(observer: str) -> hd.sr.ObservationContext:
    person = hd.sr.PersonObserverIdentifyingAttributes(name=_person(observer))
    return hd.sr.ObservationContext(
        observer_person_context=hd.sr.ObserverContext(
            observer_type=codes.DCM.Person, observer_identifying_attributes=person
        )
    )


def _group(
    seg: Dataset, spec: SegmentSpec, m: SegmentMeasurement
) -> hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations:
    referenced = hd.sr.ReferencedSegment(
        sop_class_uid=str(seg.SOPClassUID),
        sop_instance_uid=str(seg.SOPInstanceUID),
        segment_number=m.number,
        source_series=hd.sr.SourceSeriesForSegmentation(_source_series(seg)),
    )
    return hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=hd.UID(), identifier=f"Segment {m.number}: {m.label}"[:_LO_MAX]
        ),
        referenced_segment=referenced,
        finding_type=spec.type.to_coded_concept(),
        finding_category=spec.category.to_coded_concept(),
        measurements=_measurements(m),
    )


def _measurements(m: SegmentMeasurement) -> list[hd.sr.Measurement]:
    unit = HOUNSFIELD if m.unit == HOUNSFIELD.value else NO_UNIT
    found = [hd.sr.Measurement(name=codes.SCT.Volume, value=m.volume_ml, unit=MILLILITER)]
    if m.mean is not None:
        found.append(hd.sr.Measurement(name=codes.SCT.Mean, value=m.mean, unit=unit))
    if m.sd is not None:
        found.append(hd.sr.Measurement(name=codes.SCT.StandardDeviation, value=m.sd, unit=unit))
    return found


def _source_series(seg: Dataset) -> str:
    try:
        return str(seg.ReferencedSeriesSequence[0].SeriesInstanceUID)
    except (AttributeError, IndexError) as exc:
        raise BadInput("the SEG names no source series (Referenced Series Sequence)") from exc
