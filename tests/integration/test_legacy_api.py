"""The original SegDICOM API on the new internals: /upload, /slice, /save_mask."""

import csv
import io

import highdicom as hd
import numpy as np
from starlette.testclient import TestClient
from tests.helpers import dicom_files
from tests.integration.support import disc, series_info, upload

from segdicom.config import Settings


def _legacy_upload(client: TestClient) -> dict:  # type: ignore[type-arg]
    response = upload(client, dicom_files("ct_philips_phantom"), field="files[]")
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


def test_upload_answers_volume_id_and_num_slices(client: TestClient) -> None:
    body = _legacy_upload(client)
    assert body["num_slices"] == 28
    assert isinstance(body["volume_id"], str)
    assert series_info(client, body["volume_id"])["num_slices"] == 28
    empty = client.post("/upload", files=[("files[]", ("x.txt", b"hello", "text/plain"))])
    assert empty.status_code == 400
    assert "x.txt" in empty.json()["detail"]


def test_slice_json(client: TestClient) -> None:
    volume_id = _legacy_upload(client)["volume_id"]
    body = client.get(f"/slice/{volume_id}/0").json()
    assert {"pixel_data", "rows", "columns", "num_frames", "mask", "labels"} <= set(body)
    assert (body["rows"], body["columns"], body["num_frames"]) == (512, 512, 28)
    pixels = np.array(body["pixel_data"])
    assert pixels.size == 512 * 512
    assert pixels.min() >= 0 and pixels.max() <= 255 and pixels.max() > pixels.min()
    assert body["mask"] is None
    assert body["labels"] == {}
    assert client.get(f"/slice/{volume_id}/28").status_code == 404


def test_save_mask_writes_seg_and_event(client: TestClient, settings: Settings) -> None:
    volume_id = _legacy_upload(client)["volume_id"]
    label_map = np.zeros((512, 512), dtype=np.int64)
    label_map[disc(512, 512, 200, 200, 40)] = 1
    label_map[disc(512, 512, 300, 300, 30)] = 2
    response = client.post(
        f"/save_mask/{volume_id}/7",
        json={"mask": label_map.ravel().tolist(), "labels": {"1": "Liver", "2": "Kidney"}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "saved" in body["message"].lower()
    seg_path = settings.data_dir / body["seg"]["path"]
    assert seg_path.is_file()
    seg = hd.seg.segread(seg_path)
    assert {d.SegmentLabel for d in seg.SegmentSequence} == {"Liver", "Kidney"}
    source = series_info(client, volume_id)["slices"][7]["sop_instance_uid"]
    pixels = seg.get_pixels_by_source_instance([source], combine_segments=True)
    assert np.array_equal(pixels[0], label_map)

    again = client.get(f"/slice/{volume_id}/7").json()
    assert np.array_equal(np.array(again["mask"]), label_map.ravel())
    assert again["labels"] == {"1": "Liver", "2": "Kidney"}

    rows = list(csv.DictReader(io.StringIO(client.get("/api/log.csv").text)))
    saves = [r for r in rows if r["action"] == "save_mask"]
    assert saves and saves[-1]["slice"] == "7" and saves[-1]["series_uid"] == volume_id
    exports = [r for r in rows if r["seg_sop_instance_uid"]]
    assert exports[-1]["seg_sop_instance_uid"] == body["seg"]["sop_instance_uid"]
    assert exports[-1]["seg_path"] == body["seg"]["path"]


def test_save_mask_wrong_size_is_400(client: TestClient) -> None:
    volume_id = _legacy_upload(client)["volume_id"]
    response = client.post(f"/save_mask/{volume_id}/0", json={"mask": [0] * 100, "labels": {}})
    assert response.status_code == 400
    assert "262144" in response.json()["detail"] and "100" in response.json()["detail"]


def test_a_slice_index_out_of_range_is_404_for_reads_and_saves(client: TestClient) -> None:
    volume_id = _legacy_upload(client)["volume_id"]
    assert client.get(f"/slice/{volume_id}/28").status_code == 404
    save = client.post(f"/save_mask/{volume_id}/28", json={"mask": [0] * 512 * 512, "labels": {}})
    assert save.status_code == 404 and "out of range" in save.json()["detail"]
