"""The PACS as the rest of the service sees it: search, retrieve, store, find SEGs.

DICOMweb (`pacs.dicomweb`) and DIMSE (`pacs.dimse`) both satisfy `Pacs`, so the
workflows and the tests work against either, and against the real Orthanc.
Answers are dataclasses with the fields of DESIGN.md's HTTP API
(`dataclasses.asdict` gives the JSON).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pydicom.dataset import Dataset

from segdicom.seg.describe import SegDescription

# A received instance: Part 10 bytes (WADO-RS) or a dataset (C-MOVE into our SCP).
Received = bytes | Dataset
OnInstance = Callable[[Received], object]


@dataclass(frozen=True)
class StudyInfo:
    """A study the PACS holds."""

    study_uid: str
    patient_id: str = ""
    patient_name: str = ""
    study_date: str = ""
    modalities: list[str] = field(default_factory=list)
    description: str = ""
    accession: str = ""
    num_series: int = 0
    num_instances: int = 0


@dataclass(frozen=True)
class SeriesInfo:
    """A series the PACS holds."""

    series_uid: str
    study_uid: str
    modality: str = ""
    description: str = ""
    series_number: int | None = None
    num_instances: int = 0


class StudyQuery(Protocol):
    """Study search criteria (db.instances.StudyFilter satisfies it).

    Names, IDs and accession numbers may hold DICOM wildcards `*` and `?`;
    a bare value matches anywhere. Dates are YYYYMMDD, either bound optional.
    """

    @property
    def patient_id(self) -> str: ...
    @property
    def patient_name(self) -> str: ...
    @property
    def modality(self) -> str: ...
    @property
    def date_from(self) -> str: ...
    @property
    def date_to(self) -> str: ...
    @property
    def accession(self) -> str: ...


class Pacs(Protocol):
    """A remote archive. Errors: PacsUnavailable (unreachable), PacsRefused (said no)."""

    @property
    def name(self) -> str:
        """Where the PACS is (URL, or AE@host:port), for messages."""
        ...

    def search_studies(self, flt: StudyQuery, limit: int, offset: int) -> list[StudyInfo]:
        """Studies matching `flt`, `offset` then up to `limit`."""
        ...

    def search_series(self, study_uid: str) -> list[SeriesInfo]:
        """Series of a study, by series number."""
        ...

    def series_instances(self, study_uid: str, series_uid: str) -> list[str]:
        """The SOP Instance UIDs of a series."""
        ...

    def retrieve_series(
        self, study_uid: str, series_uid: str, on_instance: OnInstance, skip: set[str]
    ) -> int:
        """Fetch the instances of a series not in `skip` (SOP Instance UIDs), calling
        `on_instance` for each as it arrives; answers how many arrived."""
        ...

    def store(self, data: Path | bytes) -> None:
        """Store one Part 10 object; storing the same SOP Instance UID again is fine."""
        ...

    def find_segs(self, study_uid: str, series_uid: str) -> list[SegDescription]:
        """SEG instances of the study that reference `series_uid` (over DIMSE: every SEG
        of the study, with fewer fields, since C-FIND cannot match references)."""
        ...
