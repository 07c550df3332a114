"""How the painted slices of a volume map onto highdicom's Segmentation arguments.

Three layouts, chosen from the sources the frames point at:

* single-frame images (CT/MR slices): the painted slices are passed as
  `source_images`, one plane each, and the other slices of the volume as
  `further_source_images`, so the SEG still references every slice while
  highdicom only scans the planes that hold pixels;
* one enhanced multi-frame image whose frames sit at distinct positions:
  passed alone, with one plane per frame of the image (highdicom's own
  multi-frame case: frame i of the array is frame i + 1 of the source);
* several enhanced images of one series (Siemens XA stores one series as
  several multi-frame files), or one whose frames repeat positions: the planes
  are placed by explicit plane positions, and each SEG frame's source reference
  is then pinned to the exact source frame it was painted on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from highdicom import CoordinateSystemNames, PlanePositionSequence
from highdicom.sr import CodedConcept
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from segdicom.errors import BadInput
from segdicom.seg._sources import (
    align_orientations,
    frame_position,
    header_copy,
    is_enhanced,
    number_of_frames,
    repair_patient_and_study,
    share_frame_geometry,
)
from segdicom.seg.model import SourceFrame

Position = tuple[float, float, float]
_POSITION_DECIMALS = 3  # positions equal to 1 micrometre are the same plane


@dataclass(frozen=True, slots=True)
class Layout:
    """highdicom arguments for one SEG, plus the references to pin after it is built."""

    source_images: list[Dataset]
    further_source_images: list[Dataset]
    pixel_array: npt.NDArray[np.bool_]
    plane_positions: list[PlanePositionSequence] | None = None
    pinned: dict[Position, tuple[Dataset, SourceFrame]] | None = None


def plan(
    resolved: Sequence[Dataset],
    frames: Sequence[SourceFrame],
    painted: npt.NDArray[np.intp],
    stacked: npt.NDArray[np.bool_],
) -> Layout:
    """Choose the layout for `stacked` (painted planes x rows x columns x segments).

    `resolved[i]` is the source dataset of `frames[i]`; `painted` lists the
    indices of the frames that hold pixels, in the order of `stacked`.
    """
    enhanced = {is_enhanced(ds) for ds in resolved}
    if enhanced == {False}:
        return _single_frame_layout(resolved, frames, painted, stacked)
    if enhanced != {True}:
        raise BadInput("the frames mix single-frame and enhanced multi-frame source images")
    instances = _distinct_instances(resolved)
    if len(instances) == 1 and _has_distinct_positions(instances[0]):
        return _multiframe_layout(instances[0], frames, painted, stacked)
    return _positions_layout(resolved, frames, painted, stacked)


def _single_frame_layout(
    resolved: Sequence[Dataset],
    frames: Sequence[SourceFrame],
    painted: npt.NDArray[np.intp],
    stacked: npt.NDArray[np.bool_],
) -> Layout:
    for frame, ds in zip(frames, resolved, strict=True):
        if number_of_frames(ds) > 1:
            raise BadInput(
                f"source {frame.sop_instance_uid} has {number_of_frames(ds)} frames but no "
                "functional groups; only enhanced multi-frame images are supported"
            )
        if frame.frame_number != 1:
            raise BadInput(
                f"source {frame.sop_instance_uid} is a single-frame image, "
                f"got frame number {frame.frame_number}"
            )
    painted_set = set(painted.tolist())
    primary = [header_copy(resolved[i], deep=(n == 0)) for n, i in enumerate(painted)]
    repair_patient_and_study(primary[0])
    align_orientations(primary)
    further = [header_copy(ds, deep=False) for i, ds in enumerate(resolved) if i not in painted_set]
    return Layout(primary, further, stacked)


def _multiframe_layout(
    source: Dataset,
    frames: Sequence[SourceFrame],
    painted: npt.NDArray[np.intp],
    stacked: npt.NDArray[np.bool_],
) -> Layout:
    header = _enhanced_copy(source)
    planes = np.zeros((number_of_frames(source), *stacked.shape[1:]), dtype=np.bool_)
    planes[[frames[i].frame_number - 1 for i in painted]] = stacked
    return Layout([header], [], planes)


def _positions_layout(
    resolved: Sequence[Dataset],
    frames: Sequence[SourceFrame],
    painted: npt.NDArray[np.intp],
    stacked: npt.NDArray[np.bool_],
) -> Layout:
    pinned: dict[Position, tuple[Dataset, SourceFrame]] = {}
    positions: list[PlanePositionSequence] = []
    for i in painted:
        position = frame_position(resolved[i], frames[i].frame_number)
        key = _key(position)
        if key in pinned:
            raise BadInput(
                f"frames {pinned[key][1]} and {frames[i]} are painted at the same position "
                f"{position}; a SEG plane holds one source frame"
            )
        pinned[key] = (resolved[i], frames[i])
        positions.append(PlanePositionSequence(CoordinateSystemNames.PATIENT, position))
    # The first painted instance leads; every other instance of the volume is
    # still referenced, as in the single-frame layout.
    ordered = _distinct_instances([resolved[int(painted[0])], *resolved])
    instances = [_enhanced_copy(ds) for ds in ordered]
    return Layout(instances[:1], instances[1:], stacked, positions, pinned)


def _enhanced_copy(source: Dataset) -> Dataset:
    header = header_copy(source, deep=True)
    repair_patient_and_study(header)
    share_frame_geometry(header)
    return header


def _distinct_instances(datasets: Sequence[Dataset]) -> list[Dataset]:
    by_uid = {str(ds.SOPInstanceUID): ds for ds in reversed(datasets)}
    return [by_uid[uid] for uid in dict.fromkeys(str(ds.SOPInstanceUID) for ds in datasets)]


def _has_distinct_positions(source: Dataset) -> bool:
    """Whether no two frames of `source` share a slice (highdicom's multi-frame requirement)."""
    try:
        positions = [frame_position(source, n + 1) for n in range(number_of_frames(source))]
    except BadInput:
        return True  # let highdicom report what it cannot place
    return len({_key(p) for p in positions}) == len(positions)


def _key(position: Sequence[float]) -> Position:
    x, y, z = (round(float(v), _POSITION_DECIMALS) for v in position)
    return (x, y, z)


def pin_source_references(
    seg: Dataset, pinned: dict[Position, tuple[Dataset, SourceFrame]]
) -> None:
    """Point each SEG frame's Derivation Image Sequence at the source frame it was painted on.

    highdicom matches planes to source frames by position, which cannot tell
    apart frames of different instances at one position (PS3.3 C.7.6.16.2.6:
    the Source Image Sequence names the exact frame).
    """
    for item in seg.PerFrameFunctionalGroupsSequence:
        position = item.PlanePositionSequence[0].ImagePositionPatient
        source, frame = pinned[_key(position)]
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
