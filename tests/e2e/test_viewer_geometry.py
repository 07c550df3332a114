"""Geometry you can trust in every view (issue 11), in a real browser, on a GE-style tilted CT
built here: axial ImageOrientationPatient, positions sheared along y by an 18.5 degree gantry
tilt, slices 4 mm apart then 7 mm apart with one slice missing. The server half (patient-space
reformats, `geometry` and `reformat` in the series answer) is GEOMETRY_CONTRACT.md."""

import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import highdicom as hd
import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.viewer_pages import (
    Phantom,
    add_segment,
    saved,
    series_page,
    serve_files,
    serve_series,
    stroke,
    to_page,
    undo_saved,
)
from tests.helpers import data_dir, poll
from tests.synthetic_ct import Uids, ct_header, new_uids, part10

pytestmark = pytest.mark.e2e

TILT = 18.5
SIZE = 96
PIXEL = 2.0  # mm
# 4 mm steps, then 7 mm steps with one 7 mm slice missing (a 14 mm step): 16 slices.
Z = [4.0 * k for k in range(10)] + [43.0, 50.0, 57.0, 71.0, 78.0, 85.0]


def _tilted_slice(uids: Uids, k: int, z: float) -> bytes:
    shear = z * math.tan(math.radians(TILT))
    x0, y0 = -SIZE * PIXEL / 2, -SIZE * PIXEL / 2
    ds = ct_header(
        uids,
        k,
        patient=("TILT", "Tilted^GE"),
        position=[x0, y0 + shear, z],
        spacing=(PIXEL, PIXEL),
        thickness=2.0,
        shape=(SIZE, SIZE),
    )
    ds.SliceLocation = z
    ds.GantryDetectorTilt = TILT
    ds.WindowCenter, ds.WindowWidth = 40, 400
    # A head-like disc and a rod along patient z (at y = 0): straight in a true reformat.
    rows, cols = np.mgrid[0:SIZE, 0:SIZE]
    x = x0 + cols * PIXEL
    y = y0 + shear + rows * PIXEL
    image = np.where(x**2 + y**2 < 70**2, 40, -1000).astype(np.int16)
    image[(x - 30) ** 2 + y**2 < 8**2] = 600
    ds.PixelData = image.tobytes()
    return part10(ds)


@pytest.fixture(scope="module")
def tilted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phantom]:
    uids = new_uids()
    files = [(f"{k}.dcm", _tilted_slice(uids, k, z)) for k, z in enumerate(Z)]
    yield from serve_files(tmp_path_factory.mktemp("tilted"), files)


@pytest.fixture(scope="module")
def sagittal_mr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phantom]:
    yield from serve_series(tmp_path_factory.mktemp("sag"), "mr_siemens_t1_sag")


def _open(browser: Browser, series: Phantom, errors: list[str], query: str = "") -> Page:
    """The series on a page, with its annotation reopened when an earlier test made one."""
    page = series_page(browser, series, errors, query)
    view = page.locator("#view")
    with httpx.Client(base_url=series.url, timeout=10) as http:
        existing = http.get("/api/annotations", params={"series_uid": series.series_uid}).json()
    if existing:
        expect(view).not_to_have_attribute("data-annotation-id", "")
    return page


def _rect(page: Page, selector: str) -> tuple[float, float, float, float]:
    x, y, w, h = (
        float(v) for v in (page.locator(selector).get_attribute("data-image-rect") or "").split(",")
    )
    return x, y, w, h


def test_tilted_series_badge_true_aspect_and_markers(
    browser: Browser, tilted: Phantom, output_dir: Path
) -> None:
    errors: list[str] = []
    page = _open(browser, tilted, errors, "&layout=2x2")
    # The series opens on its header window (40/400, the soft tissue preset), highlighted.
    expect(page.locator("#view")).to_have_attribute("data-window", "40,400")
    expect(page.locator("#window-presets .preset.active")).to_have_text("1Soft tissue")
    badge = page.locator("#geometry-badge")
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("gantry tilt 18.5°")
    expect(badge).to_contain_text("uneven spacing 4.0\u20137.0 mm")
    expect(badge).to_contain_text("1 missing slice")
    assert "resampled" in (badge.get_attribute("title") or "")
    # The 2x2 layout's geometry panel gives the same spacing (the gap left out) and gap count.
    info = page.locator("#pane-info")
    expect(info).to_contain_text("Slice spacing 4.0\u20137.0 mm, 1 missing slice")
    assert "8.0" not in (info.text_content() or "")
    # The sagittal cut's patient extent: along y the sheared slices' union, along z the stack.
    shear = (Z[-1] - Z[0]) * math.tan(math.radians(TILT))
    extent_y = SIZE * PIXEL + shear
    extent_z = Z[-1] - Z[0] + 4.0
    sagittal = page.locator("#view-sagittal")
    expect(sagittal).to_have_attribute("data-ready", "true")
    expect(sagittal).to_have_attribute("data-slice-axis", "vertical")
    _, _, width, height = _rect(page, "#view-sagittal")
    assert width / height == pytest.approx(extent_y / extent_z, rel=0.04)
    # An axial series: patient right on the screen's left, anterior at the top.
    assert [
        page.locator(f"#orient-view-{e}").text_content() for e in ("left", "right", "top", "bottom")
    ] == ["R", "L", "A", "P"]
    assert page.locator("#orient-sagittal-top").text_content() == "S"
    assert page.locator("#orient-sagittal-left").text_content() == "A"
    assert page.locator("#orient-coronal-left").text_content() == "R"
    expect(page.locator("#view-grid")).to_have_attribute("data-layout", "2x2")
    expect(page.locator("#view-coronal")).to_have_attribute("data-ready", "true")
    page.screenshot(path=str(output_dir / "e2e-geometry-2x2-tilted.png"))
    assert errors == []


