"""Reformats through the API: a tilted, unevenly spaced CT is flagged and resampled in patient
space; every plane says where it lies (headers); a regular series is served as the stack cut."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient
from tests import tilted_series as tilted
from tests.integration.support import series_info, slice_values, upload, upload_series


def _plane(client: TestClient, info: dict[str, Any], axis: str, index: int) -> Any:
    response = client.get(f"/api/series/{info['series_uid']}/reformat/{axis}/{index}")
    assert response.status_code == 200, response.text
    return response


def _values(response: Any, dtype: str) -> np.ndarray:
    height, width = int(response.headers["x-height"]), int(response.headers["x-width"])
    values = np.frombuffer(response.content, np.dtype(dtype).newbyteorder("<"))
    return values.reshape(height, width)


def _floats(header: str) -> list[float]:
    return [float(v) for v in header.split("\\")]


def test_tilted_series_is_flagged_and_resampled_in_patient_space(
    client: TestClient, tmp_path: Path
) -> None:
    response = upload(client, tilted.write_series(tmp_path / "tilted"))
    assert response.status_code == 200, response.text
    info = series_info(client, response.json()["series"][0]["series_uid"])
    geometry = info["geometry"]
    assert not geometry["regular"]
    assert geometry["tilt_degrees"] == pytest.approx(tilted.TILT_DEGREES, abs=0.1)
    assert (geometry["spacing_min"], geometry["spacing_max"]) == pytest.approx((4.0, 8.0))
    assert geometry["missing_slices"] == 1

    sagittal = info["reformat"]["sagittal"]
    assert sagittal["rows"] == 26 and sagittal["planes"] == tilted.COLUMNS
    assert sagittal["pixel_spacing"] == pytest.approx([4.0, tilted.ROW_SPACING])
    index = 62  # through the sphere's centre: x = -50 + 62 * 0.9 = 5.8 mm, 5.8 mm off
    response = _plane(client, info, "sagittal", index)
    headers = response.headers
    assert (int(headers["x-height"]), int(headers["x-width"])) == (
        sagittal["rows"],
        sagittal["columns"],
    )
    assert headers["x-dtype"] == info["dtype"] == "int16"
    assert _floats(headers["x-pixel-spacing"]) == pytest.approx(sagittal["pixel_spacing"])
    origin = np.add(sagittal["origin"], np.multiply(sagittal["plane_normal"], index * 0.9))
    assert _floats(headers["x-image-position"]) == pytest.approx(origin, abs=1e-6)
    orientation = sagittal["row_direction"] + sagittal["column_direction"]
    assert _floats(headers["x-image-orientation"]) == pytest.approx(orientation)
    exposed = headers["access-control-expose-headers"]
    for name in ("X-Pixel-Spacing", "X-Image-Position", "X-Image-Orientation", "X-Height"):
        assert name in exposed

    # The sphere's chord in this plane: centred on the sphere's y and z, as long as the chord.
    plane = _values(response, info["dtype"]).astype(np.float64)
    chord = 2 * np.sqrt(tilted.RADIUS**2 - (origin[0] - tilted.CENTRE[0]) ** 2)
    inside = plane > (tilted.INSIDE + tilted.OUTSIDE) / 2
    rows, columns = np.nonzero(inside)
    y = origin[1] + columns * tilted.ROW_SPACING
    z = origin[2] + rows * 4.0
    assert y.mean() == pytest.approx(tilted.CENTRE[1], abs=tilted.ROW_SPACING)
    assert z.mean() == pytest.approx(tilted.CENTRE[2], abs=4.0)
    assert y.max() - y.min() == pytest.approx(chord, abs=2 * tilted.ROW_SPACING)
    assert z.max() - z.min() == pytest.approx(chord, abs=2 * 4.0)


def test_reformat_index_out_of_range_names_the_range(client: TestClient) -> None:
    info = series_info(client, upload_series(client, "ct_philips_phantom"))
    planes = info["reformat"]["coronal"]["planes"]
    response = client.get(f"/api/series/{info['series_uid']}/reformat/coronal/{planes}")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert f"0-{planes - 1}" in response.json()["detail"]


def test_regular_series_reformat_is_the_stack_cut_with_its_place(client: TestClient) -> None:
    info = series_info(client, upload_series(client, "ct_philips_phantom"))
    assert info["geometry"] == {
        "regular": True,
        "tilt_degrees": 0.0,
        "spacing_min": pytest.approx(5.0),
        "spacing_max": pytest.approx(5.0),
        "missing_slices": 0,
        "shared_positions": 0,
        "pixel_spacing_known": True,
    }
    coronal = info["reformat"]["coronal"]
    assert (coronal["planes"], coronal["rows"], coronal["columns"]) == (
        info["rows"],
        info["num_slices"],
        info["columns"],
    )
    response = _plane(client, info, "coronal", 200)
    plane = _values(response, info["dtype"])
    for k in (0, 11, info["num_slices"] - 1):
        assert np.array_equal(plane[k], slice_values(client, info, k)[200])
    first = np.asarray(info["slices"][0]["position"])
    row = np.asarray(info["orientation"][3:])
    expected = first + 200 * info["spacing"][0] * row
    assert _floats(response.headers["x-image-position"]) == pytest.approx(expected, abs=1e-4)
    assert _floats(response.headers["x-pixel-spacing"]) == pytest.approx([5.0, info["spacing"][1]])
