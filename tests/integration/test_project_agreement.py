"""Agreement CSV and consensus of two readers' masks on the real Philips phantom CT,
checked against an independent numpy / scipy computation on the same masks."""

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import ndimage
from starlette.testclient import TestClient
from tests.helpers import dicom_files, poll
from tests.integration.project_support import LABELS, bearer, users_with_tokens
from tests.integration.support import disc, mask_body, mask_from

from segdicom.app import create_app
from segdicom.config import Settings

pytestmark = pytest.mark.integration
SLICE_MM = 5.0  # MANIFEST: the phantom's slices are evenly 5 mm apart


class Users:
    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client, self.tokens = client, tokens

    def call(self, who: str, method: str, url: str, **kwargs: Any) -> Any:
        headers = {**bearer(self.tokens[who]), **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)


@pytest.fixture
def users(tmp_path: Path) -> Iterator[Users]:
    settings = Settings(data_dir=tmp_path / "data", dicom_port=0)
    tokens = users_with_tokens(settings, alice="annotator", bob="annotator", root="admin")
    with TestClient(create_app(settings)) as client:
        yield Users(client, tokens)


def painted_readings(users: Users) -> tuple[dict[str, Any], dict[str, dict[int, np.ndarray]]]:
    """Alice and Bob read the phantom: segment 1 on 6 slices, segment 2 on 2 (Bob: none),
    segment 3 on one (Alice: none)."""
    files = [
        ("files", (p.name, p.read_bytes(), "application/dicom"))
        for p in dicom_files("ct_philips_phantom")
    ]
    series_uid = users.call("root", "POST", "/api/uploads", files=files).json()["series"][0][
        "series_uid"
    ]
    project = users.call(
        "root",
        "POST",
        "/api/projects",
        json={"name": "ag", "labels": LABELS, "readers_per_case": 2},
    ).json()
    users.call(
        "root", "POST", f"/api/projects/{project['id']}/cases", json={"series_uids": [series_uid]}
    )
    shapes = {
        "alice": {
            1: {k: disc(512, 512, 250, 250, 50) for k in range(8, 14)},
            2: {k: disc(512, 512, 300, 200, 12) for k in (10, 11)},
        },
        "bob": {
            1: {k: disc(512, 512, 256, 244, 46) for k in range(9, 15)},
            2: {},
            3: {12: disc(512, 512, 100, 100, 20)},
        },
    }
    painted: dict[str, dict[int, np.ndarray]] = {}
    for who in ("alice", "bob"):
        task = users.call(who, "POST", f"/api/projects/{project['id']}/next").json()
        aid = task["annotation_id"]
        version = users.call(who, "GET", f"/api/annotations/{aid}").json()["version"]
        for number, slices in shapes[who].items():
            for k, mask in slices.items():
                answer = users.call(
                    who,
                    "PUT",
                    f"/api/annotations/{aid}/segments/{number}/slices/{k}",
                    content=mask_body(mask),
                    headers={"If-Match": str(version)},
                )
                assert answer.status_code == 200, answer.text
                version = answer.json()["version"]
        assert users.call(who, "POST", f"/api/tasks/{task['id']}/submit").status_code == 200
        for number, slices in shapes[who].items():
            volume = np.zeros((28, 512, 512), dtype=bool)
            for k, mask in slices.items():
                volume[k] = mask
            painted.setdefault(who, {})[number] = volume
    return project, painted


def surface(mask: np.ndarray) -> np.ndarray:
    """Voxels with a face neighbour outside, by explicit shifts (no ndimage erosion)."""
    padded = np.pad(mask, 1)
    inner = np.ones_like(mask)
    for axis in range(3):
        for step in (-1, 1):
            inner &= np.roll(padded, step, axis=axis)[1:-1, 1:-1, 1:-1]
    return mask & ~inner


