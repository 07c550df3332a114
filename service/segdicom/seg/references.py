"""Stage 6 of a SEG build: what highdicom leaves to finish in the built SEG.

Each frame's source reference pinned to the exact source frame (when planes were
placed by position), and Patient Orientation where the standard requires it.
"""

from __future__ import annotations

from highdicom.sr import CodedConcept
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from segdicom.seg.frames import position_key
from segdicom.seg.layout import Layout, Pinned
from segdicom.seg.model import SourceFrame


def finish(seg: Dataset, layout: Layout) -> None:
    """Pin the source references the layout asks for; add Patient Orientation."""
    if layout.pinned is not None:
        pin_source_references(seg, layout.pinned)
    _add_patient_orientation(seg, layout.source_images[0])


def pin_source_references(seg: Dataset, pinned: Pinned) -> None:
    """Point each SEG frame's Derivation Image Sequence at the source frame it was painted on.

    highdicom matches planes to source frames by position, which cannot tell
    apart frames of different instances at one position (PS3.3 C.7.6.16.2.6:
    the Source Image Sequence names the exact frame).
    """
    for item in seg.PerFrameFunctionalGroupsSequence:
        position = item.PlanePositionSequence[0].ImagePositionPatient
        source, frame = pinned[position_key(position)]
        item.DerivationImageSequence = [_derivation_item(source, frame)]


def _derivation_item(source: Dataset, frame: SourceFrame) -> Dataset:
    reference = Dataset()
    reference.ReferencedSOPClassUID = source.SOPClassUID
    reference.ReferencedSOPInstanceUID = frame.sop_instance_uid
    reference.ReferencedFrameNumber = frame.frame_number
    # PS3.16 CID 7202 and CID 7203: why the source is referenced, how the frame was derived.
    reference.PurposeOfReferenceCodeSequence = [
        CodedConcept.from_code(codes.cid7202.SourceImageForImageProcessingOperation)
    ]
    reference.SpatialLocationsPreserved = "YES"
    item = Dataset()
    item.DerivationCodeSequence = [
        CodedConcept.from_code(codes.cid7203.SegmentationImageDerivation)
    ]
    item.SourceImageSequence = [reference]
    return item


def _add_patient_orientation(seg: Dataset, source: Dataset) -> None:
    """PS3.3 C.7.6.1: Patient Orientation is Type 2C, required when frames carry no
    patient plane orientation (sources without a patient frame of reference: CR,
    US, slide microscopy). highdicom leaves it out; copy the source's, else empty.
    """
    shared = seg.SharedFunctionalGroupsSequence[0]
    if "PlaneOrientationSequence" not in shared and "PatientOrientation" not in seg:
        seg.PatientOrientation = source.get("PatientOrientation", "")
