"""Project and task bodies are checked at the boundary; admins assign and reassign readings."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient
from tests.helpers import dicom_files
from tests.integration.project_support import LABELS
from tests.integration.support import disc, mask_body

from segdicom.db.models import Task

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"labels": LABELS}, "name"),
        ({"name": "p"}, "labels"),
        ({"name": "p", "labels": []}, "labels"),
        ({"name": "p", "labels": [{"label": "x", "color": "red"}]}, "labels[0].color"),
        ({"name": "p", "labels": [{"label": "A"}, {"label": "a"}]}, "'a' repeats 'A'"),
        (
            {"name": "p", "labels": [{"label": "A", "colour": "#ff0000"}]},
            "labels[0].colour` is not",
        ),
        ({"name": "p", "labels": LABELS, "readers_per_case": 4}, "readers_per_case"),
        ({"name": "p", "labels": LABELS, "readers_per_case": True}, "readers_per_case"),
        ({"name": "p", "labels": LABELS, "review_required": "yes"}, "review_required"),
        ({"name": "p", "labels": LABELS, "rules": [{"aet": "X"}]}, "rules[0].aet` is not a known"),
        ({"name": "p", "labels": LABELS, "rules": [{"modality": ""}]}, "rules[0].modality"),
        ({"name": "p", "labels": LABELS, "colour": "#ff0000"}, "colour"),
    ],
)
def test_bad_project_bodies_are_refused_naming_the_field(
    client: TestClient, body: dict[str, object], named: str
) -> None:
    response = client.post("/api/projects", json=body)
    assert response.status_code == 400, response.text
    assert named in response.json()["detail"]


def test_projects_are_created_listed_edited_and_named_once(client: TestClient) -> None:
    made = client.post("/api/projects", json={"name": "liver", "labels": LABELS})
    assert made.status_code == 201
    project = made.json()
    assert [label["number"] for label in project["labels"]] == [1, 2, 3]
    assert project["labels"][0]["category"]["scheme"] == "SCT"  # codes from the preset
    assert project["labels"][2]["type"]["meaning"] == "Mass"  # codes as given
    assert (project["readers_per_case"], project["review_required"]) == (1, True)
    again = client.post("/api/projects", json={"name": "liver", "labels": LABELS})
    assert again.status_code == 409
    patched = client.patch(
        f"/api/projects/{project['id']}", json={"readers_per_case": 2, "description": "two"}
    )
    assert patched.status_code == 200
    assert (patched.json()["readers_per_case"], patched.json()["blinded"]) == (2, True)
    assert [p["name"] for p in client.get("/api/projects").json()] == ["liver"]
    assert client.get("/api/projects/99").status_code == 404
    missing = client.post(f"/api/projects/{project['id']}/cases", json={"series_uids": ["1.2.3"]})
    assert missing.status_code == 200 and missing.json()["missing"] == ["1.2.3"]

    bad = client.post(f"/api/projects/{project['id']}/cases", json={"series_uids": ["x"]})
    assert bad.status_code == 400 and "series_uids[0]" in bad.json()["detail"]


@pytest.mark.parametrize(
    ("item", "detail"),
    [
        ("x", "`series_uids[0]` is not a valid DICOM UID, got 'x'"),
        (
            {"series_uid": "x", "study_uid": "1.2"},
            "`series_uids[0].series_uid` is not a valid DICOM UID, got 'x'",
        ),
        ({"series_uid": "1.2"}, "`series_uids[0].study_uid` is required"),
        (5, "`series_uids[0]` must be a series UID or an object {series_uid, study_uid}, got 5"),
    ],
)
def test_a_bad_case_item_is_named_with_what_is_wrong_with_it(
    client: TestClient, item: object, detail: str
) -> None:
    # Before: "`series_uids[0].function-after[_uid(), str]` is not a valid DICOM UID...;
    # `series_uids[0].CaseItem` must be an object": why the item fit neither kind.
    project = client.post("/api/projects", json={"name": "cases", "labels": LABELS}).json()
    bad = client.post(f"/api/projects/{project['id']}/cases", json={"series_uids": [item]})
    assert bad.status_code == 400
    assert bad.json()["detail"] == detail


def test_admins_assign_and_reassign_readings(client: TestClient, tmp_path: object) -> None:

    parts = [("files", (p.name, p.read_bytes())) for p in dicom_files("ct_philips_phantom")]
    series_uid = client.post("/api/uploads", files=parts).json()["series"][0]["series_uid"]
    project = client.post(
        "/api/projects", json={"name": "assigned", "labels": LABELS, "readers_per_case": 2}
    ).json()
    case = client.post(
        f"/api/projects/{project['id']}/cases", json={"series_uids": [series_uid]}
    ).json()["added"][0]
    first = client.post("/api/tasks", json={"case_id": case["id"], "assignee": "alice"})
    assert first.status_code == 201 and first.json()["state"] == "todo"
    twice = client.post("/api/tasks", json={"case_id": case["id"], "assignee": "alice"})
    assert twice.status_code == 409 and "alice" in twice.json()["detail"]
    second = client.post("/api/tasks", json={"case_id": case["id"], "assignee": "bob"})
    assert second.status_code == 201
    full = client.post("/api/tasks", json={"case_id": case["id"], "assignee": "carol"})
    assert full.status_code == 409
    task = first.json()
    moved = client.patch(f"/api/tasks/{task['id']}", json={"assignee": "carol"})
    assert moved.status_code == 200 and moved.json()["assignee"] == "carol"
    assert moved.json()["annotation_id"] == task["annotation_id"]
    onto_bob = client.patch(f"/api/tasks/{task['id']}", json={"assignee": "bob"})
    assert onto_bob.status_code == 409  # bob reads this case already
    listed = client.get("/api/tasks", params={"assignee": "carol", "state": "todo"}).json()
    assert [t["id"] for t in listed] == [task["id"]]
    bad = client.get("/api/tasks", params={"state": "done"})
    assert bad.status_code == 400 and "state" in bad.json()["detail"]
    cases = client.get(f"/api/projects/{project['id']}/cases").json()
    assert sorted(t["reader"] for t in cases[0]["tasks"]) == ["bob", "carol"]
    comment = client.post(
        f"/api/annotations/{task['annotation_id']}/comments", json={"text": "x", "point": [1, 2]}
    )
    assert comment.status_code == 400 and "slice" in comment.json()["detail"]
    silent = client.post(
        f"/api/tasks/{task['id']}/review", json={"decision": "request_changes", "comment": " "}
    )
    assert silent.status_code == 400  # said in words the viewer shows as they are
    assert silent.json()["detail"].startswith("a comment is required to request changes")


def test_writing_a_reading_renews_its_lease(client: TestClient) -> None:

    parts = [("files", (p.name, p.read_bytes())) for p in dicom_files("ct_philips_phantom")]
    series_uid = client.post("/api/uploads", files=parts).json()["series"][0]["series_uid"]
    project = client.post("/api/projects", json={"name": "lease", "labels": LABELS}).json()
    client.post(f"/api/projects/{project['id']}/cases", json={"series_uids": [series_uid]})
    task = client.post(f"/api/projects/{project['id']}/next").json()
    st = client.app.state.segdicom  # type: ignore[attr-defined]
    soon = datetime.now(UTC).replace(microsecond=0)
    with st.sessions.begin() as session:
        session.execute(update(Task).where(Task.id == task["id"]).values(lease_expires=soon))
    aid = task["annotation_id"]
    version = client.get(f"/api/annotations/{aid}").json()["version"]
    written = client.put(
        f"/api/annotations/{aid}/segments/1/slices/2",
        content=mask_body(disc(512, 512, 100, 100, 10)),
        headers={"If-Match": str(version)},
    )
    assert written.status_code == 200, written.text
    renewed = datetime.fromisoformat(client.get(f"/api/tasks/{task['id']}").json()["lease_expires"])
    assert (renewed - soon).total_seconds() > 50 * 60  # SEGDICOM_TASK_LEASE_MINUTES = 60


def test_the_case_list_says_whose_series_each_case_is(client: TestClient) -> None:
    """A worklist tells cases apart by patient, date and series, from one request."""
    parts = [("files", (p.name, p.read_bytes())) for p in dicom_files("ct_philips_phantom")]
    uploaded = client.post("/api/uploads", files=parts).json()["series"][0]
    project = client.post("/api/projects", json={"name": "told apart", "labels": LABELS}).json()
    client.post(
        f"/api/projects/{project['id']}/cases", json={"series_uids": [uploaded["series_uid"]]}
    )
    [case] = client.get(f"/api/projects/{project['id']}/cases").json()
    study = client.get("/api/studies", params={"source": "local"}).json()[0]
    [series] = client.get(f"/api/studies/{study['study_uid']}/series").json()
    assert case["num_instances"] == uploaded["num_instances"]
    assert (case["patient_name"], case["patient_id"]) == (
        study["patient_name"],
        study["patient_id"],
    )
    assert (case["study_date"], case["modality"]) == (study["study_date"], "CT")
    assert case["series_description"] == series["description"]
    assert case["patient_name"] and case["study_date"]
