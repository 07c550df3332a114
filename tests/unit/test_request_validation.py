"""Request models turn bad input into one BadInput whose sentences name the field and value."""

import pytest
from starlette.requests import Request

from segdicom.api import schemas
from segdicom.api.uploads import _check_length
from segdicom.api.validation import validate
from segdicom.errors import BadInput, TooLarge


@pytest.mark.parametrize(
    "model, values, expected",
    [
        (schemas.CreateAnnotation, {}, "`series_uid` is required"),
        (schemas.CreateAnnotation, {"series_uid": None}, "`series_uid` must be a string, got None"),
        (
            schemas.CreateAnnotation,
            {"series_uid": "1." + "2" * 80},
            "`series_uid` is not a valid DICOM UID",
        ),
        (
            schemas.ExportIn,
            {"destination": "x"},
            "`destination` must be one of local, pacs, got 'x'",
        ),
        (schemas.SegmentIn, {"color": "red"}, "`color` must be '#rrggbb', got 'red'"),
        (schemas.SegmentIn, {"label": "  "}, "`label` must have at least 1 character(s)"),
        (schemas.SegmentIn, {"label": "x" * 65}, "`label` must have at most 64 characters"),
        (schemas.SegmentIn, {"category": {"code": "1"}}, "`category.scheme` is required"),
        (schemas.SegmentIn, {"type": []}, "`type` must be an object, got []"),
        (schemas.StudyQuery, {"limit": "0"}, "`limit` must be >= 1, got '0'"),
        (schemas.StudyQuery, {"offset": "x"}, "`offset` must be an integer, got 'x'"),
        # Checked as a calendar date, and the message shows the value as given.
        (
            schemas.StudyQuery,
            {"date_from": "20250230"},
            "`date_from` must be a date YYYYMMDD or YYYY-MM-DD, got '20250230'",
        ),
        (
            schemas.StudyQuery,
            {"date_to": "-1"},
            "`date_to` must be a date YYYYMMDD or YYYY-MM-DD, got '-1'",
        ),
        (schemas.StudyQuery, {"date_to": "2025-1-01"}, "`date_to` must be a date"),
        (schemas.UserChange, {"disabled": "maybe"}, "`disabled` must be true or false"),
        (schemas.UserIn, {"username": "-x"}, "`username` must be 1-64 characters"),
    ],
)
def test_errors_name_the_field(model: type, values: dict[str, object], expected: str) -> None:
    with pytest.raises(BadInput) as caught:
        validate(model, values)
    assert expected in caught.value.detail


def test_several_errors_are_one_answer() -> None:
    with pytest.raises(BadInput) as caught:
        validate(schemas.RetrieveIn, {"via": "ftp"})
    assert caught.value.detail == (
        "`study_uid` is required; `via` must be one of dicomweb, dimse, got 'ftp'"
    )


def test_valid_input_keeps_defaults_and_strips_labels() -> None:
    segment = validate(schemas.SegmentIn, {"label": " Liver ", "color": "", "extra": 1})
    assert (segment.label, segment.color, segment.category) == ("Liver", None, None)
    assert validate(schemas.ExportIn, {}).destination == "local"
    query = validate(schemas.StudyQuery, {"limit": "5"})
    assert (query.limit, query.offset, query.source) == (5, 0, "local")


def test_study_dates_are_given_as_dicom_dates() -> None:
    query = schemas.StudyQuery.model_validate({"date_from": "2024-02-29", "date_to": "20241231"})
    assert (query.date_from, query.date_to) == ("20240229", "20241231")
    assert schemas.StudyQuery.model_validate({}).date_from == ""


def test_upload_length_check_ignores_a_non_ascii_content_length() -> None:
    # A latin-1 '²' passes str.isdigit() but not int(); the body's own size is checked later.
    _check_length(Request({"type": "http", "headers": [(b"content-length", b"\xb2")]}), 10)
    with pytest.raises(TooLarge):
        _check_length(Request({"type": "http", "headers": [(b"content-length", b"11")]}), 10)
