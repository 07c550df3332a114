"""A margin through the API on a gantry-tilted CT with a missing slice: measured in patient
space, previewed and applied alike."""

import base64
import math
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient
from tests import tilted_series as tilted
from tests.integration.support import (
    create_annotation,
    disc,
    mask_from,
    put_mask,
    put_segment,
    series_info,
    upload,
)

from segdicom.imaging.margin_geometry import SlicePlacement, margin_in_space

PAINTED = 5  # depth 20 mm; slice 4 lies 4 mm before it, slice 6 (after the gap) 8 mm after
CENTRE = (48.0, 56.0)  # row, column on the painted slice


def _placement() -> SlicePlacement:
    """The tilted series' slices from its constants: depth along z, sheared down the rows."""
    depths = np.asarray(tilted.DEPTHS, dtype=np.float64)
    along = np.stack([depths, depths * tilted.shear(), np.zeros_like(depths)], axis=1)
    return SlicePlacement(along, (tilted.ROW_SPACING, tilted.COLUMN_SPACING))


def test_margin_on_a_tilted_gapped_series_follows_each_slice(
    client: TestClient, tmp_path: Path
) -> None:
    response = upload(client, tilted.write_series(tmp_path / "tilted"))
    assert response.status_code == 200, response.text
    info = series_info(client, response.json()["series"][0]["series_uid"])
    assert not info["geometry"]["regular"]
    rows, columns = info["rows"], info["columns"]
    aid = create_annotation(client, info["series_uid"])["id"]
    painted = disc(rows, columns, *CENTRE, 4.0)
    version = put_mask(client, aid, 1, PAINTED, painted, put_segment(client, aid, 1, label="L"))

    url = f"/api/annotations/{aid}/operations"
    body = {"operation": "margin", "segment": 1, "mm": 5.0}
    headers = {"If-Match": f'"{version}"'}
    preview = client.post(url, json=body | {"preview": True}, headers=headers)
    assert preview.status_code == 200, preview.text
    shown = {
        m["slice"]: mask_from(base64.b64decode(m["mask"]), rows, columns)
        for m in preview.json()["masks"]
    }
    applied = client.post(url, json=body, headers=headers)
    assert applied.status_code == 200, applied.text
    # The slice before lies 4 mm off; the one after the missing slice 8 mm: out of reach.
    assert applied.json()["changed"] == [{"segment": 1, "slices": [4, 5]}]
    assert sorted(shown) == [4, 5]

    volume = np.zeros((len(tilted.DEPTHS), rows, columns), dtype=bool)
    volume[PAINTED] = painted
    expected = margin_in_space(volume, 5.0, _placement().around(0, len(tilted.DEPTHS)))
    for k in (4, 5):
        stored = client.get(f"/api/annotations/{aid}/segments/1/slices/{k}")
        grown = mask_from(stored.content, rows, columns)
        np.testing.assert_array_equal(grown, shown[k])
        np.testing.assert_array_equal(grown, expected[k])
    # Slice 4 starts 4 mm x tan(tilt) higher up: the disc's centre lies that much lower on it.
    found = np.argwhere(expected[4])
    drop = 4 * math.tan(math.radians(tilted.TILT_DEGREES)) / tilted.ROW_SPACING
    assert found[:, 0].mean() == pytest.approx(CENTRE[0] + drop, abs=0.3)
    assert found[:, 1].mean() == pytest.approx(CENTRE[1], abs=0.3)
