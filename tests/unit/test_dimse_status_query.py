"""DIMSE statuses and C-FIND identifiers/answers: pure functions."""

import pytest
from pydicom.dataset import Dataset

from segdicom.db.instances import StudyFilter
from segdicom.errors import BadInput, SopClassMismatch, StoreFailed, TooLarge, Unprocessable
from segdicom.pacs import dimse_query as q
from segdicom.pacs.dimse_status import Status, describe, error_comment, store_failure


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (StoreFailed("disk full"), 0xA700),
        (TooLarge("big"), 0xC000),  # over our hard limits: resending cannot help
        (SopClassMismatch("class"), 0xA900),
        (BadInput("truncated"), 0xC000),
        (Unprocessable("odd"), 0xC000),
    ],
)
def test_store_failure_never_success(exc: BadInput, code: int) -> None:
    status = store_failure(exc)
    assert status.code == code and not status.is_success
    ds = status.dataset()
    assert ds.Status == code and ds.ErrorComment == exc.detail


def test_error_comment_fits_lo() -> None:
    assert error_comment("a\\b\x00" + "x" * 100) == "a b " + "x" * 60
    assert "ErrorComment" not in Status(0).dataset()


def test_describe() -> None:
    assert describe(0xA801) == "0xA801 move destination unknown"
    assert describe(0xA702) == "0xA702 out of resources"
    assert describe(0xC123) == "0xC123 cannot understand"


def test_study_identifier_wildcards_and_dates() -> None:
    ds = q.study_identifier(StudyFilter(patient_name="Doe", date_from="20240101", modality="CT"))
    assert ds.QueryRetrieveLevel == "STUDY"
    assert ds.PatientName == "*Doe*"
    assert ds.PatientID == ""
    assert ds.StudyDate == "20240101-"
    assert ds.ModalitiesInStudy == "CT"
    exact = q.study_identifier(
        StudyFilter(patient_id="12?4", date_from="20240101", date_to="20240101")
    )
    assert exact.PatientID == "12?4" and exact.StudyDate == "20240101"


def test_study_fields_from_answer() -> None:
    ds = Dataset()
    ds.StudyInstanceUID, ds.PatientName, ds.ModalitiesInStudy = "1.2", "Doe^J", ["MR", "CT"]
    ds.NumberOfStudyRelatedSeries, ds.NumberOfStudyRelatedInstances = "2", "40"
    fields = q.study_fields(ds)
    assert fields.modalities == ["CT", "MR"]
    assert (fields.num_series, fields.num_instances) == (2, 40)
    assert fields.patient_name == "Doe^J" and fields.description == ""


def test_move_identifier_levels() -> None:
    assert q.move_identifier("1.2", "1.2.3", None).QueryRetrieveLevel == "SERIES"
    image = q.move_identifier("1.2", "1.2.3", ["1.2.3.4", "1.2.3.5"])
    assert image.QueryRetrieveLevel == "IMAGE" and list(image.SOPInstanceUID) == [
        "1.2.3.4",
        "1.2.3.5",
    ]
