"""Whose work the annotator shows and saves, with real users signed in: a stroke refused
because the session ended waits for the next login (and undo stays true to the server); a
reading whose lease ran out and went to another reader says so and is read-only; a series
opened from the list is the caller's own annotation, and another reader's reading is opened
on purpose, named and read-only."""

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.conftest import LiveServer
from tests.e2e.viewer_pages import (
    add_segment,
    go_to_slice,
    saved,
    stroke,
    undo_saved,
    watched_page,
)
from tests.helpers import dicom_files
from tests.integration.auth_support import PASSWORD
from tests.integration.project_support import LABELS, bearer, set_lease, users_with_tokens

from segdicom.config import Settings

pytestmark = pytest.mark.e2e
USERS = {"alice": "annotator", "bob": "annotator", "carol": "annotator", "root": "admin"}


@dataclass
class Team:
    """A live server with users, the phantom and a blinded project (two readers a case)."""

    server: LiveServer
    tokens: dict[str, str]
    series_uid: str
    project_id: int
    rows: int
    columns: int

    @property
    def url(self) -> str:
        return self.server.url

    def http(self, user: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=bearer(self.tokens[user]), timeout=60)

    def mask(self, user: str, annotation: str, segment: int, index: int) -> np.ndarray:
        with self.http(user) as http:
            response = http.get(f"/api/annotations/{annotation}/segments/{segment}/slices/{index}")
        if response.status_code == 404:
            return np.zeros((self.rows, self.columns), dtype=bool)
        response.raise_for_status()
        bits = np.unpackbits(np.frombuffer(zlib.decompress(response.content), np.uint8))
        return bits[: self.rows * self.columns].reshape(self.rows, self.columns).astype(bool)


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("readings") / "data", dicom_port=0)
    tokens = users_with_tokens(settings, **USERS)
    server = LiveServer(settings).start()
    try:
        with httpx.Client(base_url=server.url, headers=bearer(tokens["root"]), timeout=60) as http:
            parts = [("files", (p.name, p.read_bytes())) for p in dicom_files("ct_philips_phantom")]
            series_uid = http.post("/api/uploads", files=parts).json()["series"][0]["series_uid"]
            info = http.get(f"/api/series/{series_uid}").json()
            project = http.post(
                "/api/projects", json={"name": "Blinded", "labels": LABELS, "readers_per_case": 2}
            ).json()
            http.post(f"/api/projects/{project['id']}/cases", json={"series_uids": [series_uid]})
        yield Team(server, tokens, series_uid, project["id"], info["rows"], info["columns"])
    finally:
        server.stop()


def log_in(page: Page, user: str) -> None:
    """Fill the login page on screen; wait until it has left for where it was sent."""
    page.locator("#login-username").fill(user)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page).not_to_have_url(re.compile(r"login\.html"))


def signed_in(browser: Browser, team: Team, user: str, errors: list[str], path: str) -> Page:
    """A page of `user`, logged in through the login page, at `path` once drawn."""
    page = watched_page(browser, f"{team.url}/login.html?next={quote(path)}", errors)
    log_in(page, user)
    expect(page.locator("#view")).to_have_attribute("data-ready", "true")
    return page


def end_session(page: Page, url: str) -> None:
    """Log the page's session out from outside the browser (another tab, an admin, expiry)."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    with httpx.Client(base_url=url, cookies=cookies, timeout=30) as http:
        response = http.post("/api/auth/logout", headers={"x-csrf-token": cookies["segdicom_csrf"]})
    assert response.status_code == 204, response.text


def version_of(page: Page) -> int:
    return int(page.locator("#view").get_attribute("data-version") or 0)


def not_served(errors: list[str]) -> list[str]:
    """The errors besides Chromium's own line for each refused request (the 401s meant here)."""
    return [e for e in errors if "Failed to load resource" not in e]


def test_a_stroke_refused_because_the_session_ended_is_saved_after_login_and_undo_stays_true(
    browser: Browser, team: Team, output_dir: Path
) -> None:
    errors: list[str] = []
    page = signed_in(browser, team, "carol", errors, f"/?series={team.series_uid}")
    go_to_slice(page, 3)
    number = add_segment(page, "Liver")
    page.locator("#brush-size").fill("10")
    stroke(page, [(150, 150), (220, 150)])
    saved(page)
    annotation = page.locator("#view").get_attribute("data-annotation-id") or ""
    first, version = team.mask("carol", annotation, number, 3), version_of(page)
    assert first.any()

    end_session(page, team.url)
    stroke(page, [(150, 320), (220, 320)])
    expect(page).to_have_url(re.compile(r"login\.html"))
    notice = page.locator("[data-testid=login-notice]")
    expect(notice).to_contain_text("Your session ended")
    expect(notice).to_contain_text("1 change is waiting")
    page.screenshot(path=str(output_dir / "e2e-session-ended-login.png"))

    log_in(page, "carol")
    expect(page.locator("#view")).to_have_attribute("data-version", str(version + 1))
    saved(page)
    both = team.mask("carol", annotation, number, 3)
    assert (both & first).sum() == first.sum() and both.sum() > first.sum()
    # The history came back with the stroke it waited for: undo takes that stroke away, and
    # then the first one, never drawing a stroke the server did not hold.
    undo_saved(page)
    assert np.array_equal(team.mask("carol", annotation, number, 3), first)
    undo_saved(page)
    assert not team.mask("carol", annotation, number, 3).any()
    assert not_served(errors) == []


