"""The segment editor's finish in a real browser: an operation's preview drawn over the image
until Apply or Cancel; a custom label's own colour and codes; the keys to add a segment and
change the opacity; the right panel fitting a 1440x900 screen; a message over the image that
the brush paints through."""

import re
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.viewer_pages import (
    Phantom,
    add_segment,
    annotation_id,
    click_pixel,
    go_to_slice,
    open_page,
    paint_stroke,
    saved,
)
from tests.e2e.viewer_pages import phantom as phantom  # the server fixture
from tests.integration.support import create_annotation, put_mask, put_segment

pytestmark = pytest.mark.e2e

OVERLAY = "[data-testid=preview-overlay]"


def version_of(phantom: Phantom, annotation: str) -> int:
    with httpx.Client(base_url=phantom.url, timeout=30) as http:
        return int(http.get(f"/api/annotations/{annotation}").json()["version"])


def drawn_pixels(page: Page) -> int:
    """Non-transparent pixels on the preview canvas."""
    return int(
        page.evaluate(
            """sel => {
              const c = document.querySelector(sel);
              const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
              let n = 0;
              for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
              return n;
            }""",
            OVERLAY,
        )
    )


def preview_margin(page: Page) -> None:
    page.locator("#op-kind").select_option("margin")
    page.locator("#op-mm").fill("3")
    page.locator("#op-preview").click()
    expect(page.locator("#op-status")).to_have_attribute("data-state", "previewed")


def test_preview_is_drawn_until_cancel_or_apply(
    browser: Browser, phantom: Phantom, output_dir: Path
) -> None:
    errors: list[str] = []
    page = open_page(browser, phantom, errors, slice_index=4)
    number, ann = paint_stroke(page, "Preview", "6", [(200, 220), (260, 220)])
    version = version_of(phantom, ann)
    page.locator("#operations-section > summary").click()
    expect(page.locator(OVERLAY)).to_have_count(0)

    preview_margin(page)
    overlay = page.locator(OVERLAY)
    expect(overlay).to_be_visible()
    expect(overlay).to_have_attribute("data-slices", "3,4,5")
    on_4 = int(overlay.get_attribute("data-pixels") or 0)
    assert on_4 > int(phantom.mask(ann, number, 4).sum())  # the grown mask, not the stored one
    assert drawn_pixels(page) > 0
    page.locator("#view-wrap").screenshot(path=str(output_dir / "preview-overlay.png"))
    go_to_slice(page, 3)  # the preview follows the slice on screen
    expect(overlay).not_to_have_attribute("data-pixels", str(on_4))
    assert int(overlay.get_attribute("data-pixels") or 0) > 0
    go_to_slice(page, 0)
    expect(overlay).to_have_attribute("data-pixels", "0")
    assert drawn_pixels(page) == 0
    go_to_slice(page, 4)
    page.locator("#op-cancel").click()
    expect(overlay).to_have_count(0)
    expect(page.locator("#op-cancel")).to_be_hidden()
    assert version_of(phantom, ann) == version  # a preview writes nothing

    preview_margin(page)
    expect(page.locator(OVERLAY)).to_be_visible()
    page.locator("#op-apply").click()
    expect(page.locator("#op-status")).to_have_attribute("data-state", "applied")
    expect(page.locator(OVERLAY)).to_have_count(0)
    saved(page)
    assert version_of(phantom, ann) == version + 1
    assert not errors, errors


def presets(phantom: Phantom) -> list[dict[str, Any]]:
    with httpx.Client(base_url=phantom.url, timeout=30) as http:
        return list(http.get("/api/presets").json())


def segment_on_server(phantom: Phantom, annotation: str, number: int) -> dict[str, Any]:
    with httpx.Client(base_url=phantom.url, timeout=30) as http:
        found = http.get(f"/api/annotations/{annotation}").json()["segments"]
    return next(s for s in found if s["number"] == number)


