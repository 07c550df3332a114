"""Segment changes undo like strokes, in a real browser, checked on the server: delete (the masks
come back), rename, recolour, add; a conflict while undoing; a lock that outlives a reload."""

from pathlib import Path
from typing import Any

import httpx
import numpy as np
from playwright.sync_api import Browser, Locator, Page, expect
from tests.e2e.viewer_pages import (
    Phantom,
    add_segment,
    annotation_id,
    click_pixel,
    go_to_slice,
    open_page,
    press,
    saved,
    stroke,
)
from tests.e2e.viewer_pages import phantom as phantom  # the server fixture


def server_segments(phantom: Phantom, annotation: str) -> dict[int, dict[str, Any]]:
    """The annotation's segments as the service holds them, by number."""
    with httpx.Client(base_url=phantom.url, timeout=30) as http:
        response = http.get(f"/api/annotations/{annotation}")
    response.raise_for_status()
    return {int(s["number"]): s for s in response.json()["segments"]}


def segment_row(page: Page, number: int) -> Locator:
    return page.locator(f"[data-testid=segment-row][data-number='{number}']")


def delete_segment(page: Page, number: int) -> None:
    """The two clicks of the delete button."""
    button = segment_row(page, number).locator(".seg-delete")
    button.click()
    button.click()
    expect(segment_row(page, number)).to_have_count(0)


def test_undoing_a_delete_brings_the_segment_and_its_masks_back(
    browser: Browser, phantom: Phantom, output_dir: Path
) -> None:
    errors: list[str] = []
    page = open_page(browser, phantom, errors, slice_index=4)
    view = page.locator("#view")
    number = add_segment(page, "Deleted")
    page.locator("#brush-size").fill("8")
    stroke(page, [(150, 200), (250, 200)])
    go_to_slice(page, 9)
    stroke(page, [(300, 300), (300, 360)])
    saved(page)
    ann = annotation_id(page)
    painted = {i: phantom.mask(ann, number, i) for i in (4, 9)}
    assert all(mask.any() for mask in painted.values())
    color = server_segments(phantom, ann)[number]["color"]

    delete_segment(page, number)
    saved(page)
    assert number not in server_segments(phantom, ann)

    press(page, "Control+z")
    row = segment_row(page, number)
    expect(row).to_have_attribute("data-label", "Deleted")
    expect(view).to_have_attribute("data-active-segment", str(number))
    saved(page)
    segment = server_segments(phantom, ann)[number]
    assert (segment["label"], segment["color"]) == ("Deleted", color)
    assert sorted(segment["slices"]) == [4, 9]
    for index, mask in painted.items():
        assert np.array_equal(phantom.mask(ann, number, index), mask)
    page.screenshot(path=str(output_dir / "e2e-segment-undo-delete.png"))

    # The history goes on below the delete: the stroke on slice 9 undoes and redoes, then the
    # delete redoes.
    go_to_slice(page, 0)
    press(page, "Control+z")
    expect(view).to_have_attribute("data-slice", "9")
    saved(page)
    assert not phantom.mask(ann, number, 9).any()
    assert np.array_equal(phantom.mask(ann, number, 4), painted[4])
    press(page, "Control+Shift+z")
    saved(page)
    assert np.array_equal(phantom.mask(ann, number, 9), painted[9])
    press(page, "Control+Shift+z")
    expect(row).to_have_count(0)
    saved(page)
    assert number not in server_segments(phantom, ann)
    assert errors == []


