"""The loop in a real browser: upload, open, paint, save, export, find the paint in the SEG."""

import io
from pathlib import Path

import highdicom as hd
import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.conftest import LiveServer
from tests.e2e.viewer_pages import watched_page
from tests.helpers import dicom_files

SLICES_DOWN = 3  # paint on slice 3: not the first one shown


def _to_page(page: Page, info: dict, col: float, row: float) -> tuple[float, float]:  # type: ignore[type-arg]
    """Page coordinates of image pixel (col, row), from the canvas's image-rect hook."""
    canvas = page.locator("#view")
    box = canvas.bounding_box()
    assert box is not None
    x, y, width, height = (float(v) for v in canvas.get_attribute("data-image-rect").split(","))  # type: ignore[union-attr]
    return (
        box["x"] + x + (col + 0.5) * width / info["columns"],
        box["y"] + y + (row + 0.5) * height / info["rows"],
    )


def test_paint_save_export(browser: Browser, live_server: LiveServer, output_dir: Path) -> None:
    errors: list[str] = []
    page = watched_page(browser, live_server.url + "/", errors)

    # Upload the phantom through the file input; the viewer opens the series it made.
    page.locator("#file-input").set_input_files([str(p) for p in dicom_files("ct_philips_phantom")])
    view = page.locator("#view")
    expect(view).to_have_attribute("data-num-slices", "28")
    series_uid = view.get_attribute("data-series-uid")
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        info = http.get(f"/api/series/{series_uid}").json()

    # Move a few slices down with the keyboard, then add a Liver segment.
    view.focus()
    for _ in range(SLICES_DOWN):
        page.keyboard.press("ArrowDown")
    expect(view).to_have_attribute("data-slice", str(SLICES_DOWN))
    page.locator("#segment-preset").select_option(label="Liver")
    page.locator("#add-segment").click()
    expect(view).to_have_attribute("data-active-segment", "1")
    expect(view).to_have_attribute("data-ready", "true")
    version = int(view.get_attribute("data-version") or 0)

    # One brush stroke (5 mm brush) from (200, 260) to (300, 260) in image pixels.
    row, start, end = 260, 200, 300
    page.mouse.move(*_to_page(page, info, start, row))
    page.mouse.down()
    page.mouse.move(*_to_page(page, info, end, row), steps=12)
    page.mouse.up()
    expect(page.locator("#save-state")).to_have_attribute("data-state", "saved")
    page.wait_for_function(
        "v => Number(document.querySelector('#view').dataset.version) > v", arg=version
    )
    expect(page.locator("#save-state")).to_have_attribute("data-state", "saved")
    expect(page.locator("#save-state")).to_have_text("saved")
    page.screenshot(path=str(output_dir / "e2e-viewer-painted.png"))

    # Export, then read the SEG from the API.
    page.locator("#export-seg").click()
    expect(page.locator("#export-status")).to_have_attribute("data-state", "local")
    export_id = page.locator("#export-link").get_attribute("data-export-id")
    page.screenshot(path=str(output_dir / "e2e-viewer-exported.png"))
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        response = http.get(f"/api/exports/{export_id}/file")
    assert response.status_code == 200
    seg = hd.seg.segread(io.BytesIO(response.content))
    assert [d.SegmentLabel for d in seg.SegmentSequence] == ["Liver"]

    source = info["slices"][SLICES_DOWN]["sop_instance_uid"]
    painted_sources = {
        item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        for item in seg.PerFrameFunctionalGroupsSequence
    }
    assert painted_sources == {source}  # on that slice, and only there
    mask = seg.get_pixels_by_source_instance([source], segment_numbers=[1])[0, :, :, 0] > 0
    radius = 2.5 / float(info["spacing"][1])  # 5 mm brush, in pixels
    rows, cols = np.nonzero(mask)
    assert mask[row, (start + end) // 2]
    assert mask[row, start + 2] and mask[row, end - 2]
    assert rows.min() >= row - radius - 2 and rows.max() <= row + radius + 2
    assert cols.min() >= start - radius - 2 and cols.max() <= end + radius + 2
    assert mask.sum() > (end - start) * radius  # a band, not a line of single pixels
    expect(page.locator("#export-sr-link")).to_be_hidden()

    # Again as a label map SEG with its measurements: the SR is offered beside the SEG.
    page.locator("#export-type").select_option("labelmap")
    page.locator("#export-measurements").check()
    page.locator("#export-seg").click()
    expect(page.locator("#export-status")).to_have_text("SEG written (with SR)")
    expect(page.locator("#export-sr-link")).to_be_visible()
    export_id = page.locator("#export-link").get_attribute("data-export-id")
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        seg_file = http.get(f"/api/exports/{export_id}/file").content
        sr_file = http.get(page.locator("#export-sr-link").get_attribute("href") or "").content
    assert hd.seg.segread(io.BytesIO(seg_file)).SegmentationType == "LABELMAP"
    groups = hd.sr.srread(io.BytesIO(sr_file)).content.get_volumetric_roi_measurement_groups()
    volume = {m.name.meaning: m.value for m in groups[0].get_measurements()}["Volume"]
    voxel_ml = float(np.prod(info["spacing"])) / 1000
    assert float(volume) == pytest.approx(mask.sum() * voxel_ml, rel=1e-6)
    assert errors == []
