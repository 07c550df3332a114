"""CSV cells: spreadsheet formula injection neutralised, time filters parsed."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from segdicom.api.log import neutralise, parse_since
from segdicom.errors import BadInput


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("http://evil.example","x")',
        "+1+1",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1",
        "\r=1",
    ],
)
def test_formula_starts_get_a_leading_quote(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Liver", "1.2.840.113619", "12", "a=b", "", "Tumor; Liver"])
def test_plain_cells_are_unchanged(cell: str) -> None:
    assert neutralise(cell) == cell


def test_numbers_stay_numbers_and_text_that_looks_like_one_is_guarded() -> None:
    # Before: -7 and -25.6 came out as text ('-7), unusable in a spreadsheet's sums.
    assert neutralise(None) == ""
    assert neutralise(7) == "7"
    assert neutralise(-7) == "-7"
    assert neutralise(-25.6) == "-25.6"
    assert neutralise(1 / 3) == "0.333333"
    assert neutralise(float("nan")) == ""
    assert neutralise(0.0) == "0"
    assert neutralise("-7") == "'-7"


def test_since_parsing() -> None:
    assert parse_since(None) is None
    assert parse_since("") is None
    assert parse_since("2026-01-02") == datetime(2026, 1, 2, tzinfo=UTC)
    assert parse_since("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    plus_two = parse_since("2026-01-02T03:04:05+02:00")
    assert plus_two == datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    with pytest.raises(BadInput, match="since"):
        parse_since("yesterday")
