"""The PACS loop in a real browser against a real Orthanc: search, retrieve, paint, send back."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pydicom
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.conftest import LiveServer
from tests.e2e.conftest import OUTPUT
from tests.e2e.viewer_pages import watched_page
from tests.helpers import dicom_files, poll
from tests.integration.conftest import orthanc  # noqa: F401  (the module's Orthanc fixture)
from tests.orthanc import Orthanc

from segdicom.config import Settings

PHANTOM = "ct_philips_phantom"


@pytest.fixture
def outbox_interval() -> float:
    return 0.2


@pytest.fixture
def settings(tmp_path: Path, orthanc: Orthanc, outbox_interval: float) -> Settings:  # noqa: F811
    """The service with Orthanc as its DICOMweb PACS."""
    return Settings(
        data_dir=tmp_path / "data",
        dicom_port=0,
        dicomweb_url=orthanc.dicomweb_url,
        outbox_interval=outbox_interval,
    )


def _open_page(browser: Browser, url: str, errors: list[str]) -> Page:
    """A page that collects console errors and uncaught exceptions."""
    return watched_page(browser, url + "/", errors)


def _paint_liver_stroke(page: Page) -> None:
    view = page.locator("#view")
    page.locator("#segment-preset").select_option(label="Liver")
    page.locator("#add-segment").click()
    expect(view).to_have_attribute("data-active-segment", "1")
    expect(view).to_have_attribute("data-ready", "true")
    page.mouse.move(*_to_page(page, 200, 260))
    page.mouse.down()
    page.mouse.move(*_to_page(page, 300, 260), steps=10)
    page.mouse.up()
    expect(page.locator("#save-state")).to_have_attribute("data-state", "saved")


@pytest.fixture
def phantom_in_pacs(orthanc: Orthanc) -> Iterator[pydicom.Dataset]:  # noqa: F811
    files = dicom_files(PHANTOM)
    orthanc.upload_all(files)
    yield pydicom.dcmread(files[0], stop_before_pixels=True)


def _to_page(page: Page, col: float, row: float) -> tuple[float, float]:
    canvas = page.locator("#view")
    box = canvas.bounding_box()
    assert box is not None
    x, y, width, height = (float(v) for v in canvas.get_attribute("data-image-rect").split(","))  # type: ignore[union-attr]
    columns = int(canvas.get_attribute("data-columns") or 1)
    rows = int(canvas.get_attribute("data-rows") or 1)
    return box["x"] + x + (col + 0.5) * width / columns, box["y"] + y + (row + 0.5) * height / rows


def test_search_retrieve_paint_send(
    browser: Browser,
    live_server: LiveServer,
    orthanc: Orthanc,  # noqa: F811
    phantom_in_pacs: pydicom.Dataset,
    output_dir: Path,
) -> None:
    ds = phantom_in_pacs
    series_uid = str(ds.SeriesInstanceUID)
    errors: list[str] = []
    page = _open_page(browser, live_server.url, errors)

    # The PACS tab appears (a PACS is configured), and so does the "pacs" export destination.
    page.locator("#tab-pacs").click()
    expect(page.locator("#pacs-panel")).to_be_visible()
    expect(page.locator("#export-destination option[value=pacs]")).to_be_enabled()

    # Search by patient ID and modality; the phantom's study is found.
    page.locator("#pacs-patient-id").fill(str(ds.PatientID))
    page.locator("#pacs-modality").fill("CT")
    page.locator("#pacs-search-button").click()
    study = page.locator(f"[data-testid=pacs-study][data-study-uid='{ds.StudyInstanceUID}']")
    expect(study).to_have_count(1)
    study.locator(".study-header").click()

    # Open the series: the retrieve runs, the progress bar reaches the end, the first slice shows.
    row = page.locator(f"[data-testid=pacs-series][data-series-uid='{series_uid}']")
    row.locator("[data-testid=pacs-open]").click()
    view = page.locator("#view")
    expect(view).to_have_attribute("data-series-uid", series_uid)
    expect(page.locator("#pacs-progress-text")).to_have_attribute("data-state", "done")
    progress = page.locator("#pacs-progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == "28"
    expect(view).to_have_attribute("data-num-slices", "28")
    expect(view).to_have_attribute("data-ready", "true")
    expect(view).to_have_attribute("data-slice", "0")

    # Paint one stroke on a new Liver segment.
    _paint_liver_stroke(page)

    # Export to the PACS: pending, then sent; the SEG is in Orthanc.
    page.locator("#export-destination").select_option("pacs")
    page.locator("#export-seg").click()
    status = page.locator("#export-status")
    expect(status).to_have_attribute("data-state", "sent")
    expect(status).to_contain_text("Sent to PACS")
    expect(page.locator("#export-retry")).to_be_hidden()
    page.screenshot(path=str(output_dir / "e2e-viewer-pacs-sent.png"))
    export_id = page.locator("#export-link").get_attribute("data-export-id")
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        export = http.get(f"/api/exports/{export_id}").json()
    assert export["status"] == "sent"
    assert orthanc.instances_of_series(export["series_instance_uid"]) == [
        export["sop_instance_uid"]
    ]

    # The SEG is also in the local store: "Import as annotation" makes a new annotation of
    # the CT series and opens it, with the stroke on slice 0.
    first_annotation = view.get_attribute("data-annotation-id")
    page.locator("#tab-local").click()
    local = page.locator(f"[data-testid=study][data-study-uid='{ds.StudyInstanceUID}']")
    local.locator(".study-header").click()
    seg_import = local.locator(
        f"[data-testid=seg-import][data-series-uid='{export['series_instance_uid']}']"
    )
    seg_import.click()
    expect(page.locator("[data-testid=toast]").last).to_contain_text("Imported")
    expect(view).to_have_attribute(
        "data-annotation-id", re.compile(rf"^(?!{first_annotation}$)\d+$")
    )
    expect(view).to_have_attribute("data-series-uid", series_uid)
    expect(view).to_have_attribute("data-ready", "true")
    imported = view.get_attribute("data-annotation-id")
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        annotation = http.get(f"/api/annotations/{imported}").json()
    assert [s["label"] for s in annotation["segments"]] == ["Liver"]
    assert annotation["segments"][0]["slices"] == [0]
    page.screenshot(path=str(output_dir / "e2e-viewer-seg-imported.png"))
    assert errors == []


@pytest.mark.parametrize("outbox_interval", [30.0])  # no automatic re-send during the test
def test_pacs_down_then_retry(
    browser: Browser,
    live_server: LiveServer,
    orthanc: Orthanc,  # noqa: F811
) -> None:
    """PACS down: the search shows the service's 502 detail, the export shows its error and
    attempts and offers Retry; PACS back up, Retry delivers it."""
    errors: list[str] = []
    page = _open_page(browser, live_server.url, errors)
    page.locator("#file-input").set_input_files([str(p) for p in dicom_files(PHANTOM)])
    view = page.locator("#view")
    expect(view).to_have_attribute("data-num-slices", "28")
    expect(view).to_have_attribute("data-ready", "true")
    _paint_liver_stroke(page)

    orthanc.stop()
    try:
        page.locator("#tab-pacs").click()
        page.locator("#pacs-search-button").click()
        status = page.locator("#pacs-status")
        expect(status).to_have_attribute("data-state", "error")
        expect(status).to_contain_text(orthanc.url.split("//")[1])  # the detail names the PACS

        page.locator("#export-destination").select_option("pacs")
        page.locator("#export-seg").click()
        export_status = page.locator("#export-status")
        expect(export_status).to_have_attribute("data-attempts", "1")
        expect(export_status).to_have_attribute("data-state", "pending")
        expect(export_status).to_contain_text("attempt: 1")
        expect(page.locator("#export-retry")).to_be_visible()
        page.screenshot(path=str(OUTPUT / "e2e-viewer-pacs-down.png"))
    finally:
        orthanc.start()

    page.locator("#export-retry").click()
    expect(export_status).to_have_attribute("data-state", "sent")
    expect(export_status).to_have_attribute("data-attempts", "2")
    expect(page.locator("#export-retry")).to_be_hidden()
    # The only console errors are the browser's notes on the 502 answers.
    assert [e for e in errors if "status of 502" not in e] == []


def test_an_admin_adds_cases_from_a_pacs_search_and_they_are_pulled(
    browser: Browser,
    live_server: LiveServer,
    phantom_in_pacs: pydicom.Dataset,
    output_dir: Path,
) -> None:
    ds = phantom_in_pacs
    series_uid = str(ds.SeriesInstanceUID)
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        body = {"name": "From the PACS", "labels": [{"label": "Liver"}]}
        project_id = http.post("/api/projects", json=body).json()["id"]
    errors: list[str] = []
    page = watched_page(browser, f"{live_server.url}/projects.html?project={project_id}", errors)
    page.locator("[data-testid=add-cases]").click()
    page.locator("[data-testid=case-tab-pacs]").click()  # the service has a PACS
    form = page.locator("[data-testid=case-pacs-form]")
    form.locator("input[name=patient_id]").fill(str(ds.PatientID))
    form.locator("[data-testid=case-pacs-search]").click()
    study = page.locator(f"[data-testid=case-pacs-study][data-study-uid='{ds.StudyInstanceUID}']")
    study.locator(".study-header").click()
    series = page.locator(f"[data-testid=case-pacs-series][data-series-uid='{series_uid}']")
    series.check()
    page.locator("[data-testid=cases-add]").click()
    result = page.locator("[data-testid=cases-result]")
    expect(result).to_have_text("1 case added · 1 being pulled from the PACS")
    expect(series).to_be_disabled()
    pulls = page.locator("[data-testid=cases-pulls]")  # the dialog follows the pull's job
    expect(pulls).to_have_attribute("data-state", "done", timeout=60_000)
    expect(pulls).to_have_text("Pulled from the PACS: 1 series, 28 images")
    page.screenshot(path=str(output_dir / "e2e-project-cases-from-pacs.png"))

    def pulled() -> bool:
        with httpx.Client(base_url=live_server.url, timeout=30) as http:
            cases = http.get(f"/api/projects/{project_id}/cases").json()
        return [(c["series_uid"], c["num_instances"]) for c in cases] == [(series_uid, 28)]

    poll(pulled, "the case's series pulled from the PACS", timeout=60)
    page.locator("#cases-close").click()
    expect(page.locator("[data-testid=project-summary] li").first).to_have_text("1 case")
    assert errors == []
