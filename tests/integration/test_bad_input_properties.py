"""Property tests: the mask decoder, the upload parser and the CSV filters never fail
with anything but a clear 4xx (BadInput), whatever they are given."""

import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from segdicom.app import create_app
from segdicom.config import Settings
from segdicom.errors import BadInput
from segdicom.masks import decode_mask

FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = Path(tmp_path_factory.mktemp("props")) / "data"
    with TestClient(create_app(Settings(data_dir=data, dicom_port=0))) as client:
        yield client


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096), st.integers(1, 64), st.integers(1, 64))
def test_decode_mask_any_bytes(data: bytes, rows: int, columns: int) -> None:
    try:
        mask = decode_mask(data, rows, columns)
    except BadInput as exc:
        assert exc.detail
    else:
        assert mask.shape == (rows, columns) and mask.dtype == bool


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.data())
def test_decode_mask_round_trip_and_wrong_shape(
    rows: int, columns: int, data: st.DataObject
) -> None:
    bits = data.draw(st.lists(st.booleans(), min_size=rows * columns, max_size=rows * columns))
    mask = np.array(bits, dtype=bool).reshape(rows, columns)
    body = zlib.compress(np.packbits(mask, axis=None).tobytes())
    assert np.array_equal(decode_mask(body, rows, columns), mask)
    if (rows * columns + 7) // 8 != (rows * (columns + 8) + 7) // 8:
        with pytest.raises(BadInput, match="expected"):
            decode_mask(body, rows, columns + 8)


@FAST
@given(
    st.binary(max_size=2048),
    st.text(min_size=0, max_size=300).filter(
        lambda t: '"' not in t and "\r" not in t and "\n" not in t
    ),
)
def test_upload_parser_any_file(shared: TestClient, body: bytes, name: str) -> None:
    # A DICOM-looking prefix some of the time, so the parser gets past the preamble.
    for payload in (body, b"\0" * 128 + b"DICM" + body):
        files = [("files", (name or "x", payload, "application/octet-stream"))]
        response = shared.post("/api/uploads", files=files)
        assert response.status_code in (200, 400, 422), response.text
        assert response.json()["detail"] if response.status_code != 200 else True


@FAST
@given(st.binary(max_size=1024))
def test_upload_parser_raw_multipart(shared: TestClient, body: bytes) -> None:
    headers = {"content-type": "multipart/form-data; boundary=xyz"}
    response = shared.post("/api/uploads", content=b"--xyz\r\n" + body, headers=headers)
    assert response.status_code in (400, 413, 422), response.text
    assert set(response.json()) >= {"error", "detail"}


@FAST
@given(st.text(max_size=80), st.text(max_size=80))
def test_csv_filters_any_text(shared: TestClient, since: str, series_uid: str) -> None:
    response = shared.get("/api/log.csv", params={"since": since, "series_uid": series_uid})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["detail"]
    else:
        assert response.text.startswith("timestamp,user,action")
