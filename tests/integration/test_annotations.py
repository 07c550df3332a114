"""Annotations: segments, per-slice binary masks, versions on every write."""

import zlib

import numpy as np
import pytest
from starlette.testclient import TestClient
from tests.integration.support import (
    create_annotation,
    disc,
    mask_body,
    mask_from,
    put_mask,
    put_segment,
    upload_series,
)


@pytest.fixture
def annotation(client: TestClient) -> dict:  # type: ignore[type-arg]
    return create_annotation(client, upload_series(client, "ct_philips_phantom"))


def _url(annotation_id: int, number: int, index: int) -> str:
    return f"/api/annotations/{annotation_id}/segments/{number}/slices/{index}"


def test_create_and_list(client: TestClient) -> None:
    series_uid = upload_series(client, "ct_philips_phantom")
    created = create_annotation(client, series_uid)
    assert created["version"] == 1
    assert created["series_uid"] == series_uid
    assert created["segments"] == []
    listed = client.get("/api/annotations", params={"series_uid": series_uid}).json()
    assert [a["id"] for a in listed] == [created["id"]]
    assert client.get("/api/annotations", params={"series_uid": "1.2.3"}).json() == []
    missing = client.post("/api/annotations", json={"series_uid": "1.2.3.4"})
    assert missing.status_code == 404
    assert client.post("/api/annotations", json={"series_uid": "x"}).status_code == 400


def test_segments_add_rename_recolour_delete(client: TestClient, annotation: dict) -> None:  # type: ignore[type-arg]
    aid = annotation["id"]
    segment = f"/api/annotations/{aid}/segments"
    response = client.put(f"{segment}/1", json={"label": "Liver"}, headers={"If-Match": "1"})
    assert response.status_code == 201
    liver = response.json()
    assert liver["version"] == 2
    assert liver["category"] == {
        "code": "91723000",
        "scheme": "SCT",
        "meaning": "Anatomical Structure",
    }
    assert liver["type"] == {"code": "10200004", "scheme": "SCT", "meaning": "Liver"}
    assert liver["color"].startswith("#")

    renamed = client.put(f"{segment}/1", json={"label": "Tumor"}, headers={"If-Match": "2"}).json()
    assert renamed["label"] == "Tumor"
    assert renamed["type"]["code"] == "108369006"  # Neoplasm
    assert renamed["category"]["code"] == "49755003"  # Morphologically Abnormal Structure

    recoloured = client.put(f"{segment}/1", json={"color": "#00FF00"}, headers={"If-Match": "3"})
    assert recoloured.status_code == 200
    assert recoloured.json()["color"] == "#00ff00"
    assert recoloured.json()["label"] == "Tumor"
    assert recoloured.json()["type"]["code"] == "108369006"

    put_segment(client, aid, 2, label="my own thing", color="#123456")
    custom = client.get(f"/api/annotations/{aid}").json()["segments"][1]
    assert custom["label"] == "my own thing"
    assert custom["category"]["code"] and custom["type"]["code"]  # a sensible default

    version = client.get(f"/api/annotations/{aid}").json()["version"]
    version = put_mask(client, aid, 2, 4, disc(512, 512, 100, 100, 10), version)
    deleted = client.delete(f"{segment}/2", headers={"If-Match": f'"{version}"'})
    assert deleted.status_code == 200
    body = client.get(f"/api/annotations/{aid}").json()
    assert [s["number"] for s in body["segments"]] == [1]
    assert body["version"] == deleted.json()["version"]
    assert client.get(_url(aid, 2, 4)).status_code == 404

    headers = {"If-Match": str(body["version"])}
    for bad in ({"label": ""}, {"label": "x" * 65}, {"label": "ok", "color": "red"}):
        assert client.put(f"{segment}/3", json=bad, headers=headers).status_code == 400
    assert client.put(f"{segment}/0", json={"label": "x"}, headers=headers).status_code == 400


def test_segment_writes_need_the_current_version(client: TestClient, annotation: dict) -> None:  # type: ignore[type-arg]
    aid = annotation["id"]
    url = f"/api/annotations/{aid}/segments/1"
    for missing in (client.put(url, json={"label": "Liver"}), client.delete(url)):
        assert missing.status_code == 400, missing.text
        assert missing.json()["error"] == "bad_input"
        assert "If-Match" in missing.json()["detail"]
    version = put_segment(client, aid, 1, label="Liver")
    stale_rename = client.put(url, json={"label": "Tumor"}, headers={"If-Match": "1"})
    assert stale_rename.status_code == 409 and str(version) in stale_rename.json()["detail"]
    stale_delete = client.delete(url, headers={"If-Match": str(version - 1)})
    assert stale_delete.status_code == 409
    body = client.get(f"/api/annotations/{aid}").json()
    assert body["version"] == version and [s["label"] for s in body["segments"]] == ["Liver"]


