"""The reformatted views of a sagittal MR, in a real browser: turned upright (head-foot vertical,
superior up, patient right on the viewer's left, anterior up in the axial cut) at their physical
aspect ratio, with masks, lines and clicks following the same turn.

The expected screen positions come from the series' geometry here, not from the viewer's hooks:
the MR's rows run posterior (+y) and its columns inferior (-z); its slices run along x."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.viewer_pages import (
    Phantom,
    add_segment,
    annotation_id,
    canvas_pixel,
    canvas_rgb,
    click_pixel,
    go_to_slice,
    next_frame,
    open_page,
    saved,
    serve_series,
    wait_pixel_changes,
)

SAGITTAL_MR = "mr_siemens_t1_sag"


@pytest.fixture(scope="module")
def mr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phantom]:
    yield from serve_series(tmp_path_factory.mktemp("viewer-mr"), SAGITTAL_MR)


def _geometry(info: dict[str, Any]) -> tuple[float, float]:
    """(slice spacing, row spacing) in mm, after checking the orientation these tests assume."""
    assert np.allclose(info["orientation"], [0, 1, 0, 0, 0, -1], atol=1e-3)
    positions = np.array([s["position"] for s in info["slices"]])
    # Slice 0 is the patient's leftmost (+x): the service sorts along the normal, row x column
    # = -x (towards the patient's right).
    assert positions[0, 0] > positions[-1, 0]
    slice_mm = float(abs(positions[-1, 0] - positions[0, 0]) / (len(positions) - 1))
    return slice_mm, float(info["spacing"][0])


def _rect(page: Page, selector: str) -> tuple[float, float, float, float]:
    raw = page.locator(selector).get_attribute("data-image-rect") or "0,0,0,0"
    x, y, width, height = (float(v) for v in raw.split(","))
    return x, y, width, height


def _point(page: Page, selector: str, fx: float, fy: float) -> tuple[float, float]:
    """Canvas (x, y) at fractions (fx across, fy down) of the drawn image."""
    x, y, width, height = _rect(page, selector)
    return x + fx * width, y + fy * height


def _click(page: Page, selector: str, fx: float, fy: float) -> None:
    """Shift+click: navigates even while a brush would paint there (a plain drag paints)."""
    box = page.locator(selector).bounding_box()
    assert box is not None
    x, y = _point(page, selector, fx, fy)
    page.keyboard.down("Shift")
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.keyboard.up("Shift")


def _horizontal(slice_index: int, num_slices: int) -> float:
    """The screen fraction across of a slice: patient right on the left, so the last slice
    (rightmost) first."""
    return (num_slices - 1 - slice_index + 0.5) / num_slices


def _changed(before: np.ndarray, after: np.ndarray, point: tuple[float, float]) -> bool:
    x, y = int(point[0]), int(point[1])
    return bool(np.abs(after[y, x] - before[y, x]).sum() > 30)


def test_sagittal_mr_views_are_upright_at_their_physical_aspect(
    browser: Browser, mr: Phantom, output_dir: Path
) -> None:
    errors: list[str] = []
    info = mr.info
    n, rows, columns = info["num_slices"], info["rows"], info["columns"]
    slice_mm, pixel_mm = _geometry(info)
    page = open_page(browser, mr, errors, slice_index=n // 2)
    sagittal = page.locator("#view-sagittal")
    coronal = page.locator("#view-coronal")
    expect(sagittal).to_have_attribute("data-ready", "true")
    expect(coronal).to_have_attribute("data-ready", "true")
    # The cut at a column is a coronal plane, the cut at a row an axial one.
    expect(page.locator("#reformat-label-sagittal")).to_have_text("Coronal")
    expect(page.locator("#reformat-label-coronal")).to_have_text("Axial")
    for view in (sagittal, coronal):
        expect(view).to_have_attribute("data-slice-axis", "horizontal")
        expect(view).to_have_attribute("data-columns", str(n))
    next_frame(page)  # the lines
    page.screenshot(path=str(output_dir / "e2e-reformat-sagittal-mr.png"))

    # Head-foot (rows) vertical in the coronal cut, anterior-posterior (columns) vertical in the
    # axial cut; the slices across both, at their spacing.
    for selector, across in (("#view-sagittal", rows), ("#view-coronal", columns)):
        _, _, width, height = _rect(page, selector)
        assert height > width
        assert height / width == pytest.approx(across * pixel_mm / (n * slice_mm), rel=0.02)
    assert errors == []


def test_sagittal_mr_masks_and_clicks_follow_the_upright_views(
    browser: Browser, mr: Phantom, output_dir: Path
) -> None:
    errors: list[str] = []
    info = mr.info
    n, rows, columns = info["num_slices"], info["rows"], info["columns"]
    page = open_page(browser, mr, errors, slice_index=20)
    sagittal = page.locator("#view-sagittal")
    coronal = page.locator("#view-coronal")
    number = add_segment(page, "Upright")
    page.keyboard.press("b")
    page.locator("#brush-size").fill("20")
    col, row, painted = 100, 60, 5
    page.keyboard.down("Shift")
    click_pixel(page, col, row)
    page.keyboard.up("Shift")
    expect(sagittal).to_have_attribute("data-index", str(col))
    expect(coronal).to_have_attribute("data-index", str(row))
    expect(sagittal).to_have_attribute("data-ready", "true")
    expect(coronal).to_have_attribute("data-ready", "true")
    next_frame(page)
    x = _horizontal(painted, n)
    mirrored = _horizontal(n - 1 - painted, n)
    # Where the disc will show: 5 rows (coronal cut) or columns (axial cut) below the line.
    inside = {
        "#view-sagittal": _point(page, "#view-sagittal", x, (row + 5 + 0.5) / rows),
        "#view-coronal": _point(page, "#view-coronal", x, (col + 5 + 0.5) / columns),
    }
    unpainted = {s: canvas_pixel(page, s, *point) for s, point in inside.items()}
    before = {
        s: canvas_rgb(page, output_dir / f"e2e-reformat-mr{s[5:]}-before.png", s)
        for s in ("#view-sagittal", "#view-coronal")
    }

    # A 20 mm disc at (col, row) of slice 5, seen from slice 20 (away from the slice line).
    go_to_slice(page, painted)
    click_pixel(page, col, row)
    saved(page)
    assert mr.mask(annotation_id(page), number, painted)[row, col]
    go_to_slice(page, 20)
    for selector, point in inside.items():  # the views redraw masks 100 ms after a change
        wait_pixel_changes(page, selector, *point, unpainted[selector])
    after = {
        s: canvas_rgb(page, output_dir / f"e2e-reformat-mr{s[5:]}.png", s)
        for s in ("#view-sagittal", "#view-coronal")
    }
    # Coronal cut: row 0 (superior) at the top. 5 rows below the cut line, inside the disc.
    down = (row + 5 + 0.5) / rows
    sag = "#view-sagittal"
    assert _changed(before[sag], after[sag], _point(page, sag, x, down))
    assert not _changed(before[sag], after[sag], _point(page, sag, mirrored, down))
    assert not _changed(before[sag], after[sag], _point(page, sag, x, 1 - down))
    # Axial cut: column 0 (anterior) at the top.
    down = (col + 5 + 0.5) / columns
    cor = "#view-coronal"
    assert _changed(before[cor], after[cor], _point(page, cor, x, down))
    assert not _changed(before[cor], after[cor], _point(page, cor, mirrored, down))
    assert not _changed(before[cor], after[cor], _point(page, cor, x, 1 - down))

    # A click in the coronal cut: that slice, and the axial cut at that row.
    view = page.locator("#view")
    _click(page, sag, _horizontal(8, n), (90 + 0.5) / rows)
    expect(view).to_have_attribute("data-slice", "8")
    expect(view).to_have_attribute("data-cross", f"{col},90")
    expect(coronal).to_have_attribute("data-index", "90")
    # A click in the axial cut: that slice, and the coronal cut at that column.
    expect(coronal).to_have_attribute("data-ready", "true")
    _click(page, cor, _horizontal(30, n), (70 + 0.5) / columns)
    expect(view).to_have_attribute("data-slice", "30")
    expect(view).to_have_attribute("data-cross", "70,90")
    expect(sagittal).to_have_attribute("data-index", "70")
    assert errors == []
