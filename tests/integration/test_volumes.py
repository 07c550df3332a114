"""Series info and the binary slice endpoint: compact, gzip on the wire, cacheable."""

import gzip
import io

import httpx
import numpy as np
import pydicom
import pytest
from starlette.testclient import TestClient
from tests.conftest import LiveServer
from tests.helpers import dicom_files
from tests.integration.support import series_info, slice_values, upload, upload_series
from tests.synthetic_ct import ct_header, new_uids, part10

from segdicom.db import instances as index


def test_series_info_fields_and_windows(client: TestClient) -> None:
    info = series_info(client, upload_series(client, "ct_philips_phantom"))
    expected = {"series_uid", "study_uid", "modality", "rows", "columns", "dtype"}
    expected |= {"num_slices", "spacing", "orientation", "slices", "windows"}
    assert expected <= set(info)
    assert len(info["slices"]) == info["num_slices"] == 28
    assert all({"sop_instance_uid", "position"} <= set(s) for s in info["slices"])
    assert len(info["orientation"]) == 6 and len(info["spacing"]) == 3
    names = {w["name"].lower() for w in info["windows"]}
    for preset in ("lung", "bone", "soft tissue"):
        assert any(preset in name for name in names), names
    # The header's window (40/80) is the brain window; it is kept once, by either name.
    assert any((w["center"], w["width"]) == (40, 80) for w in info["windows"])
    assert all(w["width"] > 0 for w in info["windows"])


def test_series_info_marks_header_windows_and_gives_slice_locations(client: TestClient) -> None:
    """The viewer opens a series on its own window, and labels DICOM Slice Location as such."""
    info = series_info(client, upload_series(client, "ct_philips_phantom"))
    header = [(w["center"], w["width"]) for w in info["windows"] if w["header"]]
    assert header == [(40, 80)]  # the header's window; the presets and the auto one are not
    assert not any(w["header"] for w in info["windows"] if w["name"] == "Auto")
    locations = [s["slice_location"] for s in info["slices"]]
    assert all(isinstance(v, float) for v in locations)
    # Slice Location follows the position along the normal (axial: z) slice by slice here.
    steps = np.diff(locations)
    assert np.allclose(np.abs(steps), info["spacing"][2], atol=0.01)
    mr = series_info(client, upload_series(client, "mr_siemens_t1_sag"))
    assert any(s["slice_location"] == pytest.approx(-81.6, abs=0.01) for s in mr["slices"])


