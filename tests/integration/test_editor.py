"""The segment editor's server side over HTTP on a real CT: statistics checked against an
independent pydicom computation, volume operations with one version bump each."""

import base64
import csv
import io
import math
import subprocess
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from starlette.testclient import TestClient
from tests.helpers import dicom_files, require_tool
from tests.integration.support import (
    create_annotation,
    mask_from,
    put_mask,
    put_segment,
    series_info,
    upload_series,
)

BOX = (slice(3, 6), slice(200, 240), slice(230, 290))  # slices, rows, columns


@pytest.fixture
def phantom(client: TestClient) -> dict:  # type: ignore[type-arg]
    """An annotation of the Philips CT phantom with segment 1 painted as BOX."""
    info = series_info(client, upload_series(client, "ct_philips_phantom"))
    annotation = create_annotation(client, info["series_uid"])
    version = put_segment(client, annotation["id"], 1, label="Liver")
    mask = np.zeros((info["rows"], info["columns"]), dtype=bool)
    mask[BOX[1], BOX[2]] = True
    for k in range(BOX[0].start, BOX[0].stop):
        version = put_mask(client, annotation["id"], 1, k, mask, version)
    return {"info": info, "id": annotation["id"], "version": version}


def _by_sop() -> dict[str, pydicom.Dataset]:
    found = {}
    for path in dicom_files("ct_philips_phantom"):
        ds = pydicom.dcmread(path)
        found[str(ds.SOPInstanceUID)] = ds
    return found


def test_statistics_of_a_painted_box_match_pydicom(client: TestClient, phantom: dict) -> None:  # type: ignore[type-arg]
    info = phantom["info"]
    answer = client.get(f"/api/annotations/{phantom['id']}/statistics")
    assert answer.status_code == 200, answer.text
    (found,) = answer.json()["segments"]
    files = _by_sop()
    slices = [files[info["slices"][k]["sop_instance_uid"]] for k in range(3, 6)]
    hu = np.concatenate(
        [
            (ds.pixel_array.astype(float) * float(ds.RescaleSlope) + float(ds.RescaleIntercept))[
                BOX[1], BOX[2]
            ].ravel()
            for ds in slices
        ]
    )
    dr, dc = (float(v) for v in slices[0].PixelSpacing)
    z = [float(ds.ImagePositionPatient[2]) for ds in slices]
    gap = abs(z[1] - z[0])  # the phantom's slices are evenly 5 mm apart
    assert gap == pytest.approx(5.0)
    assert found["number"] == 1 and found["label"] == "Liver"
    assert found["voxels"] == hu.size == 3 * 40 * 60
    assert found["volume_mm3"] == pytest.approx(hu.size * dr * dc * gap)
    assert found["volume_ml"] == pytest.approx(hu.size * dr * dc * gap / 1000)
    assert found["mean"] == pytest.approx(hu.mean())
    assert found["sd"] == pytest.approx(hu.std())
    assert found["median"] == pytest.approx(np.median(hu))
    assert (found["min"], found["max"]) == (hu.min(), hu.max())
    assert found["bbox"] == {"slices": [3, 5], "rows": [200, 239], "columns": [230, 289]}
    assert found["slices"] == [3, 4, 5]
    diagonal = math.sqrt((59 * dc) ** 2 + (39 * dr) ** 2 + (z[2] - z[0]) ** 2)
    assert found["max_diameter_mm"] == pytest.approx(diagonal)


def _operate(client: TestClient, aid: int, version: int | None, **body: object):  # type: ignore[no-untyped-def]
    headers = {} if version is None else {"If-Match": f'"{version}"'}
    return client.post(f"/api/annotations/{aid}/operations", json=body, headers=headers)