def test_rename_recolour_and_add_undo_and_redo_on_the_server(
    browser: Browser, phantom: Phantom
) -> None:
    errors: list[str] = []
    page = open_page(browser, phantom, errors, slice_index=0)
    number = add_segment(page, "Before")
    ann = annotation_id(page)
    row = segment_row(page, number)
    colour = row.locator(".seg-color")
    first_colour = server_segments(phantom, ann)[number]["color"]
    row.locator(".seg-rename").click()
    page.locator(".seg-label-input").fill("After")
    page.locator(".seg-label-input").press("Enter")
    expect(row).to_have_attribute("data-label", "After")
    colour.fill("#12ab34")
    expect(colour).to_have_value("#12ab34")
    saved(page)
    segment = server_segments(phantom, ann)[number]
    assert (segment["label"], segment["color"]) == ("After", "#12ab34")

    # Undo, one step at a time: the colour, the label, then the segment itself.
    press(page, "Control+z")
    expect(colour).to_have_value(first_colour)
    saved(page)
    assert server_segments(phantom, ann)[number]["color"] == first_colour
    press(page, "Control+z")
    expect(row).to_have_attribute("data-label", "Before")
    saved(page)
    assert server_segments(phantom, ann)[number]["label"] == "Before"
    press(page, "Control+z")
    expect(row).to_have_count(0)
    saved(page)
    assert number not in server_segments(phantom, ann)

    # And redo all three.
    press(page, "Control+Shift+z")
    expect(row).to_have_attribute("data-label", "Before")
    saved(page)
    press(page, "Control+y")
    expect(row).to_have_attribute("data-label", "After")
    saved(page)
    press(page, "Control+Shift+z")
    expect(colour).to_have_value("#12ab34")
    saved(page)
    segment = server_segments(phantom, ann)[number]
    assert (segment["label"], segment["color"]) == ("After", "#12ab34")
    assert errors == []


def test_undoing_a_delete_after_another_page_wrote_goes_through_the_conflict(
    browser: Browser, phantom: Phantom, output_dir: Path
) -> None:
    errors: list[str] = []
    first = open_page(browser, phantom, errors, slice_index=14)
    kept = add_segment(first, "Kept")
    gone = add_segment(first, "Gone")
    first.locator("#brush-size").fill("8")
    stroke(first, [(200, 200), (260, 200)])
    saved(first)
    ann = annotation_id(first)
    painted = phantom.mask(ann, gone, 14)
    delete_segment(first, gone)
    saved(first)

    second = open_page(browser, phantom, errors, slice_index=14)
    segment_row(second, kept).click()
    second.locator("#view").focus()
    click_pixel(second, 350, 350)
    saved(second)

    # The first page's undo is based on an older version: 409, the banner, nothing restored.
    press(first, "Control+z")
    expect(first.locator("#save-state")).to_have_attribute("data-state", "conflict")
    expect(first.locator("#conflict-banner")).to_be_visible()
    expect(segment_row(first, gone)).to_have_count(0)
    first.screenshot(path=str(output_dir / "e2e-segment-undo-conflict.png"))
    first.locator("#conflict-overwrite").click()
    saved(first)

    # The step is still there: undo again, now against the current version.
    press(first, "Control+z")
    expect(segment_row(first, gone)).to_have_attribute("data-label", "Gone")
    saved(first)
    assert server_segments(phantom, ann)[gone]["label"] == "Gone"
    assert np.array_equal(phantom.mask(ann, gone, 14), painted)
    assert phantom.mask(ann, kept, 14)[350, 350]  # the other page's stroke stays
    # 409 answers show as console errors of failed requests; nothing else may.
    assert [e for e in errors if "409" not in e] == []


def test_a_locked_segment_stays_locked_after_a_reload(browser: Browser, phantom: Phantom) -> None:
    errors: list[str] = []
    page = open_page(browser, phantom, errors, slice_index=6)
    number = add_segment(page, "Locked")
    row = segment_row(page, number)
    row.locator(".seg-lock").click()
    expect(row).to_have_attribute("data-locked", "true")
    saved(page)
    ann = annotation_id(page)

    page.reload()
    view = page.locator("#view")
    expect(view).to_have_attribute("data-ready", "true")
    expect(row).to_have_attribute("data-locked", "true")
    row.click()
    expect(view).to_have_attribute("data-active-segment", str(number))
    go_to_slice(page, 6)
    click_pixel(page, 250, 250)
    expect(page.locator("[data-testid=toast]").last).to_contain_text("locked")
    saved(page)
    assert not phantom.mask(ann, number, 6).any()

    # Unlocking is kept too.
    row.locator(".seg-lock").click()
    expect(row).to_have_attribute("data-locked", "false")
    page.reload()
    expect(view).to_have_attribute("data-ready", "true")
    expect(row).to_have_attribute("data-locked", "false")
    assert errors == []
