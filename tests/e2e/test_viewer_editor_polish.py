"""The segment editor's finish in a real browser: an operation's preview drawn over the image
until Apply or Cancel."""

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.viewer_pages import (
    Phantom,
    add_segment,
    annotation_id,
    go_to_slice,
    open_page,
    saved,
    stroke,
)
from tests.e2e.viewer_pages import phantom as phantom  # the server fixture

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
    number = add_segment(page, "Preview")
    page.locator("#brush-size").fill("6")
    stroke(page, [(200, 220), (260, 220)])
    saved(page)
    ann = annotation_id(page)
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
