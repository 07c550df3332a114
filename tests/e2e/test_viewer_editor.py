"""The segment editor in a real browser, checked on the server: the statistics panel follows
the edits; a margin and a grow from seeds (preview, then apply) change the stored masks in
one version each, and undo writes the previous masks back."""

from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.e2e.viewer_pages import (
    Phantom,
    add_segment,
    annotation_id,
    open_page,
    paint_stroke,
    saved,
    stroke,
    undo_saved,
)
from tests.e2e.viewer_pages import phantom as phantom  # the server fixture

pytestmark = pytest.mark.e2e


def server(phantom: Phantom, path: str) -> Any:
    with httpx.Client(base_url=phantom.url, timeout=30) as http:
        response = http.get(path)
    response.raise_for_status()
    return response.json()


def statistics_of(phantom: Phantom, annotation: str, number: int) -> dict[str, Any]:
    found = server(phantom, f"/api/annotations/{annotation}/statistics")["segments"]
    return next(s for s in found if s["number"] == number)


def stats_row_shows(page: Page, number: int, voxels: int) -> None:
    row = page.locator(f"[data-testid=stats-table] tr[data-segment='{number}']")
    expect(row).to_have_attribute("data-voxels", str(voxels))


def operate(page: Page, kind: str, apply: bool = True, **fields: str) -> None:
    page.locator("#operations-section > summary").click()
    page.locator("#op-kind").select_option(kind)
    for name, value in fields.items():
        page.locator(f"#{name}").fill(value)
    page.locator("#op-apply" if apply else "#op-preview").click()
    expect(page.locator("#op-status")).to_have_attribute(
        "data-state", "applied" if apply else "previewed", timeout=60_000
    )
    page.locator("#operations-section > summary").click()


def test_margin_is_one_step_and_the_statistics_follow(browser: Browser, phantom: Phantom) -> None:
    errors: list[str] = []
    page = open_page(browser, phantom, errors, slice_index=4)
    number, ann = paint_stroke(page, "Margin", "6", [(200, 220), (260, 220)])
    before = {k: phantom.mask(ann, number, k) for k in (3, 4, 5)}
    assert before[4].any() and not before[3].any() and not before[5].any()
    stats_row_shows(page, number, statistics_of(phantom, ann, number)["voxels"])
    version = server(phantom, f"/api/annotations/{ann}")["version"]

    operate(page, "margin", **{"op-mm": "3"})
    saved(page)
    assert server(phantom, f"/api/annotations/{ann}")["version"] == version + 1
    grown = {k: phantom.mask(ann, number, k) for k in (3, 4, 5)}
    assert grown[4].sum() > before[4].sum() and (grown[4] >= before[4]).all()
    assert grown[3].any() and grown[5].any()  # 5 mm slices: the surface is 2.5 mm out
    after = statistics_of(phantom, ann, number)
    assert after["slices"] == [3, 4, 5]
    stats_row_shows(page, number, after["voxels"])

    undo_saved(page)
    for k, mask in before.items():
        assert (phantom.mask(ann, number, k) == mask).all(), k
    stats_row_shows(page, number, int(before[4].sum()))
    assert errors == []
    page.close()


def test_grow_from_seeds_previews_then_applies_and_undoes(
    browser: Browser, phantom: Phantom
) -> None:
    errors: list[str] = []
    page = open_page(browser, phantom, errors, slice_index=10)
    inside = add_segment(page, "Inside")
    page.locator("#brush-size").fill("4")
    stroke(page, [(250, 250), (262, 250)])
    outside = add_segment(page, "Outside")
    stroke(page, [(30, 30), (40, 30)])
    saved(page)
    ann = annotation_id(page)
    version = server(phantom, f"/api/annotations/{ann}")["version"]
    seeds = f"{inside},{outside}"

    operate(page, "grow_from_seeds", apply=False, **{"op-seeds": seeds})
    assert "Would change" in (page.locator("#op-status").text_content() or "")
    assert server(phantom, f"/api/annotations/{ann}")["version"] == version

    operate(page, "grow_from_seeds", **{"op-seeds": seeds})
    saved(page)
    assert server(phantom, f"/api/annotations/{ann}")["version"] == version + 1
    grown = statistics_of(phantom, ann, inside)
    assert len(grown["slices"]) > 1  # grown through the region around the seeds

    undo_saved(page)
    assert statistics_of(phantom, ann, inside)["slices"] == [10]
    assert statistics_of(phantom, ann, outside)["slices"] == [10]
    assert errors == []
    page.close()


