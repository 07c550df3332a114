"""Upload: real scanner files in, right order and geometry out, bad files refused one by one."""

import dataclasses
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels.processing import apply_modality_lut
from pydicom.uid import generate_uid
from starlette.testclient import TestClient
from tests.helpers import data_dir, dicom_files
from tests.integration.support import series_info, slice_values, upload, upload_series

from segdicom.app import create_app
from segdicom.config import Settings


def _depths(info: dict) -> np.ndarray:  # type: ignore[type-arg]
    row, col = np.array(info["orientation"][:3]), np.array(info["orientation"][3:])
    normal = np.cross(row, col)
    return np.array([np.dot(s["position"], normal) for s in info["slices"]])


def _sop_of(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)


def test_ct_philips_phantom_sorted_along_normal(client: TestClient) -> None:
    paths = dicom_files("ct_philips_phantom")
    series_uid = upload_series(client, "ct_philips_phantom")
    info = series_info(client, series_uid)
    assert (info["rows"], info["columns"], info["num_slices"]) == (512, 512, 28)
    assert info["modality"] == "CT"
    depths = _depths(info)
    assert np.all(np.diff(depths) > 0), depths
    assert np.allclose(np.diff(depths), 5.0, atol=1e-3)
    assert info["spacing"][2] == pytest.approx(5.0, abs=1e-3)
    by_name = [_sop_of(p) for p in paths]  # I10, I100, I110, ... is not slice order
    served = [s["sop_instance_uid"] for s in info["slices"]]
    assert sorted(served) == sorted(by_name)
    assert served != by_name


def test_mr_sagittal_sorted_along_normal_not_z(client: TestClient) -> None:
    series_uid = upload_series(client, "mr_siemens_t1_sag")
    info = series_info(client, series_uid)
    assert info["num_slices"] == 35
    depths = _depths(info)
    assert np.all(np.diff(depths) > 0)
    row, col = np.array(info["orientation"][:3]), np.array(info["orientation"][3:])
    assert abs(np.cross(row, col)[0]) > 0.9  # sagittal
    # z is the same on every slice: sorting by z could not order this series.
    assert len({s["position"][2] for s in info["slices"]}) == 1
    xs = np.array([s["position"][0] for s in info["slices"]])
    assert np.all(np.diff(xs) < 0)  # normal = row x column = -x
    assert info["spacing"][2] == pytest.approx(4.8, abs=1e-3)


def test_nine_transfer_syntaxes_give_identical_pixels(client: TestClient) -> None:
    paths = dicom_files("mr_transfer_syntaxes")
    assert len(paths) == 9
    series_uid = upload_series(client, "mr_transfer_syntaxes")
    info = series_info(client, series_uid)
    assert info["num_slices"] == 9
    slices = [slice_values(client, info, i) for i in range(9)]
    reference = pydicom.dcmread(paths[0]).pixel_array
    for index, values in enumerate(slices):
        assert np.array_equal(values, reference), info["slices"][index]["sop_instance_uid"]
    assert {s["sop_instance_uid"] for s in info["slices"]} == {_sop_of(p) for p in paths}


def test_cornerstone_transfer_syntaxes(client: TestClient) -> None:
    paths = [p for p in dicom_files("cornerstone_ct_transfer_syntaxes") if "CTImage" in p.name]
    assert len(paths) == 16
    decoded = 0
    for path in paths:
        response = upload(client, [path])
        if path.name.endswith(("4.53.dcm", "4.55.dcm")):
            assert response.status_code == 422, path.name
            reason = response.json()["rejected"][0]["reason"]
            assert "unsupported compression" in reason, reason
            continue
        assert response.status_code == 200, (path.name, response.text)
        series_uid = response.json()["series"][0]["series_uid"]
        info = series_info(client, series_uid)
        ds = pydicom.dcmread(path)
        index = [s["sop_instance_uid"] for s in info["slices"]].index(ds.SOPInstanceUID)
        served = slice_values(client, info, index)
        expected = apply_modality_lut(ds.pixel_array, ds)
        if served.dtype.kind == "f":  # a non-integer rescale: float32 against float64
            assert np.allclose(served, expected, rtol=1e-6, atol=1e-3), path.name
        else:
            assert np.array_equal(served, expected), path.name
        decoded += 1
    assert decoded == 14


