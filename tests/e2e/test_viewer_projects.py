"""A project's review cycle in Chromium: the annotator takes the next case from the project
page, paints and submits; the reviewer pins a comment to the image and asks for changes; the
annotator sees the pin, fixes and resubmits; the reviewer approves (not a version she has not
seen)."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, FloatRect, Page, expect
from tests.conftest import LiveServer
from tests.e2e.viewer_pages import click_pixel, go_to_slice, saved, stroke, watched_page
from tests.helpers import dicom_files
from tests.integration.auth_support import PASSWORD
from tests.integration.project_support import LABELS, bearer, users_with_tokens
from tests.integration.support import disc, mask_body

from segdicom.config import Settings

pytestmark = pytest.mark.e2e


@pytest.fixture
def project_server(tmp_path: Path) -> Iterator[tuple[LiveServer, int, str]]:
    settings = Settings(data_dir=tmp_path / "data", dicom_port=0)
    tokens = users_with_tokens(settings, alice="annotator", rita="reviewer", root="admin")
    server = LiveServer(settings).start()
    try:
        with httpx.Client(base_url=server.url, headers=bearer(tokens["root"]), timeout=60) as http:
            parts = [("files", (p.name, p.read_bytes())) for p in dicom_files("ct_philips_phantom")]
            series_uid = http.post("/api/uploads", files=parts).json()["series"][0]["series_uid"]
            project = http.post("/api/projects", json={"name": "Liver study", "labels": LABELS})
            project_id = project.json()["id"]
            http.post(f"/api/projects/{project_id}/cases", json={"series_uids": [series_uid]})
        yield server, project_id, tokens["root"]
    finally:
        server.stop()


def logged_in(browser: Browser, server: LiveServer, user: str, errors: list[str]) -> Page:
    page = watched_page(browser, f"{server.url}/login.html", errors)
    page.locator("#login-username").fill(user)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page).not_to_have_url(re.compile(r"login\.html"))
    return page


def overlap(a: FloatRect, b: FloatRect) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def task_page(page: Page) -> None:
    expect(page.locator("[data-testid=task-bar]")).to_be_visible()
    expect(page.locator("#view")).to_have_attribute("data-ready", "true")


def test_next_paint_submit_review_comment_fix_approve(
    browser: Browser, project_server: tuple[LiveServer, int, str], output_dir: Path
) -> None:
    server, project_id, root = project_server
    errors: list[str] = []
    alice = logged_in(browser, server, "alice", errors)
    alice.goto(f"{server.url}/projects.html?project={project_id}")
    expect(alice.locator("#project-name")).to_have_text("Liver study")
    alice.locator("[data-testid=next-case]").click()
    expect(alice).to_have_url(re.compile(r"index\.html\?series=.*&task=\d+"))
    task_page(alice)
    labels = alice.locator("[data-testid=segment-row]")
    expect(labels).to_have_count(3)
    expect(labels.first).to_have_attribute("data-label", "Liver")
    task_url = alice.url
    task_id = re.search(r"task=(\d+)", task_url).group(1)  # type: ignore[union-attr]
    # Nothing painted yet: Submit asks first, and "Go back" leaves the reading open.
    alice.locator("[data-testid=submit-task]").click()
    expect(alice.locator("[data-testid=confirm-dialog]")).to_contain_text("Nothing is painted")
    alice.locator("[data-testid=confirm-no]").click()
    expect(alice.locator("[data-testid=confirm-dialog]")).to_have_count(0)
    expect(alice.locator("[data-testid=task-state]")).to_have_text("in_progress")
    go_to_slice(alice, 4)
    stroke(alice, [(200, 250), (260, 250), (260, 300)])
    saved(alice)
    alice.locator("[data-testid=submit-task]").click()
    expect(alice.locator("[data-testid=task-state]")).to_have_text("submitted")
    expect(alice.locator("[data-testid=confirm-dialog]")).to_have_count(0)

    # A reviewer's "Next case" opens the reading that waits for review.
    rita = logged_in(browser, server, "rita", errors)
    rita.goto(f"{server.url}/projects.html?project={project_id}")
    rita.locator("[data-testid=next-case]").click()
    expect(rita).to_have_url(re.compile(rf"index\.html\?.*task={task_id}(&|$)"))
    task_page(rita)
    expect(rita.locator("[data-testid=task-state]")).to_have_text("submitted")
    rita.locator("[data-testid=request-changes]").click()  # no comment: asked for one first
    expect(rita.locator("[data-testid=toast]").last).to_contain_text("write in the comment box")
    expect(rita.locator("[data-testid=task-state]")).to_have_text("submitted")
    go_to_slice(rita, 4)
    rita.locator("[data-testid=task-comment]").fill("the edge is further out here")
    rita.locator("[data-testid=pin-comment]").click()
    click_pixel(rita, 300, 320)
    expect(rita.locator("[data-testid=comment-pin]")).to_have_count(1)
    rita.locator("[data-testid=task-comment]").fill("please follow the edge")
    rita.locator("[data-testid=request-changes]").click()
    expect(rita.locator("[data-testid=task-state]")).to_have_text("changes_requested")
    # More comments: one pinned 4 pixels from rita's pin (col 300, row 320), then many.
    task_id = int(task_url.split("task=")[1].split("&")[0])
    with httpx.Client(base_url=server.url, headers=bearer(root), timeout=30) as http:
        aid = http.get(f"/api/tasks/{task_id}").json()["annotation_id"]
        near = {"text": "and here", "slice": 4, "point": [320, 304]}
        for body in [near] + [{"text": f"note {n}"} for n in range(6)]:
            assert http.post(f"/api/annotations/{aid}/comments", json=body).status_code == 201

    alice.set_viewport_size({"width": 1024, "height": 700})
    alice.goto(task_url)
    task_page(alice)
    go_to_slice(alice, 4)
    # The two pins that would cover each other are one marker, numbered as in the list.
    expect(alice.locator("[data-testid=comment-pin]")).to_have_count(1)
    expect(alice.locator("[data-testid=comment-pin]")).to_have_text("1,3")
    comments = alice.locator("[data-testid=comment-list]")
    expect(comments).to_contain_text("the edge is further out")
    expect(comments).to_contain_text("please follow the edge")
    # Nine comments scroll in a few lines, the newest in view, and leave the image its room.
    expect(comments.locator("li").last).to_be_in_viewport()
    expect(comments.locator("li").first).not_to_be_in_viewport()
    list_box = comments.bounding_box()
    assert list_box is not None and list_box["height"] < 70, list_box
    # The top orientation letter is clear of the corner texts, however narrow the view.
    letter = alice.locator("#orient-view-top").bounding_box()
    for corner in ("#info-series", "#info-slice"):
        box = alice.locator(corner).bounding_box()
        assert letter and box and not overlap(letter, box), (corner, letter, box)
    alice.screenshot(path=str(output_dir / "e2e-project-comment-pin.png"))
    go_to_slice(alice, 5)
    expect(alice.locator("[data-testid=comment-pin]")).to_have_count(0)  # pinned to slice 4
    go_to_slice(alice, 4)
    stroke(alice, [(260, 300), (300, 320)])
    saved(alice)
    alice.locator("[data-testid=submit-task]").click()
    expect(alice.locator("[data-testid=task-state]")).to_have_text("submitted")

    rita.reload()
    task_page(rita)
    # An admin changes the reading after rita's page loaded it: her approval is refused, and
    # the reading stays submitted; once she has looked again, she approves what she sees.
    expect(rita.locator("#view")).to_have_attribute("data-annotation-id", re.compile(r"^\d+$"))
    aid = rita.locator("#view").get_attribute("data-annotation-id")
    with httpx.Client(base_url=server.url, headers=bearer(root), timeout=30) as http:
        version = http.get(f"/api/annotations/{aid}").json()["version"]
        mask = mask_body(disc(512, 512, 100, 100, 10))
        put = http.put(f"/api/annotations/{aid}/segments/1/slices/6", content=mask,
                       headers={"If-Match": str(version)})  # fmt: skip
        assert put.status_code == 200, put.text
    rita.locator("[data-testid=approve-task]").click()
    expect(rita.locator("[data-testid=toast]").last).to_contain_text(
        f"you reviewed version {version}"
    )
    expect(rita.locator("[data-testid=task-state]")).to_have_text("submitted")
    rita.reload()
    task_page(rita)
    rita.locator("[data-testid=approve-task]").click()
    expect(rita.locator("[data-testid=task-state]")).to_have_text("approved")
    rita.goto(f"{server.url}/projects.html?project={project_id}")
    expect(rita.locator("[data-testid=worklist] tr[data-state=approved]")).to_have_count(1)
    rita.locator("[data-testid=next-case]").click()
    expect(rita.locator("#next-status")).to_have_text(
        "No reading waits for review in this project."
    )
    assert [e for e in errors if "409" not in e] == []  # the refused approval's 409 only
