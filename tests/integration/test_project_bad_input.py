"""Bad input to the team-projects API, on SQLite and PostgreSQL: a 4xx naming the field and
the bound, never a 500 from a value the database cannot hold."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from tests.integration.project_support import LABELS, bearer, users_with_tokens
from tests.integration.support import series_info, upload_series

from segdicom.app import create_app
from segdicom.config import Settings

pytestmark = pytest.mark.integration
INT32_MAX = 2**31 - 1
JSON = {"Content-Type": "application/json"}


@dataclass
class Setup:
    admin: TestClient
    project_id: int
    case_id: int
    annotation_id: int
    series_uid: str


@pytest.fixture
def setup(database_url: str, tmp_path: Path) -> Iterator[Setup]:
    settings = Settings(data_dir=tmp_path / "data", dicom_port=0, database_url=database_url)
    tokens = users_with_tokens(settings, root="admin", ann3="annotator")
    with TestClient(create_app(settings), headers=bearer(tokens["root"])) as admin:
        series_uid = upload_series(admin, "ct_philips_phantom")
        made = admin.post("/api/projects", json={"name": "p", "labels": LABELS})
        project_id = made.json()["id"]
        cases = admin.post(f"/api/projects/{project_id}/cases", json={"series_uids": [series_uid]})
        case_id = cases.json()["added"][0]["id"]
        task = admin.post(f"/api/projects/{project_id}/next").json()
        yield Setup(admin, project_id, case_id, task["annotation_id"], series_uid)


def _refused(response: Any, *words: str) -> str:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    detail = str(response.json()["detail"])
    assert all(word in detail for word in words), (words, detail)
    return detail


@pytest.mark.parametrize(
    ("method", "url", "body", "words"),
    [
        ("GET", "/api/projects/999999999999", None, ["id must be <= 2147483647"]),
        ("GET", "/api/tasks/3000000000", None, ["id must be <= 2147483647"]),
        ("POST", "/api/cases/3000000000/consensus", {}, ["id must be <= 2147483647"]),
        ("GET", "/api/tasks?project=3000000000", None, ["`project` must be <= 2147483647"]),
        (
            "POST",
            "/api/tasks",
            {"case_id": 3000000000, "assignee": "ann3"},
            ["`case_id` must be <="],
        ),
        ("POST", "/api/tasks", {"case_id": 1e20, "assignee": "ann3"}, ["`case_id` must be <="]),
        ("POST", "COMMENTS", {"text": "x", "slice": 3000000000}, ["`slice` must be <="]),
    ],
)
def test_integers_beyond_the_databases_integer_are_400_naming_the_bound(
    setup: Setup, method: str, url: str, body: dict[str, Any] | None, words: list[str]
) -> None:
    # Before: the API took them and PostgreSQL answered "integer out of range" (500).
    url = url.replace("COMMENTS", f"/api/annotations/{setup.annotation_id}/comments")
    response = setup.admin.request(method, url, json=body)
    assert response.status_code == 400, response.text
    _refused(response, *words)


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity", "-Infinity"])
def test_numbers_that_are_not_finite_are_400_and_the_comments_stay_readable(
    setup: Setup, number: str
) -> None:
    # Before: [1e400, 1] was stored as infinity, then every GET of the comments was a 500
    # ("Out of range float values are not JSON compliant").
    url = f"/api/annotations/{setup.annotation_id}/comments"
    raw = f'{{"text": "x", "slice": 1, "point": [{number}, 1]}}'
    response = setup.admin.post(url, content=raw, headers=JSON)
    assert response.status_code == 400, response.text
    _refused(response, "`point[0]` must be a finite number")
    assert setup.admin.get(url).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "liver\u0000"}, "`name` must not contain '\\x00'"),
        ({"name": "liver\nkidney"}, "`name` must not contain control characters"),
        ({"name": "a", "labels": [{"label": "Li\u0000ver"}]}, "`labels[0].label`"),
        ({"name": "a", "labels": [{"label": "Li\u001bver"}]}, "`labels[0].label`"),
        ({"name": "a", "description": "one\u0000two"}, "`description`"),
        ({"name": "a", "description": "bell\u0007"}, "`description`"),
        ({"name": "a", "rules": [{"modality": "C\u0000T"}]}, "`rules[0].modality`"),
        ({"name": "\ud800"}, "`name` must not contain '\\ud800'"),
    ],
)
def test_nul_and_control_characters_in_project_text_are_400_naming_the_field(
    setup: Setup, body: dict[str, Any], field: str
) -> None:
    # Before: NUL reached PostgreSQL, which refuses it in text (500).
    # JSON's escapes (json.dumps' default): a lone surrogate cannot be sent as UTF-8.
    raw = json.dumps({"labels": LABELS} | body)
    made = setup.admin.post("/api/projects", content=raw, headers=JSON)
    assert made.status_code == 400, made.text
    _refused(made, field)
    url = f"/api/projects/{setup.project_id}"
    patched = setup.admin.patch(url, content=json.dumps(body), headers=JSON)
    assert patched.status_code == 400, patched.text
    _refused(patched, field)


def test_text_over_lines_keeps_its_line_breaks_and_tabs(setup: Setup) -> None:
    text = "the liver\n\tis larger\r\non slice 4"
    patched = setup.admin.patch(f"/api/projects/{setup.project_id}", json={"description": text})
    assert patched.status_code == 200 and patched.json()["description"] == text
    url = f"/api/annotations/{setup.annotation_id}/comments"
    assert setup.admin.post(url, json={"text": text}).json()["text"] == text
    nul = setup.admin.post(url, json={"text": "a\u0000b"})
    assert nul.status_code == 400 and "`text`" in nul.json()["detail"]


@pytest.mark.parametrize(
    "field", ["name", "description", "labels", "readers_per_case", "review_required", "rules"]
)
def test_null_for_a_project_field_is_400_naming_it(setup: Setup, field: str) -> None:
    # Before: PATCH {"name": null} answered 409 "a project named None exists already".
    patched = setup.admin.patch(f"/api/projects/{setup.project_id}", json={field: None})
    assert patched.status_code == 400, patched.text
    _refused(patched, f"`{field}` must not be null")
    made = setup.admin.post("/api/projects", json={"name": "q", "labels": LABELS, field: None})
    assert made.status_code == 400, made.text
    unchanged = setup.admin.get(f"/api/projects/{setup.project_id}").json()
    assert (unchanged["name"], unchanged["readers_per_case"]) == ("p", 1)


def test_comments_pinned_outside_the_image_are_400_naming_its_extent(setup: Setup) -> None:
    # Before: slice 500 of a 28-slice series and [9999, 9999] on 512x512 were stored (201).
    info = series_info(setup.admin, setup.series_uid)
    last, rows, columns = info["num_slices"] - 1, info["rows"], info["columns"]
    url = f"/api/annotations/{setup.annotation_id}/comments"
    past = setup.admin.post(url, json={"text": "x", "slice": last + 1})
    assert past.status_code == 400, past.text
    _refused(past, f"`slice` must be within 0-{last}", str(last + 1))
    for point in ([rows, 0], [0, columns], [9999, 9999]):
        off = setup.admin.post(url, json={"text": "x", "slice": 5, "point": point})
        assert off.status_code == 400, off.text
        _refused(off, f"`point` must lie on the {rows}x{columns} image")
    edge = {"text": "x", "slice": last, "point": [rows - 0.5, columns - 0.5]}
    assert setup.admin.post(url, json=edge).status_code == 201
    assert setup.admin.post(url, json={"text": "unpinned"}).status_code == 201


def test_disabled_users_cannot_be_assigned_and_unknown_ones_are_not_found(setup: Setup) -> None:
    # Before: a disabled user got the reading (201); an unknown one was 400, documented 404.
    admin = setup.admin
    admin.patch(f"/api/projects/{setup.project_id}", json={"readers_per_case": 2})
    assert admin.patch("/api/users/ann3", json={"disabled": True}).status_code == 200
    assign = {"case_id": setup.case_id, "assignee": "ann3"}
    refused = admin.post("/api/tasks", json=assign)
    assert refused.status_code == 409, refused.text
    _refused(refused, "'ann3' is disabled")
    task_id = admin.get("/api/tasks", params={"project": setup.project_id}).json()[0]["id"]
    moved = admin.patch(f"/api/tasks/{task_id}", json={"assignee": "ann3"})
    assert moved.status_code == 409, moved.text
    _refused(moved, "'ann3' is disabled")
    unknown = admin.post("/api/tasks", json=assign | {"assignee": "nobody"})
    assert unknown.status_code == 404, unknown.text
    _refused(unknown, "'nobody' is not a user")
    assert admin.patch(f"/api/tasks/{task_id}", json={"assignee": "nobody"}).status_code == 404
    assert admin.patch("/api/users/ann3", json={"disabled": False}).status_code == 200
    assert admin.post("/api/tasks", json=assign).status_code == 201
