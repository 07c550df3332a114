"""The annotator's tools in a real browser: each paints through the pointer, then reads the saved
masks through the API (and the canvas through a screenshot) to check where the paint landed."""

import io
from collections import deque
from pathlib import Path

import highdicom as hd
import httpx
import numpy as np
from playwright.sync_api import Browser, expect
from tests.e2e.viewer_pages import (
    Phantom,
    annotation_id,
    canvas_pixel,
    canvas_point,
    canvas_rgb,
    click_pixel,
    go_to_slice,
    next_frame,
    open_with_segment,
    saved,
    stroke,
    to_page,
    view_to_image,
    wait_pixel_changes,
)
from tests.e2e.viewer_pages import phantom as phantom  # the server fixture

BONE = (300, 3000)  # HU: the phantom's shell; inside it is air (about -1000 HU)


def _component(values: np.ndarray, seed: tuple[int, int], low: float, high: float) -> np.ndarray:
    """The 4-connected pixels within [low, high] holding seed (what flood fill must paint)."""
    inside = (values >= low) & (values <= high)
    out = np.zeros_like(inside)
    queue = deque([seed])
    out[seed] = True
    while queue:
        r, c = queue.popleft()
        for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if (
                0 <= rr < out.shape[0]
                and 0 <= cc < out.shape[1]
                and inside[rr, cc]
                and not out[rr, cc]
            ):
                out[rr, cc] = True
                queue.append((rr, cc))
    return out


def test_threshold_brush_paints_only_the_range_into_the_seg(
    browser: Browser, phantom: Phantom, output_dir: Path
) -> None:
    errors: list[str] = []
    page, number = open_with_segment(browser, phantom, errors, 14, "Bone threshold")
    values = phantom.slice_values(14)
    expect(page.locator("#view")).to_have_attribute("data-range", "-100,300")  # HU on CT

    # "From pixel": click a shell pixel; the range becomes its value +- the tolerance.
    shell = (256, 96)
    page.locator("#threshold-tolerance").fill("400")
    page.locator("#threshold-pick").click()
    click_pixel(page, shell[1], shell[0])
    v = float(values[shell])
    expect(page.locator("#view")).to_have_attribute("data-range", f"{v - 400:g},{v + 400:g}")
    # Then type the bone range and paint a wide stroke over shell and air.
    page.locator("#threshold-low").fill(str(BONE[0]))
    page.locator("#threshold-low").press("Tab")
    page.locator("#threshold-high").fill(str(BONE[1]))
    page.locator("#threshold-high").press("Tab")
    expect(page.locator("#view")).to_have_attribute("data-range", f"{BONE[0]},{BONE[1]}")
    page.keyboard.press("t")
    expect(page.locator("#view")).to_have_attribute("data-tool", "threshold")
    page.locator("#brush-size").fill("20")
    stroke(page, [(40, 256), (160, 256)])
    saved(page)
    page.screenshot(path=str(output_dir / "e2e-tools-threshold.png"))

    mask = phantom.mask(annotation_id(page), number, 14)
    in_range = (values >= BONE[0]) & (values <= BONE[1])
    assert mask.sum() > 50
    assert not (mask & ~in_range).any()  # nothing outside the range
    band = np.zeros_like(mask)
    band[256 - 15 : 256 + 16, 45:156] = True  # well inside the 20 mm brush's sweep
    assert (~in_range & band).sum() > 1000  # air under the brush, left unpainted
    assert (in_range & band & ~mask).sum() == 0  # every bone pixel under it painted

    # The exported SEG holds the same pixels.
    page.locator("#export-seg").click()
    expect(page.locator("#export-status")).to_have_attribute("data-state", "local")
    export_id = page.locator("#export-link").get_attribute("data-export-id")
    with httpx.Client(base_url=phantom.url, timeout=30) as http:
        response = http.get(f"/api/exports/{export_id}/file")
    assert response.status_code == 200
    seg = hd.seg.segread(io.BytesIO(response.content))
    labels = {int(d.SegmentNumber): d.SegmentLabel for d in seg.SegmentSequence}
    assert labels[number] == "Bone threshold"
    source = phantom.info["slices"][14]["sop_instance_uid"]
    frame = seg.get_pixels_by_source_instance([source], segment_numbers=[number])[0, :, :, 0] > 0
    assert np.array_equal(frame, mask)
    assert (values[frame] >= BONE[0]).all() and (values[frame] <= BONE[1]).all()
    assert errors == []