def test_margin_writes_every_changed_slice_with_one_version_bump(
    client: TestClient,
    phantom: dict,  # type: ignore[type-arg]
) -> None:
    aid, version, info = phantom["id"], phantom["version"], phantom["info"]
    answer = _operate(client, aid, version, operation="margin", segment=1, mm=6.0)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["version"] == version + 1
    # 6 mm reaches one slice either side of the 5 mm spaced box, and every box slice grows.
    assert body["changed"] == [{"segment": 1, "slices": [2, 3, 4, 5, 6]}]
    mask = client.get(f"/api/annotations/{aid}/segments/1/slices/4")
    grown = mask_from(mask.content, info["rows"], info["columns"])
    rows = np.flatnonzero(grown.any(axis=1))
    # The surface lies half a row out: a row d rows away joins when (d - 0.5) x spacing <= 6.
    assert rows[0] == 200 - math.floor(6.0 / info["spacing"][0] + 0.5)
    assert client.get(f"/api/annotations/{aid}").json()["version"] == version + 1
    stale = _operate(client, aid, version, operation="margin", segment=1, mm=2.0)
    assert stale.status_code == 409
    assert "version" in stale.json()["detail"]
    missing = _operate(client, aid, None, operation="margin", segment=1, mm=2.0)
    assert missing.status_code == 400
    assert "If-Match" in missing.json()["detail"]
    log = list(csv.DictReader(io.StringIO(client.get("/api/log.csv").text)))
    ops = [row for row in log if row["action"] == "op_margin"]
    assert len(ops) == 1
    assert ops[0]["annotation_id"] == str(aid) and ops[0]["slice"] == "2-6"
    assert ops[0]["labels"] == "Liver" and '"mm": 6.0' in ops[0]["detail"]


def test_operations_keep_to_the_editable_area(client: TestClient, phantom: dict) -> None:  # type: ignore[type-arg]
    """A margin set not to paint over others stops at segment 2's voxels; one set not to paint
    over locked segments passes unlocked ones; a locked target is never changed."""
    aid, version, info = phantom["id"], phantom["version"], phantom["info"]
    version = put_segment(client, aid, 2, label="Bone", version=version)
    wall = np.zeros((info["rows"], info["columns"]), dtype=bool)
    wall[190:200, 220:300] = True  # just above segment 1's box on slice 4
    version = put_mask(client, aid, 2, 4, wall, version)

    def grown_rows(**area: object) -> np.ndarray:
        body = _operate(
            client, aid, version, operation="margin", segment=1, mm=6.0, preview=True, **area
        ).json()
        item = next(m for m in body["masks"] if m["segment"] == 1 and m["slice"] == 4)
        return mask_from(base64.b64decode(item["mask"]), info["rows"], info["columns"])

    free = grown_rows()
    assert free[195, 250] and (free & wall).any()
    kept = grown_rows(overlap="no_other")
    assert not (kept & wall).any() and kept[200:240, 230:290].all() and kept[220, 225]
    assert (grown_rows(overlap="no_locked", locked=[]) == free).all()
    assert not (grown_rows(overlap="no_locked", locked=[2]) & wall).any()
    locked = _operate(client, aid, version, operation="margin", segment=1, mm=6.0, locked=[1])
    assert locked.status_code == 200, locked.text
    assert locked.json()["changed"] == []
    bad = _operate(client, aid, version, operation="margin", segment=1, mm=6.0, overlap="x")
    assert bad.status_code == 400 and "overlap" in bad.json()["detail"]


def test_preview_answers_masks_and_writes_nothing(client: TestClient, phantom: dict) -> None:  # type: ignore[type-arg]
    aid, version, info = phantom["id"], phantom["version"], phantom["info"]
    put_segment(client, aid, 2, label="Bone")
    version += 1
    seed = np.zeros((info["rows"], info["columns"]), dtype=bool)
    seed[100:104, 100:104] = True
    version = put_mask(client, aid, 2, 4, seed, version)
    body = _operate(
        client, aid, version, operation="grow_from_seeds", segments=[1, 2], preview=True
    ).json()
    assert body["version"] is None and body["preview"] is True
    assert {c["segment"] for c in body["changed"]} == {1, 2}
    first = body["masks"][0]
    decoded = mask_from(base64.b64decode(first["mask"]), info["rows"], info["columns"])
    assert decoded.any()
    assert client.get(f"/api/annotations/{aid}").json()["version"] == version
    applied = _operate(client, aid, version, operation="grow_from_seeds", segments=[1, 2])
    assert applied.json()["version"] == version + 1
    assert applied.json()["changed"] == body["changed"]