def test_other_cornerstone_files(client: TestClient) -> None:
    folder = "cornerstone_ct_transfer_syntaxes"
    response = upload(client, [data_dir(folder, "no-pixel-data.dcm")])
    assert response.status_code == 422
    assert "not an image" in response.json()["rejected"][0]["reason"]
    response = upload(client, [data_dir(folder, "US-YBR_FULL_422-EVRLE.dcm")])
    assert response.status_code == 200, response.text
    info = series_info(client, response.json()["series"][0]["series_uid"])
    assert info["dtype"] == "uint8"
    assert slice_values(client, info, 0).any()


def test_enhanced_multiframe_become_volumes(client: TestClient) -> None:
    # (frames in the volume, frames at a position another one holds: left out)
    cases = {
        "mr_philips_achieva": (32, 32),  # magnitude and field map at each position
        "mr_siemens_xa10": (6, 18),  # four time points in four files
        "ct_nema_supplemental": (2, 0),
    }
    for folder, (frames, left_out) in cases.items():
        paths = dicom_files("enhanced_multiframe", folder)
        response = upload(client, paths)
        assert response.status_code == 200, response.text
        series_uid = response.json()["series"][0]["series_uid"]
        info = series_info(client, series_uid)
        assert info["num_slices"] == frames, folder
        expected = set()
        for path in paths:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            for item in ds.PerFrameFunctionalGroupsSequence:
                position = item.PlanePositionSequence[0].ImagePositionPatient
                expected.add((ds.SOPInstanceUID, tuple(round(float(v), 3) for v in position)))
        served = {
            (s["sop_instance_uid"], tuple(round(v, 3) for v in s["position"]))
            for s in info["slices"]
        }
        assert served <= expected, folder
        assert len({p for _, p in served}) == frames, folder  # one frame per position
        if info["orientation"]:
            assert np.all(np.diff(_depths(info)) > 0), folder
        excluded = info["excluded"]
        # A whole image left out (frames: []) of the Siemens series holds 6 frames.
        assert sum(len(e["frames"]) or 6 for e in excluded) == left_out, folder
        assert all(e["reason"] == "another image at its position" and e["detail"] for e in excluded)
        assert info["geometry"]["shared_positions"] == 0
        assert slice_values(client, info, frames - 1).shape == (info["rows"], info["columns"])


def test_malformed_files_refused_while_the_rest_is_stored(client: TestClient) -> None:
    bad = dicom_files("pydicom_malformed")
    good = dicom_files("ct_philips_phantom")
    response = upload(client, [*bad[:9], *good, *bad[9:]])
    assert response.status_code == 200, response.text
    body = response.json()
    rejected = {r["name"]: r["reason"] for r in body["rejected"]}
    assert set(rejected) == {p.name for p in bad}
    assert all(len(reason) > 10 for reason in rejected.values()), rejected
    assert "truncated" in rejected["MR_truncated.dcm"]
    assert "not an image" in rejected["test-SR.dcm"]
    assert "SOP Instance UID mismatch" in rejected["rtplan.dcm"]  # its File Meta names another
    assert "gzip" in rejected["zipMR.gz"]
    assert [s["num_instances"] for s in body["series"]] == [28]
    assert series_info(client, body["series"][0]["series_uid"])["num_slices"] == 28


def _multipart(names: list[bytes], data: bytes) -> tuple[bytes, str]:
    """A multipart body written by hand, so the names arrive byte for byte."""
    boundary = "segdicomtestboundary"
    parts = []
    for name in names:
        parts.append(
            b"--" + boundary.encode() + b"\r\n"
            b'Content-Disposition: form-data; name="files"; filename="' + name + b'"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n"
        )
    body = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary}"