def test_sagittal_series_markers_follow_the_radiological_convention(
    browser: Browser, sagittal_mr: Phantom
) -> None:
    errors: list[str] = []
    page = _open(browser, sagittal_mr, errors)
    # A sagittal slice: anterior on the screen's left, posterior on the right, head at the top.
    assert [
        page.locator(f"#orient-view-{e}").text_content() for e in ("left", "right", "top", "bottom")
    ] == ["A", "P", "S", "I"]
    expect(page.locator("#geometry-badge")).to_be_hidden()
    # MR values mean nothing in HU: the threshold range starts at the upper half of the series'
    # header window (brighter than the background), not at the CT range -100..300.
    view = page.locator("#view")
    center, width = (float(v) for v in (view.get_attribute("data-window") or "").split(","))
    expect(view).to_have_attribute("data-range", f"{center:g},{center + width / 2:g}")
    assert errors == []


@pytest.fixture
def unoriented_us(tmp_path: Path) -> Iterator[Phantom]:
    """An ultrasound image without Image Orientation (Patient)."""
    path = data_dir("cornerstone_ct_transfer_syntaxes", "US-YBR_FULL_422-EVRLE.dcm")
    yield from serve_files(tmp_path, [(path.name, path.read_bytes())])


def test_an_image_without_orientation_shows_no_orientation_letters(
    browser: Browser, unoriented_us: Phantom, output_dir: Path
) -> None:
    assert unoriented_us.info["orientation"] is None
    errors: list[str] = []
    page = _open(browser, unoriented_us, errors)
    for edge in ("left", "right", "top", "bottom"):
        expect(page.locator(f"#orient-view-{edge}")).to_have_text("")
    expect(page.locator("#orient-view-unknown")).to_be_visible()
    expect(page.locator("#view")).to_have_attribute("data-orientation", "unknown")
    page.screenshot(path=str(output_dir / "e2e-geometry-orientation-unknown.png"))
    assert errors == []


@pytest.fixture
def with_localizer(tmp_path: Path) -> Iterator[Phantom]:
    """Four regular axial slices and a coronal localizer in one series, none with a Pixel
    Spacing (as a secondary capture or a stripped export)."""
    uids = new_uids()
    files = []
    for k in range(5):
        ds = ct_header(
            uids, k, patient=("LOC", "Localizer^In"), position=[0, 0, 3.0 * k],
            spacing=(1.0, 1.0), thickness=3.0, shape=(32, 32),
        )  # fmt: skip
        if k == 4:
            ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]
        del ds.PixelSpacing
        ds.PixelData = np.full((32, 32), 40, dtype=np.int16).tobytes()
        files.append((f"{k}.dcm", part10(ds)))
    yield from serve_files(tmp_path, files)


def test_a_localizer_left_out_and_a_missing_pixel_spacing_are_named_in_badge_and_panel(
    browser: Browser, with_localizer: Phantom
) -> None:
    errors: list[str] = []
    page = series_page(browser, with_localizer, errors, "&layout=2x2")
    badge = page.locator("#geometry-badge")
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("1 image left out: other orientation")
    expect(badge).to_contain_text("no pixel spacing in the images: 1 mm assumed")
    expect(page.locator("#geometry-badge-resampled")).to_be_hidden()
    info = page.locator("#pane-info")
    expect(info).to_contain_text("1 image left out: other orientation")
    expect(info).to_contain_text("No pixel spacing in the images: 1 mm assumed")
    expect(page.locator("#slice-slider")).to_have_attribute("max", "3")
    assert errors == []


