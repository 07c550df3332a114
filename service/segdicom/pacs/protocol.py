"""The PACS as the rest of the service sees it: search, retrieve, store, find SEGs.

DICOMweb (`pacs.dicomweb`) and DIMSE (`pacs.dimse`) both satisfy `Pacs`, so the
workflows and the tests work against either, and against the real Orthanc.
Answers are plain JSON-ready dicts with the fields of DESIGN.md's HTTP API.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from pydicom.dataset import Dataset

# A received instance: Part 10 bytes (WADO-RS) or a dataset (C-MOVE into our SCP).
Received = bytes | Dataset
OnInstance = Callable[[Received], object]


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

    def search_studies(self, flt: StudyQuery, limit: int, offset: int) -> list[dict[str, Any]]:
        """Studies: study_uid, patient_id, patient_name, study_date, modalities,
        description, accession, num_series, num_instances."""
        ...

    def search_series(self, study_uid: str) -> list[dict[str, Any]]:
        """Series of a study: series_uid, study_uid, modality, description,
        series_number, num_instances."""
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

    def find_segs(self, study_uid: str, series_uid: str) -> list[dict[str, Any]]:
        """SEG instances of the study that reference `series_uid`: sop_instance_uid,
        series_uid, study_uid, description, instance_number, content_label, segments."""
        ...