def test_scissors_through_all_slices_and_islands_split(client: TestClient, phantom: dict) -> None:  # type: ignore[type-arg]
    aid, version = phantom["id"], phantom["version"]
    square = [[10, 10], [10, 30], [30, 30], [30, 10]]
    cut = _operate(client, aid, version, operation="scissors", segment=1, polygon=square)
    assert cut.status_code == 200, cut.text
    assert cut.json()["changed"][0]["slices"] == list(range(phantom["info"]["num_slices"]))
    log = list(csv.DictReader(io.StringIO(client.get("/api/log.csv").text)))
    (row,) = [r for r in log if r["action"] == "op_scissors"]
    assert '"vertices": 4' in row["detail"] and '"rows": [10.0, 30.0]' in row["detail"]
    split = _operate(client, aid, version + 1, operation="islands", segment=1, action="split")
    assert split.json()["created"] == [2]
    assert [c["segment"] for c in split.json()["changed"]] == [1, 2]
    segments = client.get(f"/api/annotations/{aid}").json()["segments"]
    assert [(s["number"], s["label"]) for s in segments] == [(1, "Liver"), (2, "Liver 2")]


def test_segment_status_is_saved_and_validated(client: TestClient, phantom: dict) -> None:  # type: ignore[type-arg]
    aid = phantom["id"]
    assert client.get(f"/api/annotations/{aid}").json()["segments"][0]["status"] == "not_started"
    put_segment(client, aid, 1, status="flagged")
    put_segment(client, aid, 1, label="Liver")  # a rename keeps the status
    assert client.get(f"/api/annotations/{aid}").json()["segments"][0]["status"] == "flagged"
    version = client.get(f"/api/annotations/{aid}").json()["version"]
    bad = client.put(
        f"/api/annotations/{aid}/segments/1",
        json={"status": "done"},
        headers={"If-Match": f"{version}"},
    )
    assert bad.status_code == 400 and "`status` must be one of" in bad.json()["detail"]


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"operation": "paint"}, "`operation` must be one of margin, smoothing"),
        ({"operation": "margin", "segment": 1}, "`mm` is required"),
        ({"operation": "margin", "segment": 0, "mm": 1}, "`segment` must be >= 1, got 0"),
        (
            {"operation": "smoothing", "segment": 1, "method": "gauss"},
            "`method` must be one of median, opening, closing, got 'gauss'",
        ),
        ({"operation": "logic", "op": "union", "segment": 1}, "`source` is required for op union"),
        (
            {"operation": "grow_from_seeds", "segments": [1]},
            "`segments` must have at least 2 item(s)",
        ),
        (
            {"operation": "scissors", "segment": 1, "polygon": [[1, 2]]},
            "`polygon` must have at least 3 item(s)",
        ),
        ({"operation": "margin", "segment": 1, "mm": 0}, "`mm` must not be 0"),
        (
            {"operation": "islands", "segment": 1, "action": "remove_small"},
            "`min_voxels` is required",
        ),
        (
            {"operation": "scissors", "segment": 1, "polygon": [[1, 2]] * 3, "slices": [4, 2]},
            "first <= last",
        ),
        ({"operation": "margin", "segment": 9, "mm": 1}, "no segment 9"),
    ],
)
def test_bad_operation_bodies_name_the_field(
    client: TestClient,
    phantom: dict,  # type: ignore[type-arg]
    body: dict,  # type: ignore[type-arg]
    names: str,
) -> None:
    answer = _operate(client, phantom["id"], phantom["version"], **body)
    assert answer.status_code in (400, 404)
    assert names in answer.json()["detail"]


def test_seg_of_an_edited_annotation_is_valid_and_holds_the_operation_result(
    client: TestClient,
    phantom: dict,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    aid, version, info = phantom["id"], phantom["version"], phantom["info"]
    grown = _operate(client, aid, version, operation="margin", segment=1, mm=6.0).json()
    export = client.post(f"/api/annotations/{aid}/exports", json={"destination": "local"})
    assert export.status_code == 201, export.text
    path = tmp_path / "seg.dcm"
    path.write_bytes(client.get(f"/api/exports/{export.json()['id']}/file").content)
    tool = require_tool("dciodvfy")
    done = subprocess.run([tool, "-new", str(path)], capture_output=True, text=True, timeout=120)
    assert [
        line for line in (done.stdout + done.stderr).splitlines() if line.startswith("Error")
    ] == []
    seg = hd.seg.segread(path)
    slices = grown["changed"][0]["slices"]
    uids = [info["slices"][k]["sop_instance_uid"] for k in slices]
    pixels = seg.get_pixels_by_source_instance(source_sop_instance_uids=uids, segment_numbers=[1])
    for n, k in enumerate(slices):
        stored = client.get(f"/api/annotations/{aid}/segments/1/slices/{k}").content
        expected = mask_from(stored, info["rows"], info["columns"])
        assert np.array_equal(pixels[n, :, :, 0].astype(bool), expected), k