def test_custom_label_gets_its_own_colour_and_an_editable_code(
    browser: Browser, phantom: Phantom
) -> None:
    with httpx.Client(base_url=phantom.url, timeout=30) as http:
        fresh = create_annotation(http, phantom.series_uid)["id"]  # the page reopens it
    errors: list[str] = []
    page = open_page(browser, phantom, errors, slice_index=2)
    expect(page.locator("#view")).to_have_attribute("data-annotation-id", str(fresh))
    preset = presets(phantom)[0]
    page.locator("#segment-preset").select_option(label=preset["label"])
    page.locator("#add-segment").click()
    preset_row = page.locator(f"[data-testid=segment-row][data-label='{preset['label']}']")
    expect(preset_row).to_have_count(1)
    custom = add_segment(page, "Odd little blob")
    ann = annotation_id(page)
    colours = {s["color"].lower() for s in presets(phantom)}
    with httpx.Client(base_url=phantom.url, timeout=30) as http:
        segments = http.get(f"/api/annotations/{ann}").json()["segments"]
    mine = next(s["color"].lower() for s in segments if s["number"] == custom)
    others = [s["color"].lower() for s in segments if s["number"] != custom]
    assert mine not in colours and mine not in others, (mine, others)

    row = page.locator(f"[data-testid=segment-row][data-number='{custom}']")
    expect(row).to_have_attribute("title", "Odd little blob")  # the full label on hover
    expect(row.locator(".seg-label")).to_have_attribute("title", re.compile("^Odd little blob"))
    expect(preset_row.locator(".seg-code")).to_have_count(0)  # a preset keeps its codes
    row.locator(".seg-code").click()
    form = page.locator("[data-testid=seg-code-form]")
    expect(form.locator(".code-type-code")).to_have_value("85756007")
    form.locator(".code-type-code").fill("4147007")
    form.locator(".code-type-meaning").fill("Mass")
    form.locator(".code-save").click()
    expect(form).to_have_count(0)
    expect(row).to_have_attribute("data-type-code", "4147007")
    saved(page)
    stored = segment_on_server(phantom, ann, custom)
    assert stored["type"]["code"] == "4147007" and stored["type"]["meaning"] == "Mass"
    assert stored["category"]["code"] == "85756007"
    assert stored["label"] == "Odd little blob"
    assert not errors, errors


def test_keys_add_a_segment_and_change_the_opacity(browser: Browser, phantom: Phantom) -> None:
    errors: list[str] = []
    page = open_page(browser, phantom, errors)
    with httpx.Client(base_url=phantom.url, timeout=30) as http:
        existing = http.get("/api/annotations", params={"series_uid": phantom.series_uid}).json()
    if existing:  # an earlier test's annotation: count its segments once the page shows them
        expect(page.locator("#view")).not_to_have_attribute("data-annotation-id", "")
    rows = page.locator("[data-testid=segment-row]")
    before = rows.count()
    page.keyboard.press("Shift+A")
    expect(rows).to_have_count(before + 1)
    expect(page.locator("#view")).to_have_attribute("data-active-segment", re.compile(r"^\d+$"))
    page.locator("#view").focus()
    opacity = page.locator("#opacity")
    start = float(opacity.input_value())
    page.keyboard.press(".")
    expect(opacity).to_have_value(f"{start + 0.1:g}")
    page.keyboard.press(",")
    page.keyboard.press(",")
    expect(opacity).to_have_value(f"{start - 0.1:g}")
    page.keyboard.press("?")
    help_text = page.locator("#help-overlay").inner_text()
    assert "Add a segment" in help_text and "Masks more opaque" in help_text
    assert not errors, errors


