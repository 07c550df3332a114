"""Measurements as DICOM SR: an export with "measurements": true writes a TID 1500 report
beside the SEG whose figures are those of the painted masks over the source pixels; it
passes dciodvfy, is served at /api/exports/{id}/sr and reaches Orthanc with the SEG."""

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import highdicom as hd
import numpy as np
import pydicom
import pytest
from starlette.testclient import TestClient
from tests.helpers import dicom_files, poll, require_tool
from tests.integration.support import (
    create_annotation,
    disc,
    fast_outbox_settings,
    put_mask,
    put_segment,
    series_info,
    upload_series,
)
from tests.orthanc import Orthanc

from segdicom.app import create_app

CT = "ct_philips_phantom"
pytestmark = pytest.mark.filterwarnings("ignore:The string .* is unlikely to represent")


@pytest.fixture
def client(orthanc: Orthanc, tmp_path: Path) -> Iterator[TestClient]:
    settings = fast_outbox_settings(tmp_path / "data", orthanc.dicomweb_url)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def paint(client: TestClient) -> tuple[dict[str, Any], int, dict[tuple[int, int], np.ndarray]]:
    info = series_info(client, upload_series(client, CT))
    aid = create_annotation(client, info["series_uid"])["id"]
    put_segment(client, aid, 2, label="Liver")  # numbered 2 and 5: the SEG numbers them 1, 2
    version = put_segment(client, aid, 5, label="Tumor")
    masks = {
        (2, 10): disc(512, 512, 250, 250, 60),
        (2, 11): disc(512, 512, 250, 250, 55),
        (5, 11): disc(512, 512, 260, 240, 15),
    }
    for (number, index), mask in masks.items():
        version = put_mask(client, aid, number, index, mask, version)
    return info, aid, masks


def expected_figures(info: dict[str, Any], masks: dict[tuple[int, int], np.ndarray]) -> dict:  # type: ignore[type-arg]
    """Volume (mL) and mean / SD of HU per label, from the source files with pydicom."""
    by_uid = {str(ds.SOPInstanceUID): ds for ds in map(pydicom.dcmread, dicom_files(CT))}
    row, column, step = info["spacing"]
    figures = {}
    for number, label in ((2, "Liver"), (5, "Tumor")):
        values = []
        for (n, index), mask in masks.items():
            if n == number:
                ds = by_uid[info["slices"][index]["sop_instance_uid"]]
                hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
                values.append(hu[mask])
        inside = np.concatenate(values)
        figures[label] = (inside.size * row * column * step / 1000, inside.mean(), inside.std())
    return figures


def test_sr_beside_the_seg_has_the_figures_passes_dciodvfy_and_reaches_orthanc(
    client: TestClient, orthanc: Orthanc, tmp_path: Path
) -> None:
    info, aid, masks = paint(client)
    answer = client.post(
        f"/api/annotations/{aid}/exports", json={"destination": "pacs", "measurements": True}
    )
    assert answer.status_code == 201, answer.text
    export = answer.json()
    assert export["sr_sop_instance_uid"] and export["sr_url"] == f"/api/exports/{export['id']}/sr"
    file = client.get(export["sr_url"])
    assert file.status_code == 200 and file.headers["content-type"] == "application/dicom"
    path = tmp_path / "sr.dcm"
    path.write_bytes(file.content)
    check = subprocess.run(
        [require_tool("dciodvfy"), "-new", str(path)], capture_output=True, text=True
    )
    output = check.stdout + check.stderr
    assert [line for line in output.splitlines() if line.startswith("Error")] == [], output

    sr = hd.sr.srread(path)
    assert sr.SOPInstanceUID == export["sr_sop_instance_uid"]
    expected = expected_figures(info, masks)
    answer = client.get(f"/api/annotations/{aid}/statistics").json()
    statistics = {s["label"]: s for s in answer["segments"]}
    groups = sr.content.get_volumetric_roi_measurement_groups()
    seg_numbers = {}
    for group in groups:
        label = group.tracking_identifier.split(": ", 1)[1]
        seg_numbers[label] = group.referenced_segment.referenced_segment_numbers[0]
        assert group.referenced_segment.referenced_sop_instance_uid == export["sop_instance_uid"]
        found = {m.name.meaning: m for m in group.get_measurements()}
        volume, mean, sd = expected[label]
        assert found["Volume"].value == pytest.approx(volume, rel=1e-6)
        assert found["Mean"].value == pytest.approx(mean, abs=1e-3)
        assert found["Standard Deviation"].value == pytest.approx(sd, abs=1e-3)
        assert found["Mean"].unit.value == "[hnsf'U]" and found["Volume"].unit.value == "ml"
        # One place computes the figures: the SR says what GET .../statistics answers.
        shown = statistics[label]
        assert float(found["Volume"].value) == pytest.approx(shown["volume_ml"], rel=1e-6)
        assert float(found["Mean"].value) == pytest.approx(shown["mean"], abs=1e-6)
        assert float(found["Standard Deviation"].value) == pytest.approx(shown["sd"], abs=1e-6)
    assert seg_numbers == {"Liver": 1, "Tumor": 2}
    seg = pydicom.dcmread(io.BytesIO(client.get(f"/api/exports/{export['id']}/file").content))
    assert {int(s.SegmentNumber): s.SegmentLabel for s in seg.SegmentSequence} == {
        1: "Liver",
        2: "Tumor",
    }

    poll(lambda: client.get(f"/api/exports/{export['id']}").json()["status"] == "sent", "delivery")
    listed = orthanc.rest("GET", f"/dicom-web/studies/{info['study_uid']}/instances?Modality=SR")
    assert [i["00080018"]["Value"][0] for i in listed] == [export["sr_sop_instance_uid"]]
    segs = orthanc.rest("GET", f"/dicom-web/studies/{info['study_uid']}/instances?Modality=SEG")
    assert [i["00080018"]["Value"][0] for i in segs] == [export["sop_instance_uid"]]


def test_export_without_measurements_has_no_sr(client: TestClient) -> None:
    _, aid, _ = paint(client)
    export = client.post(f"/api/annotations/{aid}/exports", json={"destination": "local"}).json()
    assert export["sr_sop_instance_uid"] is None and export["sr_url"] is None
    missing = client.get(f"/api/exports/{export['id']}/sr")
    assert missing.status_code == 404 and "measurements" in missing.json()["detail"]
    bad = client.post(f"/api/annotations/{aid}/exports", json={"measurements": "yes"})
    assert bad.status_code == 400
    assert bad.json()["detail"] == "`measurements` must be true or false, got 'yes'"


def test_later_reports_of_an_annotation_share_one_sr_series(client: TestClient) -> None:
    _, aid, _ = paint(client)
    body = {"destination": "local", "measurements": True, "segmentation_type": "labelmap"}
    first = client.post(f"/api/annotations/{aid}/exports", json=body)
    assert first.status_code == 422  # Liver and Tumor overlap: no LABELMAP
    body["segmentation_type"] = "binary"
    one = client.post(f"/api/annotations/{aid}/exports", json=body).json()
    two = client.post(f"/api/annotations/{aid}/exports", json=body).json()
    assert one["sr_series_instance_uid"] == two["sr_series_instance_uid"]
    assert one["sr_sop_instance_uid"] != two["sr_sop_instance_uid"]
