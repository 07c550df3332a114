"""The streaming multipart/related reader used for WADO-RS answers (RFC 2046 5.1.1)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from segdicom.errors import PacsRefused, PacsStopped
from segdicom.pacs.multipart import boundary_of, iter_parts

BOUNDARY = b"3d6b6a416f9b5"


def body(parts: list[bytes], boundary: bytes = BOUNDARY) -> bytes:
    out = b""
    for part in parts:
        out += b"--" + boundary + b"\r\nContent-Type: application/dicom\r\n\r\n" + part + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@given(
    parts=st.lists(st.binary(max_size=300), max_size=5),
    size=st.integers(min_value=1, max_value=400),
)
def test_parts_come_out_whole_however_the_body_is_cut(parts: list[bytes], size: int) -> None:
    # A part may itself contain CRLF, dashes or a prefix of the boundary.
    assert list(iter_parts(chunked(body(parts), size), BOUNDARY)) == parts


def test_a_part_holding_a_prefix_of_the_delimiter_is_kept_intact() -> None:
    tricky = b"\r\n--" + BOUNDARY[:-1] + b"x\r\n\r\n--"
    assert list(iter_parts(chunked(body([tricky, b"b"]), 3), BOUNDARY)) == [tricky, b"b"]


def test_a_body_cut_before_its_closing_boundary_says_how_many_parts_arrived() -> None:
    data = body([b"a" * 10, b"b" * 10])
    with pytest.raises(PacsStopped, match="truncated") as stopped:
        list(iter_parts([data[:-8]], BOUNDARY))
    assert stopped.value.received == 1


def test_a_part_without_headers_end_is_refused() -> None:
    data = b"--" + BOUNDARY + b"\r\nContent-Type: application/dicom\r\n" + b"--" + BOUNDARY + b"--"
    with pytest.raises(PacsRefused, match="header/body separator"):
        list(iter_parts([data], BOUNDARY))


@pytest.mark.parametrize(
    ("content_type", "boundary"),
    [
        ('multipart/related; type="application/dicom"; boundary=abc', b"abc"),
        ('Multipart/Related;boundary="a b"', b"a b"),
    ],
)
def test_the_boundary_is_read_from_the_content_type(content_type: str, boundary: bytes) -> None:
    assert boundary_of(content_type) == boundary


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        ("application/dicom", "expected a multipart/related answer"),
        ("multipart/related; type=application/dicom", "without a boundary"),
    ],
)
def test_a_content_type_that_is_not_usable_names_what_is_wrong(
    content_type: str, message: str
) -> None:
    with pytest.raises(PacsRefused, match=message):
        boundary_of(content_type)
