"""SEG export: paint, export, download; dciodvfy finds no error, highdicom reads the same masks."""

import io
import subprocess
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from starlette.testclient import TestClient
from tests.helpers import require_tool
from tests.integration.support import (
    create_annotation,
    disc,
    put_mask,
    put_segment,
    series_info,
    upload_series,
)

PAINTED = (8, 9, 12, 20)


@pytest.fixture
def painted(client: TestClient) -> dict:  # type: ignore[type-arg]
    """Liver and an overlapping Tumor painted on several slices of the CT phantom."""
    info = series_info(client, upload_series(client, "ct_philips_phantom"))
    annotation = create_annotation(client, info["series_uid"])
    aid = annotation["id"]
    put_segment(client, aid, 1, label="Liver", color="#dd8265")
    version = put_segment(client, aid, 2, label="Tumor", color="#e6194b")
    masks: dict[tuple[int, int], np.ndarray] = {}
    for k, index in enumerate(PAINTED):
        masks[1, index] = disc(512, 512, 250 + k, 240, 50 + 3 * k)
        version = put_mask(client, aid, 1, index, masks[1, index], version)
        if index != 20:  # the tumour is not on every slice the liver is
            masks[2, index] = disc(512, 512, 270, 270 - 2 * k, 20)
            version = put_mask(client, aid, 2, index, masks[2, index], version)
    return {"info": info, "annotation_id": aid, "masks": masks}


def _export(client: TestClient, annotation_id: int) -> tuple[dict, bytes]:  # type: ignore[type-arg]
    response = client.post(
        f"/api/annotations/{annotation_id}/exports", json={"destination": "local"}
    )
    assert response.status_code == 201, response.text
    export = response.json()
    assert export["status"] == "local"
    file = client.get(f"/api/exports/{export['id']}/file")
    assert file.status_code == 200
    assert file.headers["content-type"] == "application/dicom"
    return export, file.content


def _dciodvfy(path: Path) -> list[str]:
    tool = require_tool("dciodvfy")
    done = subprocess.run([tool, "-new", str(path)], capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    return [line for line in output.splitlines() if line.startswith("Error")]


def test_export_is_valid_and_reads_back(client: TestClient, painted: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    info, masks = painted["info"], painted["masks"]
    export, data = _export(client, painted["annotation_id"])
    path = tmp_path / "seg.dcm"
    path.write_bytes(data)
    assert _dciodvfy(path) == []

    seg = hd.seg.segread(path)
    assert seg.SOPInstanceUID == export["sop_instance_uid"]
    assert seg.SeriesInstanceUID == export["series_instance_uid"]
    assert seg.StudyInstanceUID == info["study_uid"]
    assert seg.SegmentationType == "BINARY"
    assert int(seg.InstanceNumber) == 1
    assert seg.ContentCreatorName.family_name == "annotator"
    referenced = seg.ReferencedSeriesSequence[0]
    assert referenced.SeriesInstanceUID == info["series_uid"]

    by_label = {d.SegmentLabel: int(d.SegmentNumber) for d in seg.SegmentSequence}
    assert set(by_label) == {"Liver", "Tumor"}
    descriptions = {d.SegmentLabel: d for d in seg.SegmentSequence}
    liver, tumor = descriptions["Liver"], descriptions["Tumor"]
    assert liver.SegmentedPropertyTypeCodeSequence[0].CodeValue == "10200004"
    assert liver.SegmentedPropertyTypeCodeSequence[0].CodingSchemeDesignator == "SCT"
    assert liver.SegmentedPropertyCategoryCodeSequence[0].CodeValue == "91723000"
    assert tumor.SegmentedPropertyTypeCodeSequence[0].CodeValue == "108369006"
    assert tumor.SegmentedPropertyCategoryCodeSequence[0].CodeValue == "49755003"
    assert liver.SegmentAlgorithmType == tumor.SegmentAlgorithmType == "MANUAL"

    uids = [info["slices"][i]["sop_instance_uid"] for i in PAINTED]
    pixels = seg.get_pixels_by_source_instance(
        source_sop_instance_uids=uids,
        segment_numbers=[by_label["Liver"], by_label["Tumor"]],
    )
    assert pixels.shape == (len(PAINTED), 512, 512, 2)
    for k, index in enumerate(PAINTED):
        for s, number in enumerate((1, 2)):
            expected = masks.get((number, index), np.zeros((512, 512), bool))
            assert np.array_equal(pixels[k, :, :, s].astype(bool), expected), (index, number)
    assert (pixels[:, :, :, 0] & pixels[:, :, :, 1]).any()  # the overlap survived

    # Frames are stored only where something is painted, each naming its source image.
    sources = {
        item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        for item in seg.PerFrameFunctionalGroupsSequence
    }
    assert sources == set(uids)


def test_second_export_is_a_new_instance_of_the_same_series(
    client: TestClient,
    painted: dict,  # type: ignore[type-arg]
) -> None:
    aid = painted["annotation_id"]
    first, _ = _export(client, aid)
    version = client.get(f"/api/annotations/{aid}").json()["version"]
    put_mask(client, aid, 1, 3, disc(512, 512, 100, 100, 10), version)
    second, data = _export(client, aid)
    assert second["series_instance_uid"] == first["series_instance_uid"]
    assert second["sop_instance_uid"] != first["sop_instance_uid"]
    assert second["instance_number"] == 2
    ds = pydicom.dcmread(io.BytesIO(data))
    assert int(ds.InstanceNumber) == 2
    assert ds.SeriesInstanceUID == first["series_instance_uid"]
    first_file = client.get(f"/api/exports/{first['id']}/file").content
    assert pydicom.dcmread(io.BytesIO(first_file)).SOPInstanceUID == first["sop_instance_uid"]
    listed = client.get("/api/exports", params={"annotation_id": aid}).json()
    assert {e["id"] for e in listed} == {first["id"], second["id"]}


def test_export_errors(client: TestClient) -> None:
    series_uid = upload_series(client, "ct_philips_phantom")
    annotation = create_annotation(client, series_uid)
    nothing = client.post(f"/api/annotations/{annotation['id']}/exports", json={})
    assert nothing.status_code == 400
    assert "nothing painted" in nothing.json()["detail"]
    assert client.post("/api/annotations/999/exports", json={}).status_code == 404
    assert client.get("/api/exports/999").status_code == 404
    assert client.get("/api/exports/999/file").status_code == 404
    where = client.post(
        f"/api/annotations/{annotation['id']}/exports", json={"destination": "mars"}
    )
    assert where.status_code == 400
