"""The C-STORE SCP against real dcmtk peers (echoscu, storescu) over loopback.

The app runs with its lifespan (TestClient), so the SCP is the one the service
starts; what it stores is checked through the HTTP API.
"""

import copy
import io
import logging
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import (
    CTImageStorage,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    MRImageStorage,
    generate_uid,
)
from pynetdicom import AE
from pynetdicom import _config as pynetdicom_config
from sqlalchemy import select
from starlette.testclient import TestClient
from tests.helpers import data_dir, dicom_files, free_port, require_tool

from segdicom.app import create_app
from segdicom.config import Settings
from segdicom.db.models import Instance

UNDECODABLE = ("1.2.840.10008.1.2.4.53", "1.2.840.10008.1.2.4.55")  # MANIFEST: no decoder
IMAGE_FOLDERS = (
    "ct_philips_phantom",
    "mr_siemens_t1_sag",
    "mr_transfer_syntaxes",
    "cornerstone_ct_transfer_syntaxes",
    "enhanced_multiframe",
    "dcmqi_seg",
    "highdicom_seg",
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", dicom_port=free_port())


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def echoscu(port: int, *extra: str) -> subprocess.CompletedProcess[str]:
    tool = require_tool("echoscu")
    args = [tool, "-v", *extra, "-aec", "SEGDICOM", "127.0.0.1", str(port)]
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


def storescu_config(files: list[Path], folder: Path) -> Path:
    """A storescu profile proposing each file's SOP class in its own transfer syntax.

    Without it storescu proposes only uncompressed syntaxes and would decompress
    (or fail to send) the compressed files instead of sending them as they are.
    """
    metas = _metas(files)
    pairs = sorted({(m.sop_class, m.transfer_syntax) for m in metas})
    syntaxes = sorted({ts for _, ts in pairs})
    lines = ["[[TransferSyntaxes]]"]
    for n, ts in enumerate(syntaxes):
        lines += [f"[TS{n}]", f"TransferSyntax1 = {ts}"]
    lines += ["[[PresentationContexts]]", "[Contexts]"]
    for n, (sop, ts) in enumerate(pairs, 1):
        lines.append(f"PresentationContext{n} = {sop}\\TS{syntaxes.index(ts)}")
    lines += ["[[Profiles]]", "[Exact]", "PresentationContexts = Contexts"]
    path = folder / "storescu.cfg"
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass(frozen=True)
class Meta:
    sop_class: str
    sop_instance: str
    transfer_syntax: str


def _metas(files: list[Path]) -> list[Meta]:
    """SOP class, instance and transfer syntax of each file (guessed when no file meta)."""
    found = []
    for path in files:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        ts = ds.file_meta.get("TransferSyntaxUID")
        if ts is None:
            implicit, little = ds.original_encoding
            ts = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
            assert little
        found.append(Meta(str(ds.SOPClassUID), str(ds.SOPInstanceUID), str(ts)))
    return found


def storescu(port: int, files: list[Path], *extra: str) -> subprocess.CompletedProcess[str]:
    tool = require_tool("storescu")
    env = {**os.environ, "TCP_NODELAY": "1"}
    args = [tool, "-v", "-nh", *extra, "-aec", "SEGDICOM", "127.0.0.1", str(port)]
    return subprocess.run(
        [*args, *map(str, files)], env=env, capture_output=True, text=True, timeout=120
    )


def responses(output: str) -> dict[str, str]:
    """File name -> the status storescu reported for it ("Success", "Error: ...")."""
    found: dict[str, str] = {}
    current = ""
    for line in output.splitlines():
        if line.startswith("I: Sending file: "):
            current = Path(line.removeprefix("I: Sending file: ").strip()).name
        elif line.startswith("I: Received Store Response (") and current:
            found[current] = line.removeprefix("I: Received Store Response (").rstrip(")")
        elif line.startswith("E: Store Failed, file: ") and current:
            found.setdefault(current, "not sent")
    return found


def stored_uids(client: TestClient) -> set[str]:
    """The SOP Instance UIDs in the store's index."""
    st = client.app.state.segdicom  # type: ignore[attr-defined]
    st.store.flush()  # the SCP answers once the file is durable; the row follows
    with st.sessions() as session:
        return set(session.scalars(select(Instance.sop_instance_uid)))


def test_echoscu(client: TestClient, settings: Settings) -> None:
    run = echoscu(settings.dicom_port)
    assert run.returncode == 0, run.stderr
    assert "Received Echo Response (Success)" in run.stdout + run.stderr


def test_storescu_every_image_stored_and_viewable(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    files = [f for folder in IMAGE_FOLDERS for f in dicom_files(folder)]
    config = storescu_config(files, tmp_path)
    run = storescu(settings.dicom_port, files, "-xf", str(config), "Exact")
    got = responses(run.stdout + run.stderr)
    metas = {f.name: m for f, m in zip(files, _metas(files), strict=True)}
    assert len(got) == len({f.name for f in files}), run.stderr[-3000:]
    for name, status in got.items():
        undecodable = metas[name].transfer_syntax in UNDECODABLE
        expected = "Error: CannotUnderstand" if undecodable else "Success"
        assert status == expected, f"{name}: {status}"
    kept = stored_uids(client)
    sent = {m.sop_instance for m in metas.values()}
    assert sent <= kept | _undecodable_only(metas)
    series = client.get("/api/studies?source=local").json()
    assert sum(s["num_instances"] for s in series) == len(kept)
    _check_viewable(client, dicom_files("ct_philips_phantom"))


def _undecodable_only(metas: dict[str, Meta]) -> set[str]:
    """SOP Instance UIDs sent only in syntaxes we cannot decode (so never stored)."""
    bad, good = set(), set()
    for meta in metas.values():
        (bad if meta.transfer_syntax in UNDECODABLE else good).add(meta.sop_instance)
    return bad - good


def _check_viewable(client: TestClient, files: list[Path]) -> None:
    ds = pydicom.dcmread(files[0], stop_before_pixels=True)
    info = client.get(f"/api/series/{ds.SeriesInstanceUID}")
    assert info.status_code == 200, info.text
    assert info.json()["num_slices"] == len(files)
    data = client.get(f"/api/series/{ds.SeriesInstanceUID}/slices/0")
    assert data.status_code == 200
    itemsize = np.dtype(info.json()["dtype"]).itemsize
    assert len(data.content) == ds.Rows * ds.Columns * itemsize


# What each file of pydicom_malformed that storescu can read and send gets.
# Non-images that are valid (RT plan, SR) are kept (DESIGN: "What gets in");
# a data set without file meta is fine over the network (storescu adds none,
# DIMSE carries none). The others are refused as "cannot understand".
MALFORMED_EXPECTED = {
    "ExplVR_LitEndNoMeta.dcm": "Success",
    "rtplan.dcm": "Success",
    "test-SR.dcm": "Success",
    "waveform_ecg.dcm": "Success",
    "badVR.dcm": "Error: CannotUnderstand",  # Number of Frames "1A"
}


def test_malformed_get_failure_statuses_and_are_not_stored(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    files = [f for f in dicom_files("pydicom_malformed") if _readable(f)]
    run = storescu(
        settings.dicom_port, files, "-xf", str(storescu_config(files, tmp_path)), "Exact"
    )
    got = responses(run.stdout + run.stderr)
    assert got, run.stderr[-3000:]
    kept = stored_uids(client)
    for name, status in got.items():
        uid = str(
            pydicom.dcmread(tmp_path.parent / name if False else _path(files, name)).SOPInstanceUID
        )
        expected = MALFORMED_EXPECTED.get(name, "Error: CannotUnderstand")
        if status == "not sent":  # storescu itself could not encode it (e.g. bad deflate)
            assert name not in MALFORMED_EXPECTED, name
        else:
            assert status == expected, f"{name}: {status}"
        assert (uid in kept) == (status == "Success"), name
    assert "Error: CannotUnderstand" in got.values()


def _readable(path: Path) -> bool:
    """Whether the file reads with its SOP class and instance, so storescu sends it."""
    try:
        ds = pydicom.dcmread(path)
    except Exception:
        return False
    return "SOPClassUID" in ds and "SOPInstanceUID" in ds


def _path(files: list[Path], name: str) -> Path:
    return next(f for f in files if f.name == name)


def test_unwritable_store_answers_out_of_resources(client: TestClient, settings: Settings) -> None:
    """The instances folder becomes a regular file: every write fails with ENOTDIR.

    Tests run as root, which ignores permission bits, so a read-only folder
    would still be writable; a file where the folder should be stops root too.
    """
    instances = settings.data_dir / "instances"
    if instances.is_dir():
        instances.rmdir()
    instances.write_bytes(b"not a folder")
    files = dicom_files("ct_philips_phantom")[:2]
    run = storescu(settings.dicom_port, files)
    got = responses(run.stdout + run.stderr)
    assert set(got.values()) == {"Refused: OutOfResources"}, got
    assert stored_uids(client) == set()


def test_series_visible_while_it_arrives(client: TestClient, settings: Settings) -> None:
    """Each instance is listed as soon as its C-STORE succeeds, association still open."""
    files = dicom_files("ct_philips_phantom")[:4]
    ae = AE(ae_title="ARRIVING")
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    assoc = ae.associate("127.0.0.1", settings.dicom_port, ae_title="SEGDICOM")
    assert assoc.is_established
    try:
        for count, path in enumerate(files, 1):
            ds = pydicom.dcmread(path)
            status = assoc.send_c_store(ds)
            assert status.Status == 0x0000
            studies = client.get("/api/studies?source=local").json()
            assert [s["num_instances"] for s in studies] == [count]
            series = client.get(f"/api/studies/{ds.StudyInstanceUID}/series").json()
            assert series[0]["num_instances"] == count
    finally:
        assoc.release()


@pytest.mark.parametrize(
    ("overrides", "calling"),
    [({"scp_allowed_aets": ("GOODSCU",)}, "BADSCU"), ({"scp_allowed_hosts": ("192.0.2.1",)}, "")],
)
def test_not_on_allow_list_is_rejected_and_logged(
    tmp_path: Path,
    overrides: dict[str, tuple[str, ...]],
    calling: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(data_dir=tmp_path / "data", dicom_port=free_port(), **overrides)  # type: ignore[arg-type]
    with TestClient(create_app(settings)), caplog.at_level(logging.WARNING, "segdicom.dimse"):
        aet = ["-aet", calling] if calling else []
        refused = echoscu(settings.dicom_port, *aet)
        assert refused.returncode != 0
        assert "Association Rejected" in refused.stdout + refused.stderr
        why = "calling AE title not allowed" if calling else "host not allowed"
        assert any(why in r.getMessage() for r in caplog.records), caplog.text
        if calling:
            allowed = echoscu(settings.dicom_port, "-aet", "GOODSCU")
            assert allowed.returncode == 0, allowed.stderr


def _sent_as_filed(port: int, files: dict[str, bytes], folder: Path) -> dict[str, Dataset]:
    """C-STORE each Part 10 file as it is: the request's UIDs from its File Meta, the
    data set's bytes unchanged (pynetdicom's chunked mode; it would otherwise encode
    the data set again, UIDs from the data set). Answers each status."""
    ae = AE(ae_title="RAWSCU")
    paths = {}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
        meta = pydicom.dcmread(paths[name], stop_before_pixels=True).file_meta
        ae.add_requested_context(meta.MediaStorageSOPClassUID, meta.TransferSyntaxUID)
    assoc = ae.associate("127.0.0.1", port, ae_title="SEGDICOM")
    assert assoc.is_established
    try:
        return {name: assoc.send_c_store(path) for name, path in paths.items()}
    finally:
        assoc.release()


def test_objects_that_cannot_be_stored_as_sent_get_final_failure_statuses(
    client: TestClient, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pynetdicom_config, "STORE_SEND_CHUNKED_DATASET", True)
    seg = data_dir("dcmqi_seg", "liver.dcm").read_bytes()
    ct = pydicom.dcmread(dicom_files("ct_philips_phantom")[0])
    huge = copy.deepcopy(ct)
    huge.Rows = huge.Columns = 60000
    huge.SOPInstanceUID = huge.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    wrong_sop, wrong_class = copy.deepcopy(ct), copy.deepcopy(ct)
    wrong_sop.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    wrong_class.file_meta.MediaStorageSOPClassUID = MRImageStorage
    files = {
        "seg.dcm": seg,
        "seg_cut.dcm": seg[:-60000],  # the same SOP Instance UID, cut short
        "huge.dcm": _filed(huge),
        "wrong_sop.dcm": _filed(wrong_sop),
        "wrong_class.dcm": _filed(wrong_class),
    }
    got = _sent_as_filed(settings.dicom_port, files, tmp_path)
    codes = {name: (int(s.Status), str(s.get("ErrorComment", ""))) for name, s in got.items()}
    assert codes["seg.dcm"] == (0x0000, "")
    assert codes["seg_cut.dcm"] == (0xC000, "truncated pixel data: 38304 of 98304 bytes")
    assert codes["huge.dcm"][0] == 0xC000 and codes["huge.dcm"][1].startswith("too large")
    assert codes["wrong_sop.dcm"][0] == 0xC000
    assert codes["wrong_sop.dcm"][1].startswith("SOP Instance UID mismatch: data set 1.")
    assert codes["wrong_class.dcm"][0] == 0xA900
    assert stored_uids(client) == {str(pydicom.dcmread(io.BytesIO(seg)).SOPInstanceUID)}
    stored = next((settings.data_dir / "instances").rglob("*.dcm")).read_bytes()
    assert stored.endswith(seg[-1000:])  # the good copy stays


def _filed(ds: Dataset) -> bytes:
    """A Part 10 file with the File Meta as it is (pydicom would correct it)."""
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=False)
    return buffer.getvalue()
