"""A series pushed with dcmtk's storescu becomes a case of the projects whose rules match."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from tests.helpers import dicom_files, free_port, poll
from tests.integration.project_support import LABELS
from tests.integration.test_dimse_scp import storescu

from segdicom.app import create_app
from segdicom.config import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def scp_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", dicom_port=free_port())
    with TestClient(create_app(settings)) as client:
        yield client


def project(client: TestClient, name: str, rules: list[dict[str, str]]) -> int:
    body = {"name": name, "labels": LABELS, "rules": rules}
    response = client.post("/api/projects", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def cases(client: TestClient, project_id: int) -> list[dict[str, object]]:
    found: list[dict[str, object]] = client.get(f"/api/projects/{project_id}/cases").json()
    return found


def test_a_matching_series_pushed_by_storescu_becomes_a_case(scp_client: TestClient) -> None:
    client = scp_client
    head = project(
        client,
        "head CT from the scanner",
        [{"calling_ae": "scanner1", "modality": "CT", "study_description": "head"}],
    )
    globbed = project(client, "any brain", [{"series_description": "std brain*"}])
    other_ae = project(client, "other scanner", [{"calling_ae": "SCANNER2", "modality": "CT"}])
    mr = project(client, "MR only", [{"modality": "MR"}])
    port = client.app.state.segdicom.settings.dicom_port  # type: ignore[attr-defined]
    files = dicom_files("ct_philips_phantom")

    sent = storescu(port, files, "-aet", "SCANNER1")
    assert sent.returncode == 0, sent.stderr
    made = poll(lambda: cases(client, head), "a case from the pushed series")
    assert len(made) == 1 and made[0]["source"] == "rule"
    series_uid = made[0]["series_uid"]
    assert [c["series_uid"] for c in poll(lambda: cases(client, globbed), "glob")] == [series_uid]
    client.app.state.segdicom.rules.drain()
    assert cases(client, other_ae) == [] and cases(client, mr) == []

    again = storescu(port, files[:3], "-aet", "SCANNER1")  # the same series: no second case
    assert again.returncode == 0, again.stderr
    client.app.state.segdicom.rules.drain()
    assert len(cases(client, head)) == 1
    log = client.get("/api/log.csv").text
    assert log.count("case_add") == 2

    # Sent again by another sender, or after the rules changed: matched again.
    assert storescu(port, files[:2], "-aet", "SCANNER2").returncode == 0
    assert [c["series_uid"] for c in poll(lambda: cases(client, other_ae), "resent")] == [
        series_uid
    ]
    later = project(client, "later", [{"modality": "XA"}])
    changed = client.patch(f"/api/projects/{later}", json={"rules": [{"modality": "CT"}]})
    assert changed.status_code == 200, changed.text
    assert storescu(port, files[:2], "-aet", "SCANNER2").returncode == 0
    assert [c["series_uid"] for c in poll(lambda: cases(client, later), "new rule")] == [series_uid]
