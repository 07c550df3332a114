"""Helpers for the annotator's browser tests: one server with the phantom, pages on it, pointer
positions from the canvas hooks, masks through the API, canvas pixels from screenshots."""

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect
from tests.conftest import LiveServer
from tests.helpers import dicom_files

from segdicom.config import Settings

TIMEOUT_MS = 20_000
PHANTOM = "ct_philips_phantom"


@dataclass
class Phantom:
    """A live server holding the phantom CT."""

    server: LiveServer
    info: dict[str, Any]

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def series_uid(self) -> str:
        return str(self.info["series_uid"])

    def slice_values(self, index: int) -> np.ndarray:
        with httpx.Client(base_url=self.url, timeout=30) as http:
            response = http.get(f"/api/series/{self.series_uid}/slices/{index}")
        response.raise_for_status()
        rows, cols = self.info["rows"], self.info["columns"]
        dtype = np.dtype(self.info["dtype"]).newbyteorder("<")
        return np.frombuffer(response.content, dtype=dtype).reshape(rows, cols)

    def mask(self, annotation: str, segment: int, index: int) -> np.ndarray:
        """The stored mask (DESIGN.md "Mask format": numpy.packbits then zlib)."""
        with httpx.Client(base_url=self.url, timeout=30) as http:
            response = http.get(f"/api/annotations/{annotation}/segments/{segment}/slices/{index}")
        response.raise_for_status()
        rows, cols = self.info["rows"], self.info["columns"]
        bits = np.unpackbits(np.frombuffer(zlib.decompress(response.content), np.uint8))
        return bits[: rows * cols].reshape(rows, cols).astype(bool)


def serve_series(folder: Path, name: str) -> Iterator[Phantom]:
    """A live server (data in `folder`) holding the shared-data series `name`, until closed."""
    yield from serve_files(folder, [(p.name, p.read_bytes()) for p in dicom_files(name)])


def serve_files(folder: Path, named: list[tuple[str, bytes]]) -> Iterator[Phantom]:
    """A live server (data in `folder`) holding one series uploaded as these (name, Part 10
    bytes) files, until closed."""
    server = LiveServer(Settings(data_dir=folder / "data", dicom_port=0)).start()
    try:
        files = [("files", (name, data, "application/dicom")) for name, data in named]
        with httpx.Client(base_url=server.url, timeout=60) as http:
            response = http.post("/api/uploads", files=files)
            response.raise_for_status()
            series_uid = response.json()["series"][0]["series_uid"]
            info = http.get(f"/api/series/{series_uid}").json()
        yield Phantom(server, info)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def phantom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phantom]:
    yield from serve_series(tmp_path_factory.mktemp("viewer"), PHANTOM)


def watched_page(browser: Browser | BrowserContext, url: str, errors: list[str]) -> Page:
    """A new page at `url` whose console errors and uncaught exceptions go to `errors`: in a
    browser context of its own, or in `browser` when that is a context (their pages share
    localStorage)."""
    if isinstance(browser, BrowserContext):
        page = browser.new_page()
        page.set_viewport_size({"width": 1400, "height": 900})
    else:
        page = browser.new_page(viewport={"width": 1400, "height": 900})

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    return page


def series_page(
    browser: Browser | BrowserContext, series: Phantom, errors: list[str], query: str = ""
) -> Page:
    """A page showing the series (the link's further `query`, e.g. "&slice=3"), once its slice
    is drawn, collecting console errors."""
    page = watched_page(browser, f"{series.url}/?series={series.series_uid}{query}", errors)
    expect(page.locator("#view")).to_have_attribute("data-ready", "true")
    return page


def open_page(
    browser: Browser | BrowserContext, phantom: Phantom, errors: list[str], slice_index: int = 0
) -> Page:
    """A page showing the phantom at a slice, collecting console errors."""
    page = series_page(browser, phantom, errors)
    page.locator("#view").focus()
    go_to_slice(page, slice_index)
    return page


def open_with_segment(
    browser: Browser, phantom: Phantom, errors: list[str], slice_index: int, label: str
) -> tuple[Page, int]:
    """The phantom opened on `slice_index` with a new segment `label`: the page and its number."""
    page = open_page(browser, phantom, errors, slice_index=slice_index)
    return page, add_segment(page, label)


def go_to_slice(page: Page, index: int) -> None:
    page.locator("#view").focus()
    page.keyboard.press("Home")
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    page.wait_for_selector(f"#view[data-slice='{index}'][data-ready='true']")


def add_segment(page: Page, label: str) -> int:
    """Add a custom segment; it becomes the active one. Returns its number."""
    view = page.locator("#view")
    before = page.locator("[data-testid=segment-row]").count()
    page.locator("#segment-label").fill(label)
    page.locator("#add-segment").click()
    row = page.locator(f"[data-testid=segment-row][data-label='{label}']")
    expect(row).to_have_count(1)
    assert page.locator("[data-testid=segment-row]").count() == before + 1
    number = int(row.get_attribute("data-number") or 0)
    expect(view).to_have_attribute("data-active-segment", str(number))
    expect(view).to_have_attribute("data-ready", "true")
    view.focus()
    return number