def test_a_released_reading_says_so_once_is_read_only_and_a_closed_refusal_is_no_conflict(
    browser: Browser, team: Team, output_dir: Path
) -> None:
    errors: list[str] = []
    with team.http("alice") as http:
        task = http.post(f"/api/projects/{team.project_id}/next").json()
    set_lease(team.server.settings, task["id"], 1)  # the page warns as it opens
    path = (
        f"/index.html?series={team.series_uid}&annotation={task['annotation_id']}&task={task['id']}"
    )
    page = signed_in(browser, team, "alice", errors, path)
    expect(page.locator("[data-testid=task-state]")).to_have_text("in_progress")
    toasts = page.locator("[data-testid=toast]")
    expect(toasts.filter(has_text="Your lease on this case runs out at")).to_have_count(1)
    expect(page.locator("#view")).to_have_attribute("data-read-only", "false")
    go_to_slice(page, 4)
    stroke(page, [(200, 250), (260, 250)])
    saved(page)

    # Her lease runs out and bob takes her slot: her next write is refused as closed, not as a
    # version conflict with "Overwrite with mine", and the page says what happened, once.
    set_lease(team.server.settings, task["id"], -1)
    with team.http("bob") as http:
        taken = http.post(f"/api/projects/{team.project_id}/next").json()
    assert taken["slot"] == task["slot"] and taken["assignee"] == "bob"
    stroke(page, [(200, 300), (260, 300)])
    expect(page.locator("#view")).to_have_attribute("data-read-only", "true")
    expect(page.locator("#reading-text")).to_contain_text("Released — its lease ran out")
    expect(page.locator("[data-testid=task-state]")).to_have_text("released")
    expect(page.locator("[data-testid=submit-task]")).to_have_count(0)
    expect(page.locator("#save-state")).to_have_attribute("data-state", "closed")
    expect(page.locator("#save-state")).to_have_text("not saved")
    refused = toasts.filter(
        has_text="Your lease on this case ran out and it went to another reader"
    )
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("Take your next case from the project page")
    expect(page.locator("#conflict-banner")).to_be_hidden()
    page.screenshot(path=str(output_dir / "e2e-reading-released.png"))
    assert toasts.filter(has_text="not saved").count() == 1
    page.reload()
    expect(page.locator("#view")).to_have_attribute("data-ready", "true")
    expect(page.locator("[data-testid=task-state]")).to_have_text("released")
    expect(page.locator("#reading-text")).to_contain_text("Released — its lease ran out")
    expect(page.locator("#reading-text")).not_to_contain_text("· released")  # said once
    go_to_slice(page, 4)
    version = version_of(page)
    stroke(page, [(200, 350), (260, 350)])
    expect(toasts.last).to_contain_text("Released")
    expect(page.locator("#save-state")).to_have_attribute("data-pending", "0")
    assert version_of(page) == version
    expect(page.locator("#tool-brush")).to_have_css("pointer-events", "none")
    mask = team.mask("alice", str(task["annotation_id"]), 1, 4)
    assert mask[250 - 5 : 250 + 5].any() and not mask[300 - 5 : 300 + 5].any()
    assert not mask[350 - 5 : 350 + 5].any()
    assert not_served(errors) == []


def test_the_study_list_opens_the_callers_own_annotation_and_a_reading_only_on_purpose(
    browser: Browser, team: Team, output_dir: Path
) -> None:
    with team.http("bob") as http:
        task = http.post(f"/api/projects/{team.project_id}/next").json()
        http.post(f"/api/tasks/{task['id']}/submit").raise_for_status()
    bobs = str(task["annotation_id"])
    errors: list[str] = []
    page = watched_page(browser, f"{team.url}/login.html", errors)
    log_in(page, "root")
    page.locator("[data-testid=study] .study-header").first.click()
    page.locator(f"[data-testid=series][data-series-uid='{team.series_uid}']").click()
    view = page.locator("#view")
    expect(view).to_have_attribute("data-ready", "true")
    pick = page.locator("[data-testid=annotation-pick]")
    expect(pick).to_have_value("new")
    assert view.get_attribute("data-annotation-id") != bobs
    expect(page.locator("[data-testid=reading-bar]")).to_be_hidden()

    pick.select_option(bobs)
    expect(view).to_have_attribute("data-annotation-id", bobs)
    text = page.locator("[data-testid=reading-text]")
    expect(text).to_contain_text(f"Reading of bob · task {task['id']} · submitted")
    expect(view).to_have_attribute("data-read-only", "true")
    version = version_of(page)
    go_to_slice(page, 2)
    stroke(page, [(200, 250), (260, 250)])
    expect(page.locator("#save-state")).to_have_attribute("data-pending", "0")
    assert version_of(page) == version
    page.screenshot(path=str(output_dir / "e2e-reading-of-another-reader.png"))

    page.locator("[data-testid=reading-edit]").click()
    expect(view).to_have_attribute("data-read-only", "false")
    expect(text).to_contain_text("Reading of bob")
    stroke(page, [(200, 250), (260, 250)])
    saved(page)
    assert version_of(page) == version + 1
    assert not_served(errors) == []
