"""Patient data and labels are text: `<img src=x onerror=alert(1)>` shows as itself, runs nothing.

Also the login page end to end: a page load without a session lands on it, and the
viewer's writes after logging in carry the CSRF token (they succeed).
"""

import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pydicom
import pytest
from playwright.sync_api import Browser, Dialog, expect
from pydicom.uid import generate_uid
from tests.conftest import LiveServer
from tests.e2e.viewer_pages import next_frame
from tests.helpers import dicom_files
from tests.integration.auth_support import PASSWORD, add_users

from segdicom.config import Settings

PAYLOAD = "<img src=x onerror=alert(1)>"
TIMEOUT_MS = 20_000


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    add_users(settings, alice="annotator")
    live = LiveServer(settings).start()
    yield live
    live.stop()


def _hostile_series() -> list[tuple[str, bytes]]:
    """The phantom's first slices with the payload as patient name, in a new study."""
    study, series = generate_uid(), generate_uid()
    files = []
    for path in dicom_files("ct_philips_phantom")[:4]:
        ds = pydicom.dcmread(path)
        ds.PatientName = PAYLOAD
        ds.StudyDescription = PAYLOAD[:64]
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        buffer = io.BytesIO()
        ds.save_as(buffer)
        files.append((path.name, buffer.getvalue()))
    return files


def _seed(url: str) -> str:
    """Upload the series and give it an annotation with the payload as a segment label."""
    with httpx.Client(base_url=url, timeout=60) as http:
        login = http.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
        http.headers["x-csrf-token"] = login.json()["csrf_token"]
        files = [("files", (n, b, "application/dicom")) for n, b in _hostile_series()]
        uploaded = http.post("/api/uploads", files=files)
        assert uploaded.status_code == 200, uploaded.text
        series_uid = str(uploaded.json()["series"][0]["series_uid"])
        made = http.post("/api/annotations", json={"series_uid": series_uid})
        segment = {"label": PAYLOAD[:64], "color": "#ff0000"}
        url = f"/api/annotations/{made.json()['id']}/segments/1"
        saved = http.put(url, json=segment, headers={"If-Match": str(made.json()["version"])})
        assert saved.status_code in (200, 201), saved.text
        return series_uid


def test_hostile_names_are_text_after_login(
    browser: Browser, server: LiveServer, output_dir: Path
) -> None:
    series_uid = _seed(server.url)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(TIMEOUT_MS)

    page.goto(server.url + "/")
    expect(page).to_have_url(re.compile(re.escape(server.url) + r"/login\.html(\?.*)?$"))
    page.locator("#login-username").fill("alice")
    page.locator("#login-password").fill("not the password")
    page.locator("#login-submit").click()
    expect(page.locator("[data-testid=login-error]")).to_have_text("Wrong user name or password.")
    page.locator("#login-password").fill(PASSWORD)
    page.screenshot(path=str(output_dir / "login.png"))
    page.locator("#login-submit").click()
    expect(page).to_have_url(server.url + "/")
    expect(page.locator("[data-testid=account-name]")).to_have_text("alice")

    study = page.locator("[data-testid=study]").first
    expect(study).to_contain_text(PAYLOAD)  # the study description
    # PN: "=" opens the ideographic group (PS3.5 6.2.1.2), so the name shows up to it.
    expect(study.locator(".study-patient")).to_have_text("<img src")
    study.locator(".study-header").click()
    page.locator(f"[data-testid=series][data-series-uid='{series_uid}']").click()
    row = page.locator("[data-testid=segment-row]").first
    expect(row).to_contain_text(PAYLOAD)
    expect(row).to_have_attribute("data-label", PAYLOAD)
    page.screenshot(path=str(output_dir / "xss.png"))
    # The payload never became an element, and nothing ran.
    assert page.locator("img[src='x']").count() == 0
    next_frame(page)  # anything the page scheduled has run
    assert dialogs == []
    assert errors == []
    # Log out ends the session: the next page load is the login page again.
    page.locator("[data-testid=logout]").click()
    expect(page).to_have_url(server.url + "/login.html")
    page.goto(server.url + "/")
    expect(page).to_have_url(re.compile(re.escape(server.url) + r"/login\.html(\?.*)?$"))