def test_segment_status_is_saved_and_shown_after_a_reload(
    browser: Browser, phantom: Phantom
) -> None:
    errors: list[str] = []
    page = open_page(browser, phantom, errors, slice_index=2)
    number = add_segment(page, "Status")
    row = page.locator(f"[data-testid=segment-row][data-number='{number}']")
    expect(row).to_have_attribute("data-status", "not_started")
    row.locator(".seg-status").select_option("flagged")
    expect(row).to_have_attribute("data-status", "flagged")
    saved(page)
    ann = annotation_id(page)
    segments = server(phantom, f"/api/annotations/{ann}")["segments"]
    assert next(s for s in segments if s["number"] == number)["status"] == "flagged"
    page.reload()
    row = page.locator(f"[data-testid=segment-row][data-number='{number}']")
    expect(row).to_have_attribute("data-status", "flagged")
    assert errors == []
    page.close()


def test_lasso_fill_through_all_slices_is_one_step(browser: Browser, phantom: Phantom) -> None:
    errors: list[str] = []
    page = open_page(browser, phantom, errors, slice_index=6)
    number = add_segment(page, "Lasso")
    page.locator("#operations-section > summary").click()
    page.locator("#op-kind").select_option("scissors")
    page.locator("#op-shape").select_option("lasso")
    page.locator("#op-scope").select_option("all_slices")
    page.locator("#op-apply").click()
    expect(page.locator("#view")).to_have_attribute("data-scissors", "lasso")
    lasso = [(200, 200), (300, 210), (310, 300), (220, 320), (190, 260), (200, 200)]
    stroke(page, lasso, steps=6)
    status = page.locator("#op-status")
    expect(status).to_have_attribute("data-state", "applied", timeout=60_000)
    saved(page)
    ann = annotation_id(page)
    found = statistics_of(phantom, ann, number)
    assert found["slices"] == list(range(phantom.info["num_slices"]))
    first, middle = phantom.mask(ann, number, 0), phantom.mask(ann, number, 6)
    assert (first == middle).all() and middle[250, 250] and not middle[100, 100]
    assert 0.8 < middle.sum() / (110 * 110 * 0.75) < 1.25  # about the lasso's area

    undo_saved(page)
    assert statistics_of(phantom, ann, number)["voxels"] == 0
    assert errors == []
    page.close()


def test_sphere_brush_paints_across_slices_in_one_step(browser: Browser, phantom: Phantom) -> None:
    errors: list[str] = []
    page = open_page(browser, phantom, errors, slice_index=12)
    number = add_segment(page, "Sphere")
    page.locator("#brush-size").fill("24")
    page.locator("#brush-3d").check()
    expect(page.locator("#view")).to_have_attribute("data-sphere-loaded", "true")
    stroke(page, [(300, 300), (301, 300)], steps=1)
    saved(page)
    ann = annotation_id(page)
    found = statistics_of(phantom, ann, number)
    # 5 mm slices, radius 12 mm: the slices 5 and 10 mm away get discs of 10.9 and 6.6 mm.
    assert found["slices"] == [10, 11, 12, 13, 14]
    counts = {k: int(phantom.mask(ann, number, k).sum()) for k in (10, 11, 12, 13, 14)}
    assert counts[11] == pytest.approx(counts[12] * (144 - 25) / 144, rel=0.1)
    assert counts[10] == pytest.approx(counts[12] * (144 - 100) / 144, rel=0.15)
    assert counts[10] == pytest.approx(counts[14], rel=0.05)

    undo_saved(page)
    assert statistics_of(phantom, ann, number)["voxels"] == 0
    assert errors == []
    page.close()