def expected(a: np.ndarray, b: np.ndarray, spacing: tuple[float, float, float]) -> dict[str, float]:
    voxel_ml = spacing[0] * spacing[1] * spacing[2] / 1000
    sa, sb = surface(a), surface(b)
    to_b = ndimage.distance_transform_edt(~sb, sampling=spacing)[sa]
    to_a = ndimage.distance_transform_edt(~sa, sampling=spacing)[sb]
    return {
        "dice": 2 * (a & b).sum() / (a.sum() + b.sum()),
        "hd95_mm": float(np.percentile(np.concatenate([to_b, to_a]), 95)),
        "volume_a_ml": a.sum() * voxel_ml,
        "volume_b_ml": b.sum() * voxel_ml,
    }


def test_agreement_matches_an_independent_computation(users: Users) -> None:
    project, painted = painted_readings(users)
    series = users.call("root", "GET", f"/api/projects/{project['id']}/cases").json()[0]
    geometry = users.call("root", "GET", f"/api/series/{series['series_uid']}").json()
    spacing = (SLICE_MM, geometry["spacing"][0], geometry["spacing"][1])
    hidden = users.call("alice", "GET", f"/api/projects/{project['id']}/agreement.csv")
    assert hidden.status_code == 403  # readers of a blinded project do not compare
    answer = users.call("root", "GET", f"/api/projects/{project['id']}/agreement.csv")
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["segment_number"], r["reader_a"], r["reader_b"]) for r in rows] == [
        ("1", "alice", "bob"),
        ("2", "alice", "bob"),
        ("3", "alice", "bob"),
    ]
    want = expected(painted["alice"][1], painted["bob"][1], spacing)
    got = rows[0]
    assert 0.5 < want["dice"] < 0.95  # the readers differ, but not wholly
    assert float(got["dice"]) == pytest.approx(want["dice"], rel=1e-5)
    assert float(got["hd95_mm"]) == pytest.approx(want["hd95_mm"], rel=1e-5)
    assert float(got["volume_a_ml"]) == pytest.approx(want["volume_a_ml"], rel=1e-5)
    assert float(got["volume_b_ml"]) == pytest.approx(want["volume_b_ml"], rel=1e-5)
    diff = want["volume_a_ml"] - want["volume_b_ml"]
    assert float(got["volume_difference_ml"]) == pytest.approx(diff, rel=1e-5)
    assert (rows[1]["dice"], rows[1]["hd95_mm"]) == ("0", "")  # only alice painted segment 2
    assert (rows[2]["dice"], rows[2]["hd95_mm"]) == ("0", "")  # only bob painted segment 3
    # Before: a negative number was written as text ('-0.0615...): the formula guard is
    # for text cells only.
    negative = rows[2]["volume_difference_ml"]
    assert float(negative) == pytest.approx(-float(rows[2]["volume_b_ml"])) and negative < "0"


def test_majority_and_staple_consensus_become_annotations(users: Users) -> None:
    project, painted = painted_readings(users)
    case = users.call("root", "GET", f"/api/projects/{project['id']}/cases").json()[0]
    a, b = painted["alice"][1], painted["bob"][1]
    for method in ("majority", "staple"):
        started = users.call(
            "root", "POST", f"/api/cases/{case['id']}/consensus", json={"method": method}
        )
        assert started.status_code == 202, started.text
        job = _wait(users, started.json()["job_id"])
        assert job["state"] == "done", job
        aid = job["result"]["annotation_id"]
        made = np.zeros_like(a)
        for k in range(8, 15):
            body = users.call(
                "root", "GET", f"/api/annotations/{aid}/segments/1/slices/{k}"
            ).content
            made[k] = mask_from(body, 512, 512)
        if method == "majority":  # two readers: a tie is out, so the intersection
            assert np.array_equal(made, a & b)
        else:
            assert (made | (a | b)).sum() == (a | b).sum() and (made & a & b).sum() == (a & b).sum()
    bad = users.call("root", "POST", f"/api/cases/{case['id']}/consensus", json={"method": "mean"})
    assert bad.status_code == 400 and "method" in bad.json()["detail"]


def _wait(users: Users, job_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job: dict[str, Any] = users.call("root", "GET", f"/api/jobs/{job_id}").json()
        return job if job["state"] in ("done", "failed") else None

    found: dict[str, Any] = poll(done, f"job {job_id}")
    return found
