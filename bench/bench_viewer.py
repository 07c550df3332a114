"""The annotator's speed in a real browser (headless Chromium via Playwright) on a 300-slice
512x512 CT served by `segdicom serve`:

- key press -> next slice drawn: from the key event's timeStamp to the canvas holding the new
  slice (the viewer draws a cached slice in the key handler; the compositor shows it at the
  next frame). Warm cache: every slice was shown once first. Target: median < 16 ms, p95 < 50 ms.
- the same in the 2x2 layout (main, sagittal and coronal views of one size). Target: median < 16 ms.
- one brush stroke segment: one pointermove of a 5 mm brush stroke, mask update (coalesced
  events included), and the overlay redraw it causes at the next frame. Target < 8 ms.
- the sagittal reformat request (first: builds the volume stack on the server; then warm), the
  measurement behind serving reformats from the server instead of shipping the volume.

Figures come from the viewer's own timings (viewer/perf.js, `globalThis.segdicomTimings`).
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_http import serve  # noqa: E402
from bench.synthetic import ct_series  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
BATCH = 50


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def upload(http: httpx.Client, slices: int) -> str:
    _, series_uid, files = ct_series(slices)
    batch: list[tuple[str, tuple[str, bytes, str]]] = []
    for i, body in enumerate(files):
        batch.append(("files", (f"{i}.dcm", body, "application/dicom")))
        if len(batch) == BATCH:
            http.post("/api/uploads", files=batch).raise_for_status()
            batch = []
    if batch:
        http.post("/api/uploads", files=batch).raise_for_status()
    return series_uid


def timings(page: Page, name: str) -> list[float]:
    values = page.evaluate("name => (globalThis.segdicomTimings || {})[name] || []", name)
    return [float(v) for v in values]


def clear_timings(page: Page) -> None:
    page.evaluate("() => Object.values(globalThis.segdicomTimings || {}).forEach(l => l.splice(0))")


def summary(values: list[float]) -> str:
    if len(values) < 2:
        return f"n={len(values)}"
    median, high = statistics.median(values), p95(values)
    return f"median {median:.2f} ms, p95 {high:.2f} ms, max {max(values):.2f} ms (n={len(values)})"


def bench_page(page: Page, base: str, series_uid: str, slices: int) -> dict[str, Any]:
    page.goto(f"{base}/?series={series_uid}")
    page.wait_for_selector("#view[data-ready='true']", timeout=60_000)
    page.locator("#segment-label").fill("Bench")
    page.locator("#add-segment").click()
    page.wait_for_selector("#view[data-active-segment='1'][data-ready='true']")
    view = page.locator("#view")
    view.focus()

    # Warm the cache: show every slice once, waiting for each.
    started = time.monotonic()
    for i in range(1, slices):
        page.keyboard.press("ArrowDown")
        page.wait_for_selector(f"#view[data-slice='{i}'][data-ready='true']")
    warm_s = time.monotonic() - started
    page.keyboard.press("Home")
    page.wait_for_selector("#view[data-slice='0'][data-ready='true']")

    keys = key_pass(page, slices)

    # Brush strokes: 5 mm brush, a path across the middle of the image.
    page.keyboard.press("b")
    page.locator("#brush-size").fill("5")
    view.focus()
    page.wait_for_selector("#view[data-ready='true']")
    box = view.bounding_box()
    assert box is not None
    x0, y0 = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3
    clear_timings(page)
    for k in range(5):
        page.mouse.move(x0, y0 + 40 * k)
        page.mouse.down()
        page.mouse.move(x0 + box["width"] * 0.4, y0 + 40 * k + 60, steps=80)
        page.mouse.up()
    page.wait_for_timeout(100)
    strokes, overlays = timings(page, "stroke"), timings(page, "overlay")

    # The 2x2 layout: three views of equal size (and the geometry summary) on screen.
    page.locator("#layout").select_option("2x2")
    page.wait_for_selector("#view-grid[data-layout='2x2']")
    page.wait_for_selector("#view-coronal[data-ready='true']")
    view.focus()
    keys_2x2 = key_pass(page, slices)
    return {
        "warm_s": warm_s,
        "keys": keys,
        "keys_2x2": keys_2x2,
        "strokes": strokes,
        "overlays": overlays,
    }


def key_pass(page: Page, slices: int) -> list[float]:
    """Key press -> slice drawn, down through every slice and back up (cache warm)."""
    clear_timings(page)
    for _ in range(slices - 1):
        page.keyboard.press("ArrowDown")
    page.wait_for_selector(f"#view[data-slice='{slices - 1}'][data-ready='true']")
    for _ in range(slices - 1):
        page.keyboard.press("ArrowUp")
    page.wait_for_selector("#view[data-slice='0'][data-ready='true']")
    return timings(page, "key-to-draw")


def bench_reformat(http: httpx.Client, series_uid: str) -> tuple[float, float, int]:
    url = f"/api/series/{series_uid}/reformat/sagittal/"
    started = time.perf_counter()
    first = http.get(url + "256", headers={"Accept-Encoding": "gzip"})
    first.raise_for_status()
    cold = (time.perf_counter() - started) * 1000
    times = []
    for i in range(100, 140):
        started = time.perf_counter()
        http.get(url + str(i), headers={"Accept-Encoding": "gzip"}).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return cold, statistics.median(times), len(first.content)


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slices", type=int, default=300)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="segdicom-bench-viewer-"))
    with serve(data_dir, timeout=120) as server:
        http, base = server.http, server.url
        started = time.monotonic()
        series_uid = upload(http, args.slices)
        print(f"uploaded {args.slices} slices of 512x512 in {time.monotonic() - started:.1f} s")
        cold, warm, wire = bench_reformat(http, series_uid)
        print(
            f"sagittal reformat: first {cold:.0f} ms (builds the stack), then median {warm:.1f} ms,"
            f" {wire / 1024:.0f} KiB gzip on the wire (the whole volume would be"
            f" {args.slices * 512 * 512 * 2 / 2**20:.0f} MiB)"
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                result = bench_page(page, base, series_uid, args.slices)
            finally:
                browser.close()
    keys, strokes, overlays = result["keys"], result["strokes"], result["overlays"]
    print(f"first pass over every slice (network, decode, draw): {result['warm_s']:.1f} s")
    print(f"key press -> next slice drawn (warm): {summary(keys)}  [target median < 16, p95 < 50]")
    keys_2x2 = summary(result["keys_2x2"])
    print(f"key press -> next slice drawn, 2x2 layout: {keys_2x2}  [target median < 16]")
    print(f"brush stroke segment, mask update: {summary(strokes)}  [target < 8]")
    print(f"brush stroke segment, overlay redraw: {summary(overlays)}")
    if strokes and overlays:
        both = statistics.median(strokes) + statistics.median(overlays)
        print(f"brush stroke segment, update + redraw (medians added): {both:.2f} ms")
    return {
        "slices": args.slices,
        "key_median_ms": statistics.median(keys),
        "key_p95_ms": p95(keys),
        "key_2x2_median_ms": statistics.median(result["keys_2x2"]),
        "key_2x2_p95_ms": p95(result["keys_2x2"]),
        "stroke_median_ms": statistics.median(strokes),
        "stroke_p95_ms": p95(strokes),
        "overlay_median_ms": statistics.median(overlays),
        "reformat_first_ms": cold,
        "reformat_warm_ms": warm,
    }


if __name__ == "__main__":
    main()
