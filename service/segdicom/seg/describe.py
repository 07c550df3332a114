"""What a SEG list shows about a SEG instance: identity, label, its segments' labels.

One description for SEGs found in the local store and in the PACS (DICOMweb
metadata or a DIMSE C-FIND answer), so every list has the same fields.
"""

from dataclasses import dataclass, field

from pydicom.dataset import Dataset

from segdicom.enums import Destination


@dataclass(frozen=True)
class SegDescription:
    sop_instance_uid: str
    series_uid: str
    study_uid: str
    description: str = ""
    content_label: str = ""
    content_creator: str = ""
    instance_number: int | None = None
    segments: list[str] = field(default_factory=list)
    source: Destination = Destination.PACS  # where it was found: local or pacs


def describe_seg(ds: Dataset, source: Destination) -> SegDescription:
    """A SEG's description from its header (a file or its DICOM JSON metadata)."""
    return SegDescription(
        sop_instance_uid=str(ds.get("SOPInstanceUID", "")),
        series_uid=str(ds.get("SeriesInstanceUID", "")),
        study_uid=str(ds.get("StudyInstanceUID", "")),
        description=str(ds.get("SeriesDescription", "")),
        content_label=str(ds.get("ContentLabel", "")),
        content_creator=str(ds.get("ContentCreatorName", "")),
        instance_number=int(ds.InstanceNumber) if ds.get("InstanceNumber") else None,
        segments=[str(s.get("SegmentLabel", "")) for s in ds.get("SegmentSequence", [])],
        source=source,
    )


def referenced_series(ds: Dataset) -> set[str]:
    """Series a SEG references (PS3.3 C.10.4 Common Instance Reference: the
    Referenced Series Sequence)."""
    return {str(i.get("SeriesInstanceUID", "")) for i in ds.get("ReferencedSeriesSequence", [])}
