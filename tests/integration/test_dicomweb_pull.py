"""Search and pull against a real Orthanc over DICOMweb (QIDO-RS, WADO-RS)."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient
from tests.helpers import dicom_files, free_port
from tests.integration.proxy import CuttingProxy
from tests.integration.support import wait_job
from tests.orthanc import Orthanc

from segdicom.app import create_app
from segdicom.config import Settings

CT = "ct_philips_phantom"
MR = "mr_siemens_t1_sag"


@pytest.fixture(scope="module")
def loaded(orthanc: Orthanc) -> Orthanc:
    for name in (CT, MR):
        orthanc.upload_all(dicom_files(name))
    return orthanc


def make_client(tmp: Path, url: str) -> TestClient:
    settings = Settings(data_dir=tmp, dicom_port=0, dicomweb_url=url, outbox_interval=0.2)
    return TestClient(create_app(settings))


@pytest.fixture
def client(loaded: Orthanc, tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path / "pull", loaded.dicomweb_url) as c:
        yield c


def search(client: TestClient, **params: str) -> list[dict[str, Any]]:
    answer = client.get("/api/studies", params={"source": "pacs", **params})
    assert answer.status_code == 200, answer.text
    result: list[dict[str, Any]] = answer.json()
    return result


def test_search_by_name_id_modality_date_and_accession(client: TestClient) -> None:
    everything = search(client)
    assert {s["patient_id"] for s in everything} == {"PLASTIC", "crlab"}
    ct = next(s for s in everything if s["patient_id"] == "PLASTIC")
    assert ct["modalities"] == ["CT"] and ct["num_instances"] == 28 and ct["num_series"] == 1
    assert ct["study_date"] == "20150206"
    assert [s["patient_id"] for s in search(client, patient_name="HEA*")] == ["PLASTIC"]
    assert [s["patient_id"] for s in search(client, patient_name="hfs")] == ["crlab"]
    assert [s["patient_id"] for s in search(client, patient_id="PLASTIC")] == ["PLASTIC"]
    assert [s["patient_id"] for s in search(client, modality="MR")] == ["crlab"]
    assert [s["patient_id"] for s in search(client, date_from="2022-01-01")] == ["crlab"]
    assert [s["patient_id"] for s in search(client, date_to="20151231")] == ["PLASTIC"]
    assert search(client, date_from="20150207", date_to="20220406") == []
    assert search(client, accession="NO-SUCH") == []
    assert len(search(client, limit="1")) == 1
    assert (
        search(client, limit="1", offset="1")[0]["study_uid"]
        != search(client, limit="1")[0]["study_uid"]
    )
    series = client.get(f"/api/studies/{ct['study_uid']}/series", params={"source": "pacs"})
    assert [(s["modality"], s["num_instances"]) for s in series.json()] == [("CT", 28)]


def pull(client: TestClient, study_uid: str, series_uid: str) -> dict[str, Any]:
    answer = client.post(
        f"/api/series/{series_uid}/retrieve", json={"study_uid": study_uid, "via": "dicomweb"}
    )
    assert answer.status_code == 202, answer.text
    return wait_job(client, answer.json()["job_id"])


def pacs_series(client: TestClient, patient_id: str) -> tuple[str, str]:
    study = search(client, patient_id=patient_id)[0]
    series = client.get(f"/api/studies/{study['study_uid']}/series", params={"source": "pacs"})
    return study["study_uid"], series.json()[0]["series_uid"]


@pytest.mark.parametrize(("name", "patient_id"), [(CT, "PLASTIC"), (MR, "crlab")])
def test_pull_gives_the_same_volume_as_upload(
    client: TestClient, tmp_path: Path, name: str, patient_id: str
) -> None:
    study_uid, series_uid = pacs_series(client, patient_id)
    job = pull(client, study_uid, series_uid)
    files = dicom_files(name)
    assert (job["state"], job["done"], job["total"], job["error"]) == (
        "done",
        len(files),
        len(files),
        None,
    )
    with make_client(tmp_path / "upload", "") as uploaded:
        parts = [("files", (p.name, p.read_bytes(), "application/dicom")) for p in files]
        assert uploaded.post("/api/uploads", files=parts).status_code == 200
        pulled_info = client.get(f"/api/series/{series_uid}").json()
        uploaded_info = uploaded.get(f"/api/series/{series_uid}").json()
        assert pulled_info == uploaded_info
        for index in range(pulled_info["num_slices"]):
            path = f"/api/series/{series_uid}/slices/{index}"
            assert client.get(path).content == uploaded.get(path).content


def test_pull_of_a_partly_held_series_fetches_only_the_missing(
    client: TestClient, loaded: Orthanc
) -> None:
    study_uid, series_uid = pacs_series(client, "PLASTIC")
    files = dicom_files(CT)
    parts = [("files", (p.name, p.read_bytes(), "application/dicom")) for p in files[:20]]
    assert client.post("/api/uploads", files=parts).status_code == 200
    before = loaded.rest("GET", "/statistics")
    job = pull(client, study_uid, series_uid)
    assert (job["state"], job["done"], job["total"]) == ("done", 28, 28)
    assert job["result"]["fetched"] == 8  # 20 were held: only 8 instances travelled
    assert client.get(f"/api/series/{series_uid}").json()["num_slices"] == 28
    assert loaded.rest("GET", "/statistics")["CountInstances"] == before["CountInstances"]


def test_unreachable_pacs_is_a_502_naming_the_url(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/dicom-web"
    with make_client(tmp_path / "down", url) as down:
        answer = down.get("/api/studies", params={"source": "pacs"})
        assert answer.status_code == 502
        assert answer.json()["error"] == "pacs_unavailable"
        assert url in answer.json()["detail"]
        answer = down.post("/api/series/1.2.3/retrieve", json={"study_uid": "1.2"})
        job = wait_job(down, answer.json()["job_id"])
        assert job["state"] == "failed" and url in job["error"]


def test_unknown_series_fails_the_job_and_bad_job_ids_are_refused(client: TestClient) -> None:
    job = pull(client, "1.2.3", "1.2.3.4")
    assert job["state"] == "failed" and "not found" in job["error"]
    assert client.get("/api/jobs/nope").status_code == 400
    assert client.get("/api/jobs/" + "0" * 32).status_code == 404


def test_a_pacs_that_stops_mid_transfer_fails_the_job_saying_how_far_it_got(
    loaded: Orthanc, tmp_path: Path
) -> None:
    parsed = urlsplit(loaded.dicomweb_url)
    proxy = CuttingProxy((parsed.hostname or "", parsed.port or 80), cut_after=4_000_000)
    url = f"http://127.0.0.1:{proxy.port}{parsed.path}"
    try:
        with make_client(tmp_path / "cut", url) as cut:
            study_uid, series_uid = pacs_series(cut, "PLASTIC")
            job = pull(cut, study_uid, series_uid)
            assert job["state"] == "failed", job
            stopped = re.fullmatch(
                rf"PACS {re.escape(url)} stopped answering after (\d+) of 28 instances; "
                "retry fetches the rest",
                job["error"],
            )
            assert stopped, job["error"]
            arrived = int(stopped.group(1))
            assert 0 < arrived < 28 and job["done"] == arrived
            proxy.cut_after = None  # the PACS is back: the retry fetches only the rest
            again = pull(cut, study_uid, series_uid)
            assert (again["state"], again["done"], again["result"]["fetched"]) == (
                "done",
                28,
                28 - arrived,
            )
    finally:
        proxy.close()
