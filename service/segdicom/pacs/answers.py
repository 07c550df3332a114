"""A C-FIND or QIDO-RS answer as the fields the API lists: one mapping for both ways of asking.

The two encodings (a pydicom Dataset from DIMSE, DICOM JSON from DICOMweb, PS3.18 F.2) differ
only in how an attribute is read; each passes its reader, and the attributes chosen live here.
"""

from typing import Protocol

from segdicom.pacs.protocol import SeriesInfo, StudyInfo


class Attributes(Protocol):
    """An answer's attributes by keyword (e.g. "StudyInstanceUID")."""

    def text(self, keyword: str) -> str:
        """The first value as text; "" when absent."""
        ...

    def texts(self, keyword: str) -> list[str]:
        """Every value as text; [] when absent."""
        ...

    def number(self, keyword: str) -> int | None:
        """The value as an integer; None when absent or not a number."""
        ...


def study_info(a: Attributes) -> StudyInfo:
    """A STUDY-level answer as the fields of `GET /api/studies`."""
    return StudyInfo(
        study_uid=a.text("StudyInstanceUID"),
        patient_id=a.text("PatientID"),
        patient_name=a.text("PatientName"),
        study_date=a.text("StudyDate"),
        modalities=sorted(a.texts("ModalitiesInStudy")),
        description=a.text("StudyDescription"),
        accession=a.text("AccessionNumber"),
        num_series=a.number("NumberOfStudyRelatedSeries") or 0,
        num_instances=a.number("NumberOfStudyRelatedInstances") or 0,
    )


def series_info(a: Attributes) -> SeriesInfo:
    """A SERIES-level answer as the fields of `GET /api/studies/{uid}/series`."""
    return SeriesInfo(
        series_uid=a.text("SeriesInstanceUID"),
        study_uid=a.text("StudyInstanceUID"),
        modality=a.text("Modality"),
        description=a.text("SeriesDescription"),
        series_number=a.number("SeriesNumber"),
        num_instances=a.number("NumberOfSeriesRelatedInstances") or 0,
    )
