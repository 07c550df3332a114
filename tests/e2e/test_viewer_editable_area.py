"""The editable area in a real browser, checked on the server's masks: with "Not other segments"
a stroke and a flood fill leave every other segment's pixels alone, and with "Not locked
segments" a stroke crosses an unlocked segment but never a locked one, which stays as it was."""

import pytest
from playwright.sync_api import Browser, expect
from tests.e2e.viewer_pages import (
    Phantom,
    add_segment,
    annotation_id,
    click_pixel,
    open_page,
    saved,
    stroke,
)
from tests.e2e.viewer_pages import phantom as phantom  # the server fixture

pytestmark = pytest.mark.e2e


def test_strokes_keep_off_other_and_locked_segments(browser: Browser, phantom: Phantom) -> None:
    errors: list[str] = []
    page = open_page(browser, phantom, errors, slice_index=3)
    page.locator("#brush-size").fill("6")
    across = add_segment(page, "Across")
    stroke(page, [(180, 230), (300, 230)])  # a horizontal band
    saved(page)
    ann = annotation_id(page)
    band = phantom.mask(ann, across, 3)
    assert band[230, 240]

    page.locator("#overlap").select_option("no_other")
    down = add_segment(page, "Down")
    stroke(page, [(240, 180), (240, 280)])  # a vertical band crossing it
    saved(page)
    vertical = phantom.mask(ann, down, 3)
    assert vertical[200, 240] and vertical[260, 240]  # painted on both sides of the band
    assert not (vertical & band).any()
    assert (phantom.mask(ann, across, 3) == band).all()

    flood = add_segment(page, "Flood")  # a flood fill of the whole slice goes round them
    page.locator("#threshold-low").fill("-5000")
    page.locator("#threshold-high").fill("5000")
    page.locator("#tool-fill").click()
    click_pixel(page, 20, 20)
    saved(page)
    filled = phantom.mask(ann, flood, 3)
    assert filled.sum() > 0.9 * filled.size
    assert not (filled & band).any() and not (filled & vertical).any()
    page.locator("#view").focus()
    page.keyboard.press("Delete")  # clear it again
    saved(page)
    page.locator("#tool-brush").click()

    page.locator("#overlap").select_option("no_locked")
    page.locator(f"[data-testid=segment-row][data-number='{across}'] .seg-lock").click()
    expect(page.locator(f"[data-testid=segment-row][data-number='{across}']")).to_have_attribute(
        "data-locked", "true"
    )
    third = add_segment(page, "Third")
    stroke(page, [(200, 200), (280, 260)])  # a diagonal over both
    saved(page)
    diagonal = phantom.mask(ann, third, 3)
    assert diagonal.any()
    assert not (diagonal & band).any()  # never over the locked one
    assert (diagonal & vertical).any()  # the unlocked one may be covered
    assert (phantom.mask(ann, across, 3) == band).all()
    assert (phantom.mask(ann, down, 3) == vertical).all()
    page.locator(f"[data-testid=segment-row][data-number='{across}'] .seg-label").click()
    page.locator("#operations-section > summary").click()
    page.locator("#op-kind").select_option("margin")
    page.locator("#op-apply").click()  # an operation on a locked segment is refused
    expect(page.locator("#op-status")).to_have_attribute("data-state", "error")
    expect(page.locator("#op-status")).to_contain_text("locked")
    assert (phantom.mask(ann, across, 3) == band).all()
    page.reload()  # the choice is kept in this browser
    expect(page.locator("#overlap")).to_have_value("no_locked")
    assert not errors, errors
