"""Dataset export for training on real series (axial CT, sagittal MR): each painted voxel of
the NIfTI label has the world coordinate of the source pixel it was painted on, image values
are the source pixels, label values are those of dataset.json; and the CLI writes the same."""

import gzip
import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pydicom
import pytest
from starlette.testclient import TestClient
from tests.helpers import dicom_files
from tests.integration.support import (
    create_annotation,
    disc,
    put_mask,
    put_segment,
    series_info,
    upload_series,
    wait_job,
)

from segdicom.app import create_app
from segdicom.config import Settings
from segdicom.enums import JobKind
from segdicom.workflows.dataset_cases import select_cases
from segdicom.workflows.dataset_request import DatasetRequest
from segdicom.workflows.datasets import job_key

TOLERANCE_MM = 0.1


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("datasets"), dicom_port=0)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def paint(client: TestClient, folder: str, labels: list[str]) -> dict[str, Any]:
    """Upload a shared series and paint one disc per label on a few slices each."""
    info = series_info(client, upload_series(client, folder))
    aid = create_annotation(client, info["series_uid"])["id"]
    rows, columns, n = info["rows"], info["columns"], info["num_slices"]
    version = 0
    for number, label in enumerate(labels, start=1):
        version = put_segment(client, aid, number, label=label)
    masks: dict[tuple[int, int], np.ndarray] = {}
    for number in range(1, len(labels) + 1):
        for k, index in enumerate((n // 3 + number, n // 2 + number)):
            cy, cx = rows * (0.3 + 0.2 * number), columns * (0.25 + 0.15 * number + 0.02 * k)
            masks[number, index] = disc(rows, columns, cy, cx, min(rows, columns) / 10)
            version = put_mask(client, aid, number, index, masks[number, index], version)
    return {"info": info, "annotation_id": aid, "masks": masks, "labels": labels}


@pytest.fixture(scope="module")
def ct(client: TestClient) -> dict[str, Any]:
    return paint(client, "ct_philips_phantom", ["Liver", "Tumor"])


@pytest.fixture(scope="module")
def mr(client: TestClient) -> dict[str, Any]:
    return paint(client, "mr_siemens_t1_sag", ["Brain"])


def export(client: TestClient, body: dict[str, Any]) -> tuple[dict[str, Any], zipfile.ZipFile]:
    answer = client.post("/api/datasets", json=body)
    assert answer.status_code == 202, answer.text
    job = wait_job(client, answer.json()["job_id"], timeout=120)
    assert job["state"] == "done", job
    assert job["kind"] == "dataset" and job["done"] == job["total"] > 0
    dataset_id = job["result"]["dataset_id"]
    assert client.get(f"/api/datasets/{dataset_id}").json()["num_cases"] == len(body["series_uids"])
    file = client.get(f"/api/datasets/{dataset_id}/file")
    assert file.status_code == 200 and file.headers["content-type"] == "application/zip"
    return job["result"], zipfile.ZipFile(io.BytesIO(file.content))


def nifti(archive: zipfile.ZipFile, name: str) -> Any:
    return nib.Nifti1Image.from_bytes(gzip.decompress(archive.read(name)))


def sources_by_uid(folder: str) -> dict[str, pydicom.Dataset]:
    return {str(ds.SOPInstanceUID): ds for ds in map(pydicom.dcmread, dicom_files(folder))}


def dicom_lps(ds: pydicom.Dataset, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """PS3.3 C.7.6.2.1.1: patient coordinates (LPS mm) of pixels (row, column) of `ds`."""
    x, y = np.asarray(ds.ImageOrientationPatient, dtype=float).reshape(2, 3)
    row_spacing, column_spacing = (float(v) for v in ds.PixelSpacing)
    origin = np.asarray(ds.ImagePositionPatient, dtype=float)
    return origin + np.outer(columns * column_spacing, x) + np.outer(rows * row_spacing, y)


def check_case(
    painted: dict[str, Any], folder: str, image: Any, label: Any, values: dict[str, int]
) -> None:
    info, masks = painted["info"], painted["masks"]
    sources = sources_by_uid(folder)
    assert image.shape == label.shape == (info["columns"], info["rows"], info["num_slices"])
    assert np.allclose(image.affine, label.affine)
    data = np.asarray(label.dataobj)
    pixels = np.asarray(image.dataobj)
    expected = np.zeros(data.shape, dtype=np.uint8)
    for (number, index), mask in masks.items():
        expected[:, :, index][mask.T] = values[painted["labels"][number - 1]]
    assert np.array_equal(data, expected)  # each label voxel on its slice, row, column
    for index in sorted({index for _, index in masks}):
        ds = sources[info["slices"][index]["sop_instance_uid"]]
        columns, rows = np.nonzero(data[:, :, index])
        ijk = np.stack([columns, rows, np.full_like(columns, index), np.ones_like(columns)])
        ras = (label.affine @ ijk)[:3].T
        lps = ras * np.array([-1.0, -1.0, 1.0])
        assert np.abs(lps - dicom_lps(ds, rows, columns)).max() <= TOLERANCE_MM, index
        source = ds.pixel_array * float(ds.get("RescaleSlope", 1)) + float(
            ds.get("RescaleIntercept", 0)
        )
        assert np.array_equal(pixels[:, :, index], source.T), index


def test_nnunet_dataset_places_every_painted_voxel_on_its_source_pixel(
    client: TestClient, ct: dict[str, Any]
) -> None:
    body = {"format": "nnunet", "series_uids": [ct["info"]["series_uid"]]}
    result, archive = export(client, body)
    document = json.loads(archive.read("dataset.json"))
    assert document["channel_names"] == {"0": "CT"}
    assert document["labels"] == {"background": 0, "Liver": 1, "Tumor": 2}
    assert document["numTraining"] == 1 and document["file_ending"] == ".nii.gz"
    assert result["labels"] == document["labels"]
    assert result["notes"] == document["segdicom"]["geometry_notes"] == []  # a regular series
    assert sorted(archive.namelist()) == [
        "dataset.json",
        "imagesTr/case_0001_0000.nii.gz",
        "labelsTr/case_0001.nii.gz",
    ]
    image = nifti(archive, "imagesTr/case_0001_0000.nii.gz")
    label = nifti(archive, "labelsTr/case_0001.nii.gz")
    check_case(ct, "ct_philips_phantom", image, label, document["labels"])
    log = client.get("/api/log.csv", params={"series_uid": ct["info"]["series_uid"]}).text
    assert "export_dataset" in log and f"datasets/{result['path'].split('/')[-1]}" in log


def test_monai_dataset_of_the_sagittal_mr_with_a_label_subset(
    client: TestClient, ct: dict[str, Any], mr: dict[str, Any]
) -> None:
    body = {
        "format": "nifti",
        "series_uids": [mr["info"]["series_uid"], ct["info"]["series_uid"]],
        "labels": ["Tumor", "Brain"],
    }
    _, archive = export(client, body)
    datalist = json.loads(archive.read("datalist.json"))
    assert datalist["labels"] == {"background": 0, "Tumor": 1, "Brain": 2}
    first, second = datalist["training"]
    assert (first["image"], first["label"]) == (
        "images/case_0001.nii.gz",
        "labels/case_0001.nii.gz",
    )
    assert first["series_uid"] == mr["info"]["series_uid"] and second["modality"] == "CT"
    check_case(
        mr,
        "mr_siemens_t1_sag",
        nifti(archive, first["image"]),
        nifti(archive, first["label"]),
        datalist["labels"],
    )
    ct_label = np.asarray(nifti(archive, second["label"]).dataobj)
    assert set(np.unique(ct_label).tolist()) == {0, 1}  # Liver left out, Tumor is 1


def test_bad_selections_are_refused_with_a_reason(client: TestClient, ct: dict[str, Any]) -> None:
    uid = ct["info"]["series_uid"]
    cases = [
        ({"format": "onnx", "series_uids": [uid]}, "`format` must be one of"),
        ({"format": "nnunet"}, "series_uids must name at least one series"),
        ({"format": "nnunet", "series_uids": [uid], "labels": ["Spleen"]}, "['Spleen']"),
        ({"format": "nnunet", "series_uids": [uid], "states": ["approved"]}, "give project_id"),
        ({"format": "nnunet", "series_uids": [uid], "label": ["Liver"]}, "`label`"),
    ]
    for body, reason in cases:
        answer = client.post("/api/datasets", json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert reason in answer.json()["detail"], (body, answer.json())
    unknown = client.post("/api/datasets", json={"format": "nnunet", "series_uids": ["1.2.3.999"]})
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["detail"] == "series 1.2.3.999 is not in the local store"
    bare = upload_series(client, "dcmqi_seg/ct-3slice")  # stored, never annotated
    unpainted = client.post("/api/datasets", json={"format": "nnunet", "series_uids": [bare]})
    assert unpainted.status_code == 400
    assert unpainted.json()["detail"] == f"series {bare} has no annotation to export"


def test_a_project_dataset_takes_each_case_once_with_its_approved_reading(
    tmp_path: Path,
) -> None:
    """The CT also has its own (unrelated) annotation: only the project's reading is taken.
    (A client of its own: the project's reading would be the CT's latest for the others.)"""
    settings = Settings(data_dir=tmp_path, dicom_port=0)
    with TestClient(create_app(settings)) as own:
        info = paint(own, "ct_philips_phantom", ["Tumor"])["info"]
        body = {"name": "training", "labels": [{"label": "Liver"}], "review_required": False}
        pid = own.post("/api/projects", json=body).json()["id"]
        added = own.post(f"/api/projects/{pid}/cases", json={"series_uids": [info["series_uid"]]})
        assert added.status_code == 201, added.text
        task = own.post(f"/api/projects/{pid}/next").json()
        aid = task["annotation_id"]
        rows, columns, index = info["rows"], info["columns"], info["num_slices"] // 2
        mask = disc(rows, columns, rows / 2, columns / 2, min(rows, columns) / 8)
        put_mask(own, aid, 1, index, mask, own.get(f"/api/annotations/{aid}").json()["version"])
        unready = own.post("/api/datasets", json={"format": "nifti", "project_id": pid})
        assert unready.status_code == 400 and "no reading" in unready.json()["detail"]
        assert own.post(f"/api/tasks/{task['id']}/submit").json()["state"] == "approved"
        selection = {"format": "nifti", "project_id": pid, "series_uids": [info["series_uid"]]}
        _, archive = export(own, selection)
    (case,) = json.loads(archive.read("datalist.json"))["training"]
    label = np.asarray(nifti(archive, case["label"]).dataobj)
    assert np.array_equal(label[:, :, index], mask.T.astype(label.dtype))
    assert int(label.sum()) == int(mask.sum())  # nothing of the CT's other annotation


def test_mixed_modalities_make_no_nnunet_dataset(
    client: TestClient, ct: dict[str, Any], mr: dict[str, Any]
) -> None:
    body = {"format": "nnunet", "series_uids": [ct["info"]["series_uid"], mr["info"]["series_uid"]]}
    job = wait_job(client, client.post("/api/datasets", json=body).json()["job_id"])
    assert job["state"] == "failed" and "one image channel" in job["error"]


def test_cli_writes_the_same_dataset_into_a_folder(
    client: TestClient, ct: dict[str, Any], settings: Settings, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGDICOM_")}
    env |= {"SEGDICOM_DATA_DIR": str(settings.data_dir), "SEGDICOM_DICOM_PORT": "0"}
    out = tmp_path / "Dataset001_Phantom"
    command = [sys.executable, "-m", "segdicom", "export", "dataset", "--format", "nnunet"]
    done = subprocess.run(
        [*command, "--series", ct["info"]["series_uid"], "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 case(s)" in done.stdout
    assert "alembic" not in done.stderr, done.stderr  # no start-up chatter for scripts
    document = json.loads((out / "dataset.json").read_text())
    image = nib.load(out / "imagesTr" / "case_0001_0000.nii.gz")
    label = nib.load(out / "labelsTr" / "case_0001.nii.gz")
    check_case(ct, "ct_philips_phantom", image, label, document["labels"])
    bad = subprocess.run(
        [*command, "--series", "1.2.3.4", "--out", str(tmp_path / "x.zip")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1 and "series 1.2.3.4 is not in the local store" in bad.stderr


def test_a_request_after_an_edit_gets_a_new_job_not_the_one_running_since_before_it(
    client: TestClient,
) -> None:
    """The same selection while its job runs shares the job; once the annotation changed,
    the running job may have read the masks before the edit, so a new one starts."""
    case = paint(client, "highdicom_seg/source_ct2_4slices", ["Liver"])
    uid, aid = case["info"]["series_uid"], case["annotation_id"]
    body = {"format": "nnunet", "series_uids": [uid]}
    st = client.app.state.segdicom  # type: ignore[attr-defined]
    request = DatasetRequest.parse(body)
    params = {"format": "nnunet", "series_uids": [uid], "labels": []}
    release = threading.Event()
    held = st.jobs.start(  # a job of this selection, still running
        JobKind.DATASET,
        job_key(params, select_cases(st, request)),
        lambda: "held-job",
        lambda _: release.wait(30),
    )
    try:
        assert client.post("/api/datasets", json=body).json()["job_id"] == held
        version = client.get(f"/api/annotations/{aid}").json()["version"]
        (number, index), mask = next(iter(case["masks"].items()))
        put_mask(client, aid, number, index, ~mask, version)
        fresh = client.post("/api/datasets", json=body).json()["job_id"]
        assert fresh != held
        assert wait_job(client, fresh)["state"] == "done"
    finally:
        release.set()