def test_binary_slice_size_and_headers(client: TestClient) -> None:
    info = series_info(client, upload_series(client, "ct_philips_phantom"))
    url = f"/api/series/{info['series_uid']}/slices/5"
    response = client.get(url, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert "content-encoding" not in response.headers
    itemsize = np.dtype(info["dtype"]).itemsize
    assert len(response.content) == info["rows"] * info["columns"] * itemsize == 512 * 512 * 2
    assert response.headers["x-sop-instance-uid"] == info["slices"][5]["sop_instance_uid"]
    assert response.headers["x-dtype"] == info["dtype"]


def test_etag_gives_304(client: TestClient) -> None:
    info = series_info(client, upload_series(client, "ct_philips_phantom"))
    url = f"/api/series/{info['series_uid']}/slices/3"
    first = client.get(url)
    etag = first.headers["etag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = client.get(f"/api/series/{info['series_uid']}/slices/4")
    assert other.headers["etag"] != etag
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200


def test_out_of_range_and_unknown_series_are_404_json(client: TestClient) -> None:
    series_uid = upload_series(client, "ct_philips_phantom")
    for url in (
        f"/api/series/{series_uid}/slices/28",
        f"/api/series/{series_uid}/slices/100000",
        "/api/series/1.2.3.4/slices/0",
        "/api/series/1.2.3.4",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"] == "not_found"
        assert response.json()["detail"]
    bad = client.get("/api/series/1.2.abc/slices/0")
    assert bad.status_code == 400
    assert "not a valid DICOM UID" in bad.json()["detail"]


def test_series_that_grows_is_seen_at_once(client: TestClient) -> None:
    paths = dicom_files("ct_philips_phantom")
    first = upload(client, paths[:10]).json()["series"][0]
    assert series_info(client, first["series_uid"])["num_slices"] == 10
    upload(client, paths[10:])
    info = series_info(client, first["series_uid"])
    assert info["num_slices"] == 28
    last = slice_values(client, info, 27)
    by_sop = {str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID): p for p in paths}
    ds = pydicom.dcmread(by_sop[info["slices"][27]["sop_instance_uid"]])
    hu = ds.pixel_array.astype(np.int64) * int(ds.RescaleSlope) + int(ds.RescaleIntercept)
    assert np.array_equal(last, hu)


def test_gzip_on_the_wire(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        files = [("files", (p.name, p.read_bytes())) for p in dicom_files("ct_philips_phantom")]
        series_uid = http.post("/api/uploads", files=files).json()["series"][0]["series_uid"]
        info = http.get(f"/api/series/{series_uid}").json()
        url = f"/api/series/{series_uid}/slices/14"
        raw_size = info["rows"] * info["columns"] * np.dtype(info["dtype"]).itemsize
        with http.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
            assert response.headers["content-encoding"] == "gzip"
            wire = b"".join(response.iter_raw())
        assert len(wire) < raw_size * 0.75, len(wire)
        assert int(response.headers["content-length"]) == len(wire)
        body = gzip.decompress(wire)  # compressed once, not twice
        assert len(body) == raw_size
        with http.stream("GET", url, headers={"Accept-Encoding": "identity"}) as plain:
            assert "content-encoding" not in plain.headers
            assert b"".join(plain.iter_raw()) == body


def test_a_series_just_received_is_laid_out_from_the_headers_read_on_the_way_in(
    client: TestClient,
) -> None:
    """The store hands the header it checked to the volume cache, keyed as the volume
    looks it up (path and arrival as the index row holds them): no file is read twice,
    and the header does not keep the pixels alive."""
    series_uid = upload_series(client, "ct_philips_phantom")
    st = client.app.state.segdicom  # type: ignore[attr-defined]
    with st.sessions() as session:
        rows = index.instances_of_series(session, series_uid)
    headers = [st.cache.headers.get(st.cache.header_key(r.path, r.received_at)) for r in rows]
    assert len(headers) == 28 and all(h is not None for h in headers)
    assert all("PixelData" not in h and h.buffer is None for h in headers)
    assert series_info(client, series_uid)["num_slices"] == 28


def test_slices_that_do_not_fit_the_series_are_listed_as_left_out(client: TestClient) -> None:
    """Five axial slices, a coronal localizer and a smaller slice in one series: the volume
    holds the five, and the answer names the two left out and why."""
    uids = new_uids()

    def slice_file(k: int, shape: tuple[int, int] = (16, 16), coronal: bool = False) -> bytes:
        ds = ct_header(
            uids, k, patient=("LEFT", "Left^Out"), position=[0, 0, 3.0 * k],
            spacing=(1.0, 1.0), thickness=3.0, shape=shape,
        )  # fmt: skip
        if coronal:
            ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]
        ds.PixelData = np.zeros(shape, dtype=np.int16).tobytes()
        return part10(ds)

    files = [slice_file(k) for k in range(5)]
    files += [slice_file(5, coronal=True), slice_file(6, shape=(8, 8))]
    uploaded = client.post(
        "/api/uploads",
        files=[("files", (f"{k}.dcm", b, "application/dicom")) for k, b in enumerate(files)],
    )
    assert uploaded.status_code == 200, uploaded.text
    uid_of = [str(pydicom.dcmread(io.BytesIO(b)).SOPInstanceUID) for b in files]
    info = series_info(client, str(uids[1]))
    assert info["num_slices"] == 5
    assert sorted(info["excluded"], key=lambda e: e["reason"]) == [
        {"sop_instance_uid": uid_of[5], "reason": "other orientation", "detail": "", "frames": []},
        {"sop_instance_uid": uid_of[6], "reason": "other size", "detail": "", "frames": []},
    ]


def test_a_series_that_fits_leaves_nothing_out(client: TestClient) -> None:
    assert series_info(client, upload_series(client, "ct_philips_phantom"))["excluded"] == []


@pytest.mark.parametrize("spacing", [None, ["0", "0"], ["0.7"]])
def test_a_series_without_a_usable_pixel_spacing_says_1_mm_is_assumed(
    client: TestClient, spacing: list[str] | None
) -> None:
    """No Pixel Spacing, zeros, or one value (a secondary capture, a broken export): the
    volume lays out at 1 mm, and the answer says so instead of passing pixels off as mm."""
    uids = new_uids()
    files = []
    for k in range(3):
        ds = ct_header(
            uids, k, patient=("NOSPACE", "No^Spacing"), position=[0, 0, 2.0 * k],
            spacing=(0.7, 0.7), thickness=2.0, shape=(8, 8),
        )  # fmt: skip
        if spacing is None:
            del ds.PixelSpacing
        else:
            ds.PixelSpacing = spacing
        ds.PixelData = np.zeros((8, 8), dtype=np.int16).tobytes()
        files.append(part10(ds))
    uploaded = client.post(
        "/api/uploads",
        files=[("files", (f"{k}.dcm", b, "application/dicom")) for k, b in enumerate(files)],
    )
    assert uploaded.status_code == 200, uploaded.text
    info = series_info(client, str(uids[1]))
    assert info["geometry"]["pixel_spacing_known"] is False
    assert info["spacing"][:2] == [1.0, 1.0]
    # A SEG cannot place its masks without it: a clear 422, not highdicom's AttributeError.
    annotation = client.post("/api/annotations", json={"series_uid": str(uids[1])}).json()
    figures = client.get(f"/api/annotations/{annotation['id']}/statistics").json()
    assert figures["pixel_spacing_known"] is False
    export = client.post(f"/api/annotations/{annotation['id']}/exports", json={})
    assert export.status_code == 422, export.text
    assert "a SEG needs the images' Pixel Spacing" in export.json()["detail"]


def test_a_series_with_its_pixel_spacing_says_it_is_known(client: TestClient) -> None:
    info = series_info(client, upload_series(client, "ct_philips_phantom"))
    assert info["geometry"]["pixel_spacing_known"] is True
    annotation = client.post("/api/annotations", json={"series_uid": info["series_uid"]}).json()
    figures = client.get(f"/api/annotations/{annotation['id']}/statistics").json()
    assert figures["pixel_spacing_known"] is True


def test_a_stored_file_removed_by_hand_is_named_not_an_internal_error(
    client: TestClient, tmp_path: object
) -> None:
    series_uid = upload_series(client, "ct_philips_phantom")
    settings = client.app.state.segdicom.settings  # type: ignore[attr-defined]
    for path in (settings.data_dir / "instances").rglob("*.dcm"):
        path.unlink()
    response = client.get(f"/api/series/{series_uid}/slices/0")
    assert response.status_code == 500, response.text
    body = response.json()
    assert body["error"] == "store_file_missing"
    assert "a stored file is missing from the data folder" in body["detail"]
    assert str(settings.data_dir) in body["detail"]