def test_flood_fill_fills_the_connected_region_within_the_range(
    browser: Browser, phantom: Phantom, output_dir: Path
) -> None:
    errors: list[str] = []
    page, number = open_with_segment(browser, phantom, errors, 14, "Insert fill")
    values = phantom.slice_values(14)
    seed = (256, 256)  # a small insert of about 100 HU
    low, high = 50, 150
    page.locator("#threshold-low").fill(str(low))
    page.locator("#threshold-high").fill(str(high))
    page.locator("#threshold-high").press("Tab")
    page.keyboard.press("f")
    expect(page.locator("#view")).to_have_attribute("data-tool", "fill")
    before = canvas_rgb(page, output_dir / "e2e-tools-fill-before.png")
    click_pixel(page, seed[1], seed[0])
    saved(page)
    after = canvas_rgb(page, output_dir / "e2e-tools-fill.png")

    mask = phantom.mask(annotation_id(page), number, 14)
    expected = _component(values, seed, low, high)
    assert 20 < expected.sum() < 20_000
    assert np.array_equal(mask, expected)
    # Drawn where clicked (away from the crosshair lines through the middle of the image).
    rows, cols = np.nonzero(expected & (np.abs(np.arange(512) - 256)[:, None] > 2))
    x, y = canvas_point(page, float(cols[0]), float(rows[0]))
    assert np.abs(after[y, x] - before[y, x]).sum() > 30
    # A click on a pixel outside the range paints nothing.
    click_pixel(page, 20, 20)
    expect(page.locator("[data-testid=toast]").last).to_contain_text("outside the range")
    assert errors == []


def test_fill_between_slices_interpolates_and_undoes_as_one_step(
    browser: Browser, phantom: Phantom, output_dir: Path
) -> None:
    errors: list[str] = []
    page, number = open_with_segment(browser, phantom, errors, 4, "Interpolated")
    page.keyboard.press("b")
    page.locator("#brush-size").fill("10")
    click_pixel(page, 250, 250)
    go_to_slice(page, 8)
    page.locator("#brush-size").fill("30")
    click_pixel(page, 270, 270)
    # The sagittal view through column 262 shows the segment on the slices in memory.
    sagittal = page.locator("#view-sagittal")
    page.keyboard.down("Shift")
    click_pixel(page, 262, 240)
    page.keyboard.up("Shift")
    expect(sagittal).to_have_attribute("data-index", "262")
    expect(sagittal).to_have_attribute("data-ready", "true")
    next_frame(page)
    top = int(sagittal.get_attribute("data-top-slice") or 0)
    x, y = canvas_point(page, 262, 6 if top == 0 else top - 6, "#view-sagittal")
    unpainted = canvas_pixel(page, "#view-sagittal", x, y)
    before = canvas_rgb(
        page, output_dir / "e2e-tools-fill-between-sagittal-before.png", "#view-sagittal"
    )
    page.locator("#view").focus()
    page.keyboard.press("Shift+F")
    saved(page)
    wait_pixel_changes(page, "#view-sagittal", x, y, unpainted)  # masks redraw after 100 ms
    after = canvas_rgb(page, output_dir / "e2e-tools-fill-between-sagittal.png", "#view-sagittal")
    assert np.abs(after[y, x] - before[y, x]).sum() > 30  # slice 6 now painted, in the sagittal
    go_to_slice(page, 6)
    page.screenshot(path=str(output_dir / "e2e-tools-fill-between.png"))

    ann = annotation_id(page)
    areas = [int(phantom.mask(ann, number, i).sum()) for i in range(3, 10)]
    assert areas[0] == 0 and areas[-1] == 0  # nothing outside the two painted slices
    assert all(a > 0 for a in areas[1:-1])
    assert areas[1] < areas[2] < areas[3] < areas[4] < areas[5]  # grows from 10 mm to 30 mm
    centre = phantom.mask(ann, number, 6)
    rows, cols = np.nonzero(centre)
    assert abs(rows.mean() - 260) < 3 and abs(cols.mean() - 260) < 3  # halfway between centres

    page.keyboard.press("Control+z")  # one step undoes every filled slice
    saved(page)
    assert [int(phantom.mask(ann, number, i).sum()) for i in (5, 6, 7)] == [0, 0, 0]
    assert phantom.mask(ann, number, 4).sum() > 0 and phantom.mask(ann, number, 8).sum() > 0
    assert errors == []