def to_page(page: Page, col: float, row: float, selector: str = "#view") -> tuple[float, float]:
    """Page coordinates of the centre of image pixel (col, row), from data-image-rect."""
    canvas = page.locator(selector)
    box = canvas.bounding_box()
    assert box is not None
    rect = canvas.get_attribute("data-image-rect") or "0,0,0,0"
    x, y, width, height = (float(v) for v in rect.split(","))
    columns = float(canvas.get_attribute("data-columns") or canvas.get_attribute("data-width") or 1)
    rows = float(canvas.get_attribute("data-rows") or canvas.get_attribute("data-slices") or 1)
    return box["x"] + x + (col + 0.5) * width / columns, box["y"] + y + (row + 0.5) * height / rows


def view_to_image(page: Page, x: float, y: float) -> tuple[float, float]:
    """Continuous image (column, row) under page point (x, y) of the main view."""
    canvas = page.locator("#view")
    box = canvas.bounding_box()
    assert box is not None
    rx, ry, width, height = (
        float(v) for v in (canvas.get_attribute("data-image-rect") or "").split(",")
    )
    columns = float(canvas.get_attribute("data-columns") or 1)
    rows = float(canvas.get_attribute("data-rows") or 1)
    return (x - box["x"] - rx) / width * columns, (y - box["y"] - ry) / height * rows


def click_pixel(page: Page, col: float, row: float) -> None:
    page.mouse.click(*to_page(page, col, row))


def stroke(page: Page, points: list[tuple[float, float]], steps: int = 8) -> None:
    page.mouse.move(*to_page(page, *points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*to_page(page, *point), steps=steps)
    page.mouse.up()


def saved(page: Page) -> None:
    """Wait until every change is written (debounce included)."""
    state = page.locator("#save-state")
    page.wait_for_selector("#save-state[data-pending='0'][data-state='saved']")
    expect(state).to_have_attribute("data-state", "saved")


def press(page: Page, keys: str) -> None:
    """Keys pressed with the view focused, where the editor's shortcuts listen."""
    page.locator("#view").focus()
    page.keyboard.press(keys)


def undo_saved(page: Page) -> None:
    """Ctrl+Z in the view, then wait until the undone masks are written."""
    press(page, "Control+z")
    saved(page)


def paint_stroke(
    page: Page, label: str, brush: str, points: list[tuple[float, float]]
) -> tuple[int, str]:
    """A new segment painted with one brush stroke and saved: its number and the annotation id."""
    number = add_segment(page, label)
    page.locator("#brush-size").fill(brush)
    stroke(page, points)
    saved(page)
    return number, annotation_id(page)


def annotation_id(page: Page) -> str:
    value = page.locator("#view").get_attribute("data-annotation-id")
    assert value
    return value


def canvas_rgb(page: Page, output: Path, selector: str = "#view") -> np.ndarray:
    """The canvas as displayed (RGB, CSS pixels), saved as a screenshot under test-output/."""
    png = page.locator(selector).screenshot(path=str(output))
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def canvas_point(page: Page, col: float, row: float, selector: str = "#view") -> tuple[int, int]:
    """(x, y) in the canvas screenshot of image pixel (col, row)."""
    box = page.locator(selector).bounding_box()
    assert box is not None
    x, y = to_page(page, col, row, selector)
    return int(x - box["x"]), int(y - box["y"])


def next_frame(page: Page) -> None:
    """Wait for two animation frames: what the page scheduled for its next frame is drawn."""
    page.evaluate(
        "() => new Promise((done) =>"
        " requestAnimationFrame(() => requestAnimationFrame(() => done(null))))"
    )


_PIXEL_JS = """([selector, x, y]) => {
    const canvas = document.querySelector(selector);
    const sx = Math.floor((x * canvas.width) / canvas.clientWidth);
    const sy = Math.floor((y * canvas.height) / canvas.clientHeight);
    return Array.from(canvas.getContext("2d").getImageData(sx, sy, 1, 1).data.slice(0, 3));
}"""


def canvas_pixel(page: Page, selector: str, x: float, y: float) -> list[int]:
    """The RGB the canvas holds at CSS pixel (x, y) of the element."""
    rgb: list[int] = page.evaluate(_PIXEL_JS, [selector, x, y])
    return rgb


def wait_pixel_changes(
    page: Page, selector: str, x: float, y: float, before: list[int], by: int = 30
) -> None:
    """Wait until the canvas at CSS pixel (x, y) differs from `before` by more than `by`
    (summed over R, G, B): the signal that a delayed redraw (masks) has happened."""
    page.wait_for_function(
        f"""(args) => {{
            const now = ({_PIXEL_JS})(args.slice(0, 3));
            return now.reduce((sum, v, i) => sum + Math.abs(v - args[3][i]), 0) > args[4];
        }}""",
        arg=[selector, x, y, before, by],
    )