def test_right_panel_fits_1440_by_900(browser: Browser, phantom: Phantom, output_dir: Path) -> None:
    """Five segments, one with a long label, three painted: the tools, segments, statistics and
    export are all on a 1440x900 screen without scrolling the panel, and the statistics table
    (every column, Min / Max / Median included) is as wide as its section at most."""
    shape = phantom.slice_values(0).shape
    with httpx.Client(base_url=phantom.url, timeout=30) as http:
        ann = create_annotation(http, phantom.series_uid)["id"]
        for n, label in enumerate(["Liver", "Spleen", "Left kidney", "Lesion", "A" * 60], 1):
            version = put_segment(http, ann, n, label=label)
            if n <= 3:
                mask = np.zeros(shape, dtype=bool)
                mask[10 * n : shape[0] - 10 * n, 10 * n : shape[1] - 10 * n] = True
                put_mask(http, ann, n, 0, mask, version)
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{phantom.url}/?series={phantom.series_uid}")
    expect(page.locator("#view")).to_have_attribute("data-annotation-id", str(ann))
    expect(page.locator("[data-testid=segment-row]")).to_have_count(5)
    expect(page.locator("[data-testid=stats-table] tr[data-segment]")).to_have_count(5)
    page.screenshot(path=str(output_dir / "panel-1440x900.png"))
    panel = page.locator(".panel.right")
    scroll, client = panel.evaluate("p => [p.scrollHeight, p.clientHeight]")
    assert scroll <= client, (scroll, client)
    table = page.locator("[data-testid=stats-table]")
    expect(table.locator("tr[data-segment][data-voxels='0']")).to_have_count(2)
    wide, room = table.evaluate("t => [t.scrollWidth, t.parentElement.clientWidth]")
    assert wide <= room, (wide, room)
    stats = page.locator("#stats-panel")
    scroll_w, client_w = stats.evaluate("p => [p.scrollWidth, p.clientWidth]")
    assert scroll_w <= client_w, (scroll_w, client_w)
    assert not errors, errors


def test_a_message_over_the_image_turns_see_through_and_the_brush_paints_beneath_it(
    browser: Browser, phantom: Phantom, output_dir: Path
) -> None:
    errors: list[str] = []
    page = open_page(browser, phantom, errors, slice_index=9)
    page.locator("#layout").select_option("1")  # one view: the image reaches the bottom
    expect(page.locator("#view-grid")).to_have_attribute("data-layout", "1")
    number = add_segment(page, "Under a message")
    row = page.locator(f"[data-testid=segment-row][data-number='{number}']")
    row.locator(".seg-lock").click()
    click_pixel(page, 250, 250)  # on a locked segment: a message, over the bottom of the image
    toasts, toast = page.locator("#toasts"), page.locator("[data-testid=toast]").last
    expect(toast).to_contain_text("locked")
    box = toast.bounding_box()
    assert box is not None
    x, y = box["x"] + 12, box["y"] + box["height"] / 2  # on its text, away from its close button
    page.mouse.move(x, y)  # it stays while the pointer is on it
    expect(toasts).to_have_class(re.compile("see-through"))
    page.locator("#view").focus()
    page.keyboard.press("l")  # unlock the active segment, the pointer where it is
    expect(row).to_have_attribute("data-locked", "false")
    page.screenshot(path=str(output_dir / "e2e-polish-see-through-message.png"))
    page.mouse.down()
    page.mouse.move(x + 40, y, steps=6)
    page.mouse.up()
    saved(page)
    assert phantom.mask(annotation_id(page), number, 9).any()  # painted beneath the message
    # Over its close button it is solid again, and the button closes it.
    close = toast.locator(".toast-close")
    spot = close.bounding_box()
    assert spot is not None
    page.mouse.move(spot["x"] + spot["width"] / 2, spot["y"] + spot["height"] / 2)
    expect(toasts).not_to_have_class(re.compile("see-through"))
    count = page.locator("[data-testid=toast]").count()
    close.click()
    expect(page.locator("[data-testid=toast]")).to_have_count(count - 1)
    assert errors == []