def test_eraser_clear_slice_and_lock(browser: Browser, phantom: Phantom, output_dir: Path) -> None:
    errors: list[str] = []
    page, number = open_with_segment(browser, phantom, errors, 10, "Erased")
    page.locator("#brush-size").fill("10")
    stroke(page, [(150, 300), (350, 300)])
    page.keyboard.press("e")
    expect(page.locator("#view")).to_have_attribute("data-tool", "eraser")
    stroke(page, [(250, 280), (250, 320)])
    saved(page)
    page.screenshot(path=str(output_dir / "e2e-tools-eraser.png"))
    ann = annotation_id(page)
    mask = phantom.mask(ann, number, 10)
    assert mask[300, 170] and mask[300, 330]
    assert not mask[300, 245:256].any()  # the eraser cut the band where it went

    # Locked: neither painting nor clearing changes it.
    row = page.locator(f"[data-testid=segment-row][data-number='{number}']")
    row.locator(".seg-lock").click()
    expect(row).to_have_attribute("data-locked", "true")
    page.locator("#view").focus()
    page.keyboard.press("b")
    click_pixel(page, 250, 300)
    page.keyboard.press("Delete")
    expect(page.locator("[data-testid=toast]").last).to_contain_text("locked")
    saved(page)
    assert np.array_equal(phantom.mask(ann, number, 10), mask)

    page.keyboard.press("l")  # unlock the active segment, then clear the slice
    expect(row).to_have_attribute("data-locked", "false")
    page.keyboard.press("Delete")
    saved(page)
    assert phantom.mask(ann, number, 10).sum() == 0
    assert errors == []


def test_zoom_and_pan_keep_paint_under_the_pointer(
    browser: Browser, phantom: Phantom, output_dir: Path
) -> None:
    errors: list[str] = []
    page, number = open_with_segment(browser, phantom, errors, 12, "Zoomed")
    view = page.locator("#view")
    # Ctrl+wheel zooms about the pointer: the image point under it stays under it.
    # Whole CSS pixels: wheel events carry integer client coordinates.
    pointer = to_page(page, 300, 200)
    page.mouse.move(round(pointer[0]), round(pointer[1]))
    at = view_to_image(page, round(pointer[0]), round(pointer[1]))
    page.keyboard.down("Control")
    for _ in range(3):
        page.mouse.wheel(0, -200)
    page.keyboard.up("Control")
    after = view_to_image(page, round(pointer[0]), round(pointer[1]))
    assert abs(after[0] - at[0]) < 0.05 and abs(after[1] - at[1]) < 0.05  # image pixels
    width = float((view.get_attribute("data-image-rect") or "").split(",")[2])
    assert width > 900  # magnified
    # Space + drag pans; so does the middle button.
    start = to_page(page, 300, 200)
    page.keyboard.down(" ")
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] - 80, start[1] + 40, steps=4)
    page.mouse.up()
    page.keyboard.up(" ")
    moved = to_page(page, 300, 200)
    assert abs(moved[0] - (start[0] - 80)) < 1.5 and abs(moved[1] - (start[1] + 40)) < 1.5
    page.mouse.move(*moved)
    page.mouse.down(button="middle")
    page.mouse.move(moved[0] + 30, moved[1] - 20, steps=3)
    page.mouse.up(button="middle")
    final = to_page(page, 300, 200)
    assert abs(final[0] - (moved[0] + 30)) < 1.5
    # Paint at a pixel of the zoomed, panned image: it lands on that pixel, on screen too.
    page.locator("#brush-size").fill("1")
    before = canvas_rgb(page, output_dir / "e2e-tools-zoom-before.png")
    click_pixel(page, 300, 200)
    saved(page)
    painted = canvas_rgb(page, output_dir / "e2e-tools-zoom.png")
    mask = phantom.mask(annotation_id(page), number, 12)
    assert mask[200, 300]
    assert mask.sum() <= 9  # a 1 mm brush on 0.45 mm pixels
    x, y = canvas_point(page, 300, 200)
    assert np.abs(painted[y, x] - before[y, x]).sum() > 30
    fx, fy = canvas_point(page, 300, 230)
    assert np.abs(painted[fy, fx] - before[fy, fx]).sum() < 10
    # "0" fits the image again.
    page.keyboard.press("0")
    width = float((view.get_attribute("data-image-rect") or "").split(",")[2])
    assert width < 900
    assert errors == []