def test_mask_round_trip_and_overlap(client: TestClient, annotation: dict) -> None:  # type: ignore[type-arg]
    aid = annotation["id"]
    put_segment(client, aid, 1, label="Liver")
    version = put_segment(client, aid, 2, label="Tumor")
    liver = disc(512, 512, 250, 250, 60)
    tumor = disc(512, 512, 280, 290, 25)
    assert (liver & tumor).any() and (tumor & ~liver).any()  # they overlap, partly
    version = put_mask(client, aid, 1, 10, liver, version)
    version = put_mask(client, aid, 2, 10, tumor, version)
    version = put_mask(client, aid, 1, 11, liver, version)
    for number, expected in ((1, liver), (2, tumor)):
        response = client.get(_url(aid, number, 10))
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/octet-stream"
        assert np.array_equal(mask_from(response.content, 512, 512), expected)
        assert len(response.content) < 2048  # compact: a bit-packed, compressed disc
    unpainted = client.get(_url(aid, 2, 11))
    assert unpainted.status_code == 200
    assert not mask_from(unpainted.content, 512, 512).any()
    body = client.get(f"/api/annotations/{aid}").json()
    assert body["version"] == version
    assert {s["number"]: s["slices"] for s in body["segments"]} == {1: [10, 11], 2: [10]}
    # An empty mask clears the slice.
    put_mask(client, aid, 1, 11, np.zeros((512, 512), bool), version)
    body = client.get(f"/api/annotations/{aid}").json()
    assert body["segments"][0]["slices"] == [10]


def test_stale_version_is_409_and_missing_is_400(client: TestClient, annotation: dict) -> None:  # type: ignore[type-arg]
    aid = annotation["id"]
    version = put_segment(client, aid, 1, label="Lesion")
    mask = disc(512, 512, 200, 200, 12)
    newer = put_mask(client, aid, 1, 3, mask, version)
    assert newer == version + 1
    stale = client.put(
        _url(aid, 1, 3), content=mask_body(~mask), headers={"If-Match": str(version)}
    )
    assert stale.status_code == 409
    assert stale.json()["error"] == "conflict"
    assert str(newer) in stale.json()["detail"]
    assert np.array_equal(mask_from(client.get(_url(aid, 1, 3)).content, 512, 512), mask)
    missing = client.put(_url(aid, 1, 3), content=mask_body(mask))
    assert missing.status_code == 400
    assert "If-Match" in missing.json()["detail"]
    weak = client.put(
        _url(aid, 1, 3), content=mask_body(mask), headers={"If-Match": f'W/"{newer}"'}
    )
    assert weak.status_code == 200


def test_wrong_size_mask_is_400_naming_sizes(client: TestClient, annotation: dict) -> None:  # type: ignore[type-arg]
    aid = annotation["id"]
    version = put_segment(client, aid, 1, label="Lesion")
    headers = {"If-Match": str(version)}
    small = client.put(
        _url(aid, 1, 0), content=mask_body(np.ones((256, 256), bool)), headers=headers
    )
    assert small.status_code == 400
    detail = small.json()["detail"]
    assert "512x512" in detail and "32768" in detail and "8192" in detail
    big = client.put(_url(aid, 1, 0), content=mask_body(np.ones((600, 600), bool)), headers=headers)
    assert big.status_code == 400
    assert "32768" in big.json()["detail"] and "45000" in big.json()["detail"]
    garbage = client.put(_url(aid, 1, 0), content=b"\x00\x01garbage", headers=headers)
    assert garbage.status_code == 400
    bomb = zlib.compress(bytes(200 * 1024 * 1024), 9)
    bombed = client.put(_url(aid, 1, 0), content=bomb, headers=headers)
    assert bombed.status_code == 400
    assert client.get(f"/api/annotations/{aid}").json()["version"] == version  # nothing written


def test_unknown_annotation_segment_or_slice_is_404(client: TestClient, annotation: dict) -> None:  # type: ignore[type-arg]
    aid = annotation["id"]
    version = put_segment(client, aid, 1, label="Lesion")
    body, headers = mask_body(disc(512, 512, 5, 5, 3)), {"If-Match": str(version)}
    for method, url in (
        ("GET", f"/api/annotations/{aid + 100}"),
        ("GET", _url(aid + 100, 1, 0)),
        ("GET", _url(aid, 9, 0)),
        ("GET", _url(aid, 1, 28)),
        ("PUT", _url(aid + 100, 1, 0)),
        ("PUT", _url(aid, 9, 0)),
        ("PUT", _url(aid, 1, 28)),
        ("DELETE", f"/api/annotations/{aid}/segments/9"),
    ):
        response = client.request(method, url, content=body, headers=headers)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["error"] == "not_found"