def _drag(page: Page, selector: str, points: list[tuple[float, float]]) -> None:
    """A left drag through screen cells (column, row) of a view's grid."""
    page.mouse.move(*to_page(page, *points[0], selector))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*to_page(page, *point, selector), steps=40)
    page.mouse.up()


def _coronal_expectation(info: dict[str, Any], plane: int) -> dict[int, int]:
    """For each slice, the source row the coronal plane `plane` lies in (GEOMETRY_CONTRACT.md)."""
    grid = info["reformat"]["coronal"]
    v = np.array(info["orientation"][3:6])
    level = (
        np.array(grid["origin"]) + plane * grid["plane_spacing"] * np.array(grid["plane_normal"])
    ) @ v
    return {
        k: round((level - np.array(s["position"]) @ v) / PIXEL)
        for k, s in enumerate(info["slices"])
    }


def test_a_stroke_in_the_coronal_view_lands_on_the_axial_slices_it_crosses(
    browser: Browser, tilted: Phantom, output_dir: Path
) -> None:
    errors: list[str] = []
    page = _open(browser, tilted, errors, "&layout=2x2")
    number = add_segment(page, "Coronal stroke")
    coronal = page.locator("#view-coronal")
    expect(coronal).to_have_attribute("data-ready", "true")
    plane = int(coronal.get_attribute("data-index") or 0)
    rows = int(coronal.get_attribute("data-slices") or 0)
    top = int(coronal.get_attribute("data-first-slice") or 0)
    column = 60  # source column 60: x = 24 mm, inside the disc
    version = int(page.locator("#view").get_attribute("data-version") or 0)
    # Down the whole height of the reformat (screen rows are reformat rows, superior at the top).
    first, last = 1, rows - 2
    _drag(page, "#view-coronal", [(column, abs(top - first)), (column, abs(top - last))])
    saved(page)
    assert int(page.locator("#view").get_attribute("data-version") or 0) > version
    expected = _coronal_expectation(tilted.info, plane)
    annotation = page.locator("#view").get_attribute("data-annotation-id") or ""
    painted: dict[int, np.ndarray] = {}
    with httpx.Client(base_url=tilted.url, timeout=30) as http:
        for k in range(len(Z)):
            r = http.get(f"/api/annotations/{annotation}/segments/{number}/slices/{k}")
            if r.status_code == 200 and r.content:
                painted[k] = tilted.mask(annotation, number, k)
    painted = {k: m for k, m in painted.items() if m.any()}
    inner = [k for k, z in enumerate(Z) if Z[0] + 8 <= z <= Z[-1] - 8]
    assert set(inner) <= set(painted), f"painted {sorted(painted)}, expected at least {inner}"
    for k, mask in painted.items():
        rr, cc = np.nonzero(mask)
        assert set(rr) == {expected[k]}, f"slice {k}: rows {set(rr)}, expected {expected[k]}"
        assert cc.min() >= column - 2 and cc.max() <= column + 2
    # The shear: the plane's row moves by tan(18.5°) * dz / 2 mm over the stack.
    assert expected[inner[0]] - expected[inner[-1]] >= 8

    page.locator("#export-seg").click()
    expect(page.locator("#export-status")).to_have_attribute("data-state", "local")
    export_id = page.locator("#export-link").get_attribute("data-export-id")
    with httpx.Client(base_url=tilted.url, timeout=30) as http:
        seg = hd.seg.segread(io.BytesIO(http.get(f"/api/exports/{export_id}/file").content))
    uids = {k: s["sop_instance_uid"] for k, s in enumerate(tilted.info["slices"])}
    referenced = {
        item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        for item in seg.PerFrameFunctionalGroupsSequence
    }
    assert referenced == {uids[k] for k in painted}
    for k, mask in painted.items():
        frame = seg.get_pixels_by_source_instance([uids[k]], segment_numbers=[1])[0, :, :, 0] > 0
        assert (frame == mask).all()
    page.screenshot(path=str(output_dir / "e2e-geometry-coronal-stroke.png"))
    assert errors == []


