"""A series with two echoes at each position, through the API: the volume is echo 1 (echo 2 is
left out, saying so), so slices, reformats, volumes and the SEG are those of one echo."""

import io
from pathlib import Path

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from starlette.testclient import TestClient
from tests.integration.support import (
    create_annotation,
    disc,
    put_mask,
    put_segment,
    series_info,
    slice_values,
)
from tests.synthetic_ct import ct_header, new_uids, part10
from tests.unit.seg_encode_cases import SPECS, dciodvfy_errors, encode, single_frames

POSITIONS, SIZE, STEP = 6, 32, 2.0
VALUE = {1: 100, 2: 600}  # every pixel of an echo


def _upload_echoes(client: TestClient) -> tuple[str, dict[str, int], list[Dataset]]:
    """The series uploaded; the echo of each SOP Instance UID; the echo 2 images."""
    uids = new_uids()
    files, echo_of, second = [], {}, []
    for k in range(POSITIONS):
        for echo in (2, 1):  # echo 2 first, with the lower Instance Number
            ds = ct_header(
                uids, 2 * k + (2 - echo), patient=("E", "Echo^Two"), position=(0, 0, STEP * k),
                spacing=(0.5, 0.5), thickness=STEP, shape=(SIZE, SIZE),
            )  # fmt: skip
            ds.EchoNumbers, ds.EchoTime = echo, 8.0 * echo
            ds.PixelData = np.full((SIZE, SIZE), VALUE[echo], dtype=np.int16).tobytes()
            files.append(("files", (f"{k}-{echo}.dcm", part10(ds), "application/dicom")))
            echo_of[str(ds.SOPInstanceUID)] = echo
            second += [ds] if echo == 2 else []
    response = client.post("/api/uploads", files=files)
    assert response.status_code == 200, response.text
    [series] = response.json()["series"]
    assert series["num_instances"] == 2 * POSITIONS  # both echoes are kept in the store
    return series["series_uid"], echo_of, second


def test_an_echo_series_is_one_echo_in_slices_reformats_volumes_and_its_seg(
    client: TestClient, tmp_path: Path
) -> None:
    series_uid, echo_of, second = _upload_echoes(client)
    info = series_info(client, series_uid)
    assert info["num_slices"] == POSITIONS
    assert [echo_of[s["sop_instance_uid"]] for s in info["slices"]] == [1] * POSITIONS
    assert info["geometry"]["regular"] is True
    assert len(info["excluded"]) == POSITIONS
    assert {e["detail"] for e in info["excluded"]} == {
        "echo number 2, not 1; echo time 16.0, not 8.0"
    }
    assert all(slice_values(client, info, k).max() == VALUE[1] for k in range(POSITIONS))
    sagittal = client.get(f"/api/series/{series_uid}/reformat/sagittal/{SIZE // 2}")
    assert sagittal.status_code == 200
    assert VALUE[2] not in np.frombuffer(sagittal.content, dtype=info["dtype"])

    annotation = create_annotation(client, series_uid)["id"]
    version = put_segment(client, annotation, 1, label="Liver")
    painted = disc(SIZE, SIZE, 16, 16, 6)
    for k in (1, 2, 3):
        version = put_mask(client, annotation, 1, k, painted, version)
    [stats] = client.get(f"/api/annotations/{annotation}/statistics").json()["segments"]
    assert stats["voxels"] == 3 * int(painted.sum())
    assert stats["volume_mm3"] == 3 * int(painted.sum()) * 0.25 * STEP
    assert stats["mean"] == VALUE[1]

    export = client.post(f"/api/annotations/{annotation}/exports", json={"destination": "local"})
    assert export.status_code == 201, export.text
    data = client.get(f"/api/exports/{export.json()['id']}/file").content
    path = tmp_path / "echo-seg.dcm"
    path.write_bytes(data)
    errors, report = dciodvfy_errors(path)
    assert errors == [], report
    seg = hd.seg.segread(io.BytesIO(data))
    assert {echo_of[str(uid)] for _, _, uid in seg.get_source_image_uids()} == {1}
    measures = seg.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]
    assert float(measures.SpacingBetweenSlices) == STEP

    # A SEG another tool painted on echo 2 names where it lies instead of importing nothing.
    painted_on_two = np.zeros((POSITIONS, SIZE, SIZE), dtype=np.bool_)
    painted_on_two[2, 10:20, 10:20] = True
    seg = encode(second, single_frames(second), {1: painted_on_two}, SPECS[:1])
    files = [("files", ("seg.dcm", part10(seg), "application/dicom"))]
    assert client.post("/api/uploads", files=files).status_code == 200
    refused = client.post("/api/annotations/import", json={"sop_instance_uid": seg.SOPInstanceUID})
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].endswith(
        "it may be painted on images the volume leaves out (another image at its position)"
    )