def test_file_names_cannot_write_outside_the_data_folder(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    data = data_dir("mr_transfer_syntaxes", "1.dcm").read_bytes()
    garbage = b"this is not DICOM"
    names = [
        b"../../../escaped.dcm",
        b"../escaped2",
        b"/tmp/segdicom-absolute-escape.dcm",
        str(tmp_path / "abs-escape.dcm").encode(),
        b"a\x00b/../../nul.dcm",
        b"..\\..\\windows.dcm",
        b"x" * 5000,
    ]
    before = set(tmp_path.parent.iterdir())
    statuses = {}
    for name in names:
        for payload in (data, garbage):
            body, content_type = _multipart([name], payload)
            headers = {"content-type": content_type}
            response = client.post("/api/uploads", content=body, headers=headers)
            statuses[name[:40], payload == data] = response.status_code
            for rejected in response.json().get("rejected", []):
                assert len(rejected["name"]) <= 255
                assert "\x00" not in rejected["name"]
    # The multipart parser may refuse a name outright (400); every other answer is
    # the file stored under its UIDs (200) or refused for its content (422).
    assert set(statuses.values()) <= {200, 400, 422}, statuses
    assert statuses[b"../../../escaped.dcm", True] == 200
    assert statuses[b"/tmp/segdicom-absolute-escape.dcm", True] == 200
    assert statuses[b"../escaped2", False] == 422
    assert set(tmp_path.parent.iterdir()) == before
    assert not Path("/tmp/segdicom-absolute-escape.dcm").exists()
    outside = [p for p in tmp_path.rglob("*") if not p.is_relative_to(settings.data_dir)]
    assert outside == []
    stored = [p for p in (settings.data_dir / "instances").rglob("*") if p.is_file()]
    assert len(stored) == 1  # one SOP, however many names it came under
    relative = stored[0].relative_to(settings.data_dir / "instances")
    uid = _sop_of(data_dir("mr_transfer_syntaxes", "1.dcm"))
    assert relative.name == f"{uid}.dcm"
    assert all(part.replace(".", "").isdigit() for part in relative.parts[:-1])


def test_size_limit_gives_413(settings: Settings) -> None:
    small = dataclasses.replace(settings, max_upload_bytes=300_000)
    paths = dicom_files("ct_philips_phantom")[:3]  # about 1.5 MB
    with TestClient(create_app(small)) as client:
        response = upload(client, paths)
        assert response.status_code == 413
        assert response.json()["error"] == "too_large"
        assert "300000" in response.json()["detail"]
        ok = upload(client, [data_dir("mr_transfer_syntaxes", "5.dcm")])  # ~100 KB
        assert ok.status_code == 200, ok.text
    assert not list((small.data_dir / "instances").rglob(f"{_sop_of(paths[0])}*"))


def test_same_sop_twice_keeps_one_copy(client: TestClient, settings: Settings) -> None:
    path = data_dir("ct_philips_phantom", "I10")
    first = upload(client, [path, path]).json()
    second = upload(client, [path]).json()
    assert first["series"][0]["num_instances"] == 1
    assert second["series"][0]["num_instances"] == 1
    files = [p for p in (settings.data_dir / "instances").rglob("*") if p.is_file()]
    assert [p.name for p in files] == [f"{_sop_of(path)}.dcm"]
    assert files[0].read_bytes() == path.read_bytes()
    info = series_info(client, first["series"][0]["series_uid"])
    assert info["num_slices"] == 1


def test_ct_values_are_hounsfield_units(client: TestClient) -> None:
    series_uid = upload_series(client, "ct_philips_phantom")
    info = series_info(client, series_uid)
    by_sop = {_sop_of(p): p for p in dicom_files("ct_philips_phantom")}
    for index in (0, 13, 27):
        ds = pydicom.dcmread(by_sop[info["slices"][index]["sop_instance_uid"]])
        assert float(ds.RescaleIntercept) != 0  # the test means something
        expected = apply_modality_lut(ds.pixel_array, ds)
        served = slice_values(client, info, index)
        assert np.array_equal(served, expected)
        assert served.min() < -900  # air in HU, not raw stored values
    assert info["dtype"] == "int16"


def test_monochrome1_is_flagged_and_shown_inverted(client: TestClient, tmp_path: Path) -> None:
    source = data_dir("mr_transfer_syntaxes", "1.dcm")
    ds = pydicom.dcmread(source)
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    mono1 = tmp_path / "mono1"
    ds.save_as(mono1, enforce_file_format=True)
    plain_uid = upload_series(client, "mr_transfer_syntaxes")
    response = upload(client, [mono1])
    assert response.status_code == 200, response.text
    mono1_uid = response.json()["series"][0]["series_uid"]
    mono1_info, plain_info = series_info(client, mono1_uid), series_info(client, plain_uid)
    assert mono1_info["invert"] is True
    assert plain_info["invert"] is False
    # The values stay the stored values (window/level happens in the browser) ...
    assert np.array_equal(slice_values(client, mono1_info, 0), ds.pixel_array)
    # ... and the seed's 8-bit display is inverted.
    shown1 = np.array(client.get(f"/slice/{mono1_uid}/0").json()["pixel_data"])
    plain_index = [s["sop_instance_uid"] for s in plain_info["slices"]].index(_sop_of(source))
    shown2 = np.array(client.get(f"/slice/{plain_uid}/{plain_index}").json()["pixel_data"])
    assert np.array_equal(shown1, 255 - shown2)


def test_upload_without_files_is_400(client: TestClient) -> None:
    response = client.post("/api/uploads", files=[("other", ("a", b"x", "text/plain"))])
    assert response.status_code == 400
    assert set(response.json()) >= {"error", "detail"}
