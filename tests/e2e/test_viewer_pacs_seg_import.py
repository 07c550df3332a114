"""A SEG held only in the PACS, imported from the PACS tab in one click, in a real browser."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pydicom
import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from tests.conftest import LiveServer
from tests.e2e.viewer_pages import watched_page
from tests.helpers import data_dir, dicom_files
from tests.integration.conftest import orthanc  # noqa: F401  (the module's Orthanc fixture)
from tests.orthanc import Orthanc

from segdicom.config import Settings


@pytest.fixture
def settings(tmp_path: Path, orthanc: Orthanc) -> Settings:  # noqa: F811
    """An empty service with Orthanc as its DICOMweb PACS."""
    return Settings(data_dir=tmp_path / "data", dicom_port=0, dicomweb_url=orthanc.dicomweb_url)


@pytest.fixture
def liver_in_pacs(orthanc: Orthanc) -> Iterator[pydicom.Dataset]:  # noqa: F811
    """dcmqi's liver SEG and the three CT slices it segments, in Orthanc only."""
    seg = data_dir("dcmqi_seg", "liver.dcm")
    orthanc.upload_all([*dicom_files("dcmqi_seg", "ct-3slice"), seg])
    yield pydicom.dcmread(seg, stop_before_pixels=True)


def open_pacs_study(browser: Browser, url: str, seg: pydicom.Dataset, errors: list[str]) -> Page:
    """A page on the PACS tab with the SEG's study unfolded, collecting console errors."""
    page = watched_page(browser, url + "/", errors)
    page.locator("#tab-pacs").click()
    page.locator("#pacs-patient-id").fill(str(seg.PatientID))
    page.locator("#pacs-search-button").click()
    study = page.locator(f"[data-testid=pacs-study][data-study-uid='{seg.StudyInstanceUID}']")
    study.locator(".study-header").click()
    return page


def pacs_row(page: Page, series_uid: str) -> Locator:
    return page.locator(f"[data-testid=pacs-series][data-series-uid='{series_uid}']")


def test_import_button_of_a_pacs_seg_pulls_imports_and_opens_it(
    browser: Browser, live_server: LiveServer, liver_in_pacs: pydicom.Dataset, output_dir: Path
) -> None:
    seg = liver_in_pacs
    source_uid = str(seg.ReferencedSeriesSequence[0].SeriesInstanceUID)
    errors: list[str] = []
    page = open_pacs_study(browser, live_server.url, seg, errors)
    pacs_row(page, str(seg.SeriesInstanceUID)).locator("[data-testid=pacs-seg-import]").click()

    # One job: the SEG and the three CT slices arrive, the annotation opens on the CT.
    expect(page.locator("#pacs-progress-text")).to_have_attribute("data-state", "done")
    progress = page.locator("#pacs-progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == "4"
    view = page.locator("#view")
    expect(view).to_have_attribute("data-series-uid", source_uid)
    expect(view).to_have_attribute("data-num-slices", "3")
    expect(view).to_have_attribute("data-ready", "true")
    expect(view).to_have_attribute("data-annotation-id", re.compile(r"^\d+$"))
    expect(page.locator("[data-testid=segment-row][data-label='Liver']")).to_have_count(1)
    imported = view.get_attribute("data-annotation-id")
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        annotation = http.get(f"/api/annotations/{imported}").json()
    assert annotation["series_uid"] == source_uid
    assert [s["label"] for s in annotation["segments"]] == ["Liver"]
    assert annotation["segments"][0]["slices"]  # painted slices came with it
    page.screenshot(path=str(output_dir / "e2e-viewer-pacs-seg-imported.png"))
    assert errors == []


def test_importing_a_seg_of_the_series_on_screen_shows_its_segments_at_once(
    browser: Browser, live_server: LiveServer, liver_in_pacs: pydicom.Dataset
) -> None:
    seg = liver_in_pacs
    source_uid = str(seg.ReferencedSeriesSequence[0].SeriesInstanceUID)
    errors: list[str] = []
    page = open_pacs_study(browser, live_server.url, seg, errors)
    pacs_row(page, source_uid).locator("[data-testid=pacs-open]").click()
    view = page.locator("#view")
    expect(page.locator("#pacs-progress-text")).to_have_attribute("data-state", "done")
    expect(view).to_have_attribute("data-series-uid", source_uid)
    expect(view).to_have_attribute("data-ready", "true")
    expect(page.locator("[data-testid=segment-row]")).to_have_count(0)

    pacs_row(page, str(seg.SeriesInstanceUID)).locator("[data-testid=pacs-seg-import]").click()

    # The series on screen is opened again with the imported annotation: no reopening by hand.
    expect(page.locator("[data-testid=segment-row][data-label='Liver']")).to_have_count(1)
    expect(view).to_have_attribute("data-annotation-id", re.compile(r"^\d+$"))
    expect(view).to_have_attribute("data-ready", "true")
    assert errors == []