def test_a_reload_reopens_the_series_slice_layout_window_and_segment(
    browser: Browser, tilted: Phantom
) -> None:
    errors: list[str] = []
    page = _open(browser, tilted, errors)
    view = page.locator("#view")
    view.focus()
    for _ in range(5):
        page.keyboard.press("ArrowDown")
    page.wait_for_selector("#view[data-slice='5'][data-ready='true']")
    page.locator("#window-center").fill("120")
    page.locator("#window-width").fill("700")
    page.locator("#window-width").press("Enter")
    expect(view).to_have_attribute("data-window", "120,700")
    expect(page.locator("#window-presets .preset.active")).to_have_count(0)  # a manual window
    page.locator("#layout").select_option("1x3")
    add_segment(page, "First")
    second = add_segment(page, "Second")  # the one painted: not the first, which opens by default
    saved(page)
    page.wait_for_url(
        lambda url: "slice=5" in url and "window=120,700" in url and "layout=1x3" in url
        and f"segment={second}" in url
    )  # fmt: skip
    page.reload()
    page.wait_for_selector("#view[data-slice='5'][data-ready='true']")
    expect(view).to_have_attribute("data-series-uid", tilted.series_uid)
    expect(view).to_have_attribute("data-window", "120,700")
    expect(page.locator("#view-grid")).to_have_attribute("data-layout", "1x3")
    expect(view).to_have_attribute("data-active-segment", str(second))
    assert errors == []


def test_closing_the_tab_right_after_a_stroke_keeps_the_stroke(
    browser: Browser, tilted: Phantom
) -> None:
    errors: list[str] = []
    page = _open(browser, tilted, errors, "&slice=3")
    page.wait_for_selector("#view[data-slice='3'][data-ready='true']")
    number = add_segment(page, "Kept on close")
    saved(page)  # the segment itself is written; the stroke below is not, when the tab closes
    annotation = page.locator("#view").get_attribute("data-annotation-id") or ""
    stroke(page, [(30, 40), (60, 40)])
    expect(page.locator("#save-state")).to_have_attribute("data-state", "saving")
    page.close()  # well inside the 400 ms save debounce
    mask = None

    def stored() -> bool:
        nonlocal mask
        with httpx.Client(base_url=tilted.url, timeout=10) as http:
            r = http.get(f"/api/annotations/{annotation}/segments/{number}/slices/3")
        if r.status_code != 200 or not r.content:
            return False
        mask = tilted.mask(annotation, number, 3)
        return bool(mask.any())

    poll(stored, "the stroke on the server", timeout=10)
    assert mask is not None and mask[40, 30:61].all()
    assert errors == []


def _stored(series: Phantom, annotation: str, number: int, index: int) -> np.ndarray | None:
    """The stored mask of a slice, or None when the server has none (or an empty one)."""
    with httpx.Client(base_url=series.url, timeout=10) as http:
        r = http.get(f"/api/annotations/{annotation}/segments/{number}/slices/{index}")
    if r.status_code != 200 or not r.content:
        return None
    mask = series.mask(annotation, number, index)
    return mask if mask.any() else None


def test_the_undo_history_survives_a_reload(browser: Browser, tilted: Phantom) -> None:
    errors: list[str] = []
    page = _open(browser, tilted, errors, "&slice=6")
    page.wait_for_selector("#view[data-slice='6'][data-ready='true']")
    number = add_segment(page, "Undo after reload")
    stroke(page, [(20, 50), (50, 50)])
    saved(page)
    annotation = page.locator("#view").get_attribute("data-annotation-id") or ""
    assert _stored(tilted, annotation, number, 6) is not None
    page.reload()
    page.wait_for_selector("#view[data-slice='6'][data-ready='true']")
    expect(page.locator("#view")).to_have_attribute("data-annotation-id", annotation)
    expect(page.locator("#undo")).to_be_enabled()
    undo_saved(page)
    poll(lambda: _stored(tilted, annotation, number, 6) is None, "the stroke undone on the server")
    assert errors == []


def test_double_click_enlarges_a_view_and_swap_moves_it_to_the_large_slot(
    browser: Browser, tilted: Phantom
) -> None:
    errors: list[str] = []
    page = _open(browser, tilted, errors, "&layout=2x2")
    grid = page.locator("#view-grid")
    sagittal = page.locator("[data-pane='sagittal']")
    expect(sagittal).to_have_attribute("data-slot", "1")
    sagittal.dblclick(modifiers=["Shift"])  # Shift: navigate, not paint, on the way
    expect(grid).to_have_attribute("data-layout", "1")
    expect(sagittal).to_have_attribute("data-slot", "0")
    box = page.locator("#view-sagittal").bounding_box()
    assert box is not None and box["width"] > 600  # the whole viewport, not a thumbnail
    sagittal.dblclick(modifiers=["Shift"])
    expect(grid).to_have_attribute("data-layout", "2x2")
    expect(sagittal).to_have_attribute("data-slot", "1")
    coronal = page.locator("[data-pane='coronal']")
    coronal.hover()
    coronal.locator(".pane-swap").click()
    expect(coronal).to_have_attribute("data-slot", "0")
    expect(page.locator("[data-pane='view']")).to_have_attribute("data-slot", "2")
    page.locator("#view").focus()
    page.keyboard.press("v")
    expect(grid).to_have_attribute("data-layout", "1x3")
    assert errors == []
