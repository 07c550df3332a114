"""Stage 6 of a SEG build: what highdicom leaves to finish in the built SEG.

Each frame's source reference pinned to the exact source frame (when planes were
placed by position), Patient Orientation where the standard requires it, and the
Spacing Between Slices of the whole series.
"""

from __future__ import annotations

from collections.abc import Sequence

from highdicom import PixelMeasuresSequence
from highdicom.spatial import get_volume_positions
from highdicom.sr import CodedConcept
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from segdicom.errors import BadInput
from segdicom.seg.frames import Position, ResolvedFrames, frame_position, is_enhanced, position_key
from segdicom.seg.layout import Layout, Pinned
from segdicom.seg.model import SourceFrame


def finish(seg: Dataset, layout: Layout, resolved: ResolvedFrames) -> None:
    """Pin the source references the layout asks for; add Patient Orientation; state the
    series' slice spacing."""
    if layout.pinned is not None:
        pin_source_references(seg, layout.pinned)
    _add_patient_orientation(seg, layout.source_images[0])
    state_slice_spacing(seg, resolved)


def state_slice_spacing(seg: Dataset, resolved: ResolvedFrames) -> None:
    """Spacing Between Slices (PS3.3 C.7.6.16.2.1, Type 3) from the positions of every frame
    of the series: the step of an evenly spaced stack along its normal, else none.

    highdicom copies the source's value, which some scanners fill with the gap or the
    thickness, or reckons one from the painted planes alone (1.0 for a single plane);
    readers such as dcmqi build their grid from it, so a wrong one moves the masks.
    """
    shared = seg.SharedFunctionalGroupsSequence[0]
    if "PixelMeasuresSequence" not in shared or "PlaneOrientationSequence" not in shared:
        return
    measures = shared.PixelMeasuresSequence[0]
    orientation = shared.PlaneOrientationSequence[0].ImageOrientationPatient
    spacing = _series_spacing(_positions(resolved), orientation)
    shared.PixelMeasuresSequence = PixelMeasuresSequence(
        pixel_spacing=[float(v) for v in measures.PixelSpacing],
        slice_thickness=measures.get("SliceThickness"),
        spacing_between_slices=spacing,
    )


def _positions(resolved: ResolvedFrames) -> list[Position] | None:
    """Image Position (Patient) of every frame of the volume; None when one has none."""
    positions = []
    for ds, frame in zip(resolved.datasets, resolved.frames, strict=True):
        try:
            if is_enhanced(ds):
                positions.append(frame_position(ds, frame.frame_number))
                continue
        except BadInput:
            return None
        value = ds.get("ImagePositionPatient")
        if value is None or len(value) != 3:
            return None
        positions.append((float(value[0]), float(value[1]), float(value[2])))
    return positions


def _series_spacing(positions: list[Position] | None, orientation: Sequence[float]) -> float | None:
    if positions is None or len(positions) < 2:
        return None  # one plane has no spacing to state (highdicom would say 1.0)
    spacing, _ = get_volume_positions(positions, orientation)
    return None if spacing is None else round(float(spacing), 6)


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
