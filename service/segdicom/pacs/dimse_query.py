"""C-FIND identifiers and their answers as DESIGN's study and series fields.

PS3.4 C.6.2 (Study Root Query/Retrieve Information Model): an empty attribute
in the identifier asks for it back (a return key); a value is a matching key.
Names, IDs and accession numbers match with `*`/`?` wildcards (PS3.4 C.2.2.2.4);
as in the local search, a bare value matches anywhere, so it becomes `*v*`.
Dates match as a range `from-to` with either bound open (C.2.2.2.5).
"""

from pydicom.dataset import Dataset

from segdicom.pacs.answers import series_info, study_info
from segdicom.pacs.protocol import SeriesInfo, StudyInfo, StudyQuery


def study_identifier(flt: StudyQuery) -> Dataset:
    """A STUDY-level C-FIND identifier for `flt`, asking for every field we show."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = ""
    ds.PatientID = _anywhere(flt.patient_id)
    ds.PatientName = _anywhere(flt.patient_name)
    ds.AccessionNumber = _anywhere(flt.accession)
    ds.StudyDate = _date_range(flt.date_from, flt.date_to)
    ds.ModalitiesInStudy = flt.modality
    ds.StudyDescription = ""
    ds.NumberOfStudyRelatedSeries = ""
    ds.NumberOfStudyRelatedInstances = ""
    return ds


def series_identifier(study_uid: str, modality: str = "") -> Dataset:
    """A SERIES-level C-FIND identifier for the series of one study."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "SERIES"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = ""
    ds.Modality = modality
    ds.SeriesDescription = ""
    ds.SeriesNumber = ""
    ds.NumberOfSeriesRelatedInstances = ""
    return ds


def image_identifier(study_uid: str, series_uid: str) -> Dataset:
    """An IMAGE-level C-FIND identifier for the instances of one series."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "IMAGE"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.SOPInstanceUID = ""
    ds.InstanceNumber = ""
    return ds


def move_identifier(study_uid: str, series_uid: str, sop_uids: list[str] | None) -> Dataset:
    """A C-MOVE identifier: the whole series, or only the listed instances.

    PS3.4 C.4.2.2.1: at IMAGE level the SOP Instance UID may be a list.
    """
    ds = Dataset()
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    if sop_uids is None:
        ds.QueryRetrieveLevel = "SERIES"
    else:
        ds.QueryRetrieveLevel = "IMAGE"
        ds.SOPInstanceUID = sop_uids
    return ds


def study_fields(ds: Dataset) -> StudyInfo:
    """A STUDY-level answer as the fields of `GET /api/studies`."""
    return study_info(_DatasetAttributes(ds))


def series_fields(ds: Dataset) -> SeriesInfo:
    """A SERIES-level answer as the fields of `GET /api/studies/{uid}/series`."""
    return series_info(_DatasetAttributes(ds))


class _DatasetAttributes:
    """A C-FIND answer read by keyword."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds

    def text(self, keyword: str) -> str:
        return _text(self.ds, keyword)

    def texts(self, keyword: str) -> list[str]:
        return _values(self.ds, keyword)

    def number(self, keyword: str) -> int | None:
        value = self.ds.get(keyword)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            return None


def _anywhere(value: str) -> str:
    if not value or "*" in value or "?" in value:
        return value
    return f"*{value}*"


def _date_range(date_from: str, date_to: str) -> str:
    if not date_from and not date_to:
        return ""
    if date_from == date_to:
        return date_from
    return f"{date_from}-{date_to}"


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    return "" if value is None else str(value).replace("\x00", "").strip()


def _values(ds: Dataset, keyword: str) -> list[str]:
    value = ds.get(keyword)
    if value is None or value == "":
        return []
    items = [value] if isinstance(value, str) else list(value)  # MultiValue is a list
    return [str(v).strip() for v in items if str(v).strip()]
