"""The project page in Chromium: admins create and edit projects and add cases from the
local store, with the server's refusals shown beside the form; the worklist's filters match
part of a name and survive a reload, its rows tell cases apart and say why a SEG was not
sent to the PACS."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from tests.conftest import LiveServer
from tests.e2e.viewer_pages import watched_page
from tests.helpers import dicom_files
from tests.integration.auth_support import PASSWORD
from tests.integration.project_support import LABELS, bearer, next_task, users_with_tokens

from segdicom.config import Settings

pytestmark = pytest.mark.e2e


@dataclass
class Site:
    server: LiveServer
    project_id: int
    """Two readers (alice, bob) have taken its one case; bob's reading is approved, but its
    SEG could not be sent (no PACS)."""
    series_uid: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("projects") / "data", dicom_port=0)
    roles = {"alice": "annotator", "bob": "annotator", "rita": "reviewer", "root": "admin"}
    tokens = users_with_tokens(settings, **roles)
    server = LiveServer(settings).start()
    try:
        clients = {
            name: httpx.Client(base_url=server.url, headers=bearer(token), timeout=60)
            for name, token in tokens.items()
        }
        root = clients["root"]
        parts = [("files", (p.name, p.read_bytes())) for p in dicom_files("ct_philips_phantom")]
        series_uid = root.post("/api/uploads", files=parts).json()["series"][0]["series_uid"]
        fields = {"readers_per_case": 2, "review_required": False, "export_on_approval": True}
        project = root.post(
            "/api/projects",
            json={"name": "Liver study", "description": "Portal venous phase.", "labels": LABELS}
            | fields,
        ).json()
        root.post(f"/api/projects/{project['id']}/cases", json={"series_uids": [series_uid]})
        assert next_task(clients["alice"], project["id"]) is not None
        bobs = next_task(clients["bob"], project["id"])
        assert bobs is not None
        approved = clients["bob"].post(f"/api/tasks/{bobs['id']}/submit").json()
        assert approved["state"] == "approved" and approved["export_error"]
        for client in clients.values():
            client.close()
        yield Site(server, project["id"], series_uid)
    finally:
        server.stop()


def signed_in(browser: Browser, site: Site, user: str, errors: list[str], path: str) -> Page:
    page = watched_page(browser, f"{site.server.url}/login.html?next=/{path}", errors)
    page.locator("#login-username").fill(user)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page).to_have_url(re.compile(re.escape(path.split("?")[0])))
    return page


def test_admins_create_edit_and_fill_a_project_and_see_the_servers_refusals(
    browser: Browser, site: Site, output_dir: Path
) -> None:
    errors: list[str] = []
    page = signed_in(browser, site, "root", errors, f"projects.html?project={site.project_id}")
    expect(page.locator("#project-name")).to_have_text("Liver study")

    page.locator("[data-testid=new-project]").click()
    form = page.locator("[data-testid=project-form]")
    form.locator("[data-testid=project-name-input]").fill("Kidney study")
    form.locator("[data-testid=label-name]").fill("Kidney")
    form.locator("[data-testid=add-label]").click()
    # A new row's colour is nobody's: not the first row's, and no preset's (a custom label
    # named there would look like that preset).
    presets = page.evaluate("fetch('api/presets').then((r) => r.json())")
    fresh = form.locator("[data-testid=label-color]").nth(1).input_value()
    assert fresh not in {p["color"] for p in presets} | {"#b96653"}
    form.locator("[data-testid=label-name]").nth(1).fill("kidney")
    form.locator("[data-testid=add-rule]").click()
    form.locator("[data-testid=rule-row] input[data-field=modality]").fill("CT")
    form.locator("[data-testid=project-save]").click()
    refusal = page.locator("[data-testid=project-form-error]")
    expect(refusal).to_contain_text("'kidney' repeats 'Kidney'")  # the server's 400, kept
    page.screenshot(path=str(output_dir / "e2e-project-form-refused.png"))
    form.locator("[data-testid=label-name]").nth(1).fill("Cyst")
    form.locator("[data-testid=readers-per-case]").select_option("2")
    shown = [c.input_value() for c in form.locator("[data-testid=label-color]").all()]
    assert shown == ["#b96653", "#42d4f4"]  # the presets' colours
    form.locator("[data-testid=project-save]").click()
    expect(page.locator("[data-testid=project-dialog]")).to_be_hidden()
    expect(page.locator("#project-name")).to_have_text("Kidney study")
    expect(page).to_have_url(re.compile(r"project=\d+"))
    expect(page.locator("[data-testid=worklist] tbody")).to_have_text("No readings yet.")
    kidney_id = int(page.url.split("project=")[1].split("&")[0])
    with httpx.Client(base_url=site.server.url, timeout=30) as http:
        http.post("/api/auth/login", json={"username": "root", "password": PASSWORD})
        stored = http.get(f"/api/projects/{kidney_id}").json()["labels"]
    assert [label["color"] for label in stored] == shown  # what the form showed, not defaults
    summary = page.locator("[data-testid=project-summary] li")
    expect(summary).to_contain_text(
        ["0 cases", "2 readers per case, blinded", "2 labels: Kidney, Cyst"]
    )

    page.locator("[data-testid=add-cases]").click()
    page.locator("[data-testid=case-study] .study-header").first.click()
    series = page.locator(f"[data-testid=case-series][data-series-uid='{site.series_uid}']")
    series.check()
    page.locator("[data-testid=cases-add]").click()
    expect(page.locator("[data-testid=cases-result]")).to_have_text("1 case added")
    expect(series).to_be_disabled()
    page.screenshot(path=str(output_dir / "e2e-project-add-cases.png"))
    page.locator("#cases-close").click()
    expect(summary.first).to_have_text("1 case")
    # Out of every reading the project needs (1 case x 2 readers), though nobody took one.
    overall = page.locator("[data-testid=progress-states]")
    expect(overall.locator("[data-state=not_started]")).to_have_attribute("data-count", "2")
    expect(overall.locator(".bar-text")).to_have_text("not started 2")

    page.locator("[data-testid=project-select]").select_option(label="Liver study")
    expect(page.locator("#project-name")).to_have_text("Liver study")
    page.locator("[data-testid=edit-project]").click()
    form.locator("[data-testid=label-name]").first.fill("Spleen")
    form.locator("[data-testid=project-save]").click()
    expect(refusal).to_contain_text("has readings made with its labels")  # the server's 409
    expect(page.locator("[data-testid=project-dialog]")).to_be_visible()
    form.locator("[data-testid=label-name]").first.fill("Liver")
    form.locator("textarea[name=description]").fill("Portal venous phase; lesions over 5 mm.")
    form.locator("[data-testid=project-save]").click()
    expect(page.locator("[data-testid=project-description]")).to_have_text(
        "Portal venous phase; lesions over 5 mm."
    )

    reader = signed_in(browser, site, "alice", errors, f"projects.html?project={site.project_id}")
    expect(reader.locator("#project-name")).to_have_text("Liver study")
    for control in ("new-project", "edit-project", "add-cases"):
        expect(reader.locator(f"[data-testid={control}]")).to_be_hidden()
    # An annotator is told only their own readings: no "not started" of the others'.
    expect(reader.locator("[data-testid=progress-states] .bar-row")).to_have_attribute(
        "data-reader", "yours"
    )
    refused = [e for e in errors if "Failed to load resource" in e]  # Chromium's line per refusal
    assert [e for e in errors if e not in refused] == []
    assert ["400" in refused[0], "409" in refused[1], len(refused)] == [True, True, 2]


def test_the_worklist_matches_part_of_a_name_keeps_its_filters_and_tells_cases_apart(
    browser: Browser, site: Site, output_dir: Path
) -> None:
    errors: list[str] = []
    page = signed_in(browser, site, "rita", errors, f"projects.html?project={site.project_id}")
    page.set_viewport_size({"width": 1024, "height": 700})
    rows = page.locator("[data-testid=worklist] tbody tr")
    expect(rows).to_have_count(2)
    # Progress: every bar spans its column (all, alice, bob), whatever its counts say.
    bars = page.locator("[data-testid=progress-bar]")
    expect(bars).to_have_count(3)
    widths = {round(box["width"]) for bar in bars.all() if (box := bar.bounding_box())}
    assert len(widths) == 1 and min(widths) > 150, widths
    expect(page.locator("[data-testid=progress-states] .bar-text")).to_have_text(
        "in progress 1, approved 1"
    )
    expect(page.locator("[data-testid=project-description]")).to_have_text(re.compile("^Portal"))
    # The filter is dark like the other inputs (--panel-2), not the browser's light grey.
    expect(page.locator("[data-testid=filter-assignee]")).to_have_css(
        "background-color", "rgb(27, 31, 38)"
    )
    page.locator("[data-testid=filter-assignee]").fill("Bo")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-state", "approved")
    expect(page).to_have_url(re.compile(r"assignee=Bo"))

    page.reload()
    expect(page.locator("[data-testid=filter-assignee]")).to_have_value("Bo")
    expect(rows).to_have_count(1)
    case = rows.first.locator(".case-cell")
    expect(case).to_contain_text("28 images")
    expect(case).to_contain_text("STD BRAIN")  # the series description, not only a number
    expect(rows.first.locator("[data-testid=export-error]")).to_contain_text("no PACS")
    page.screenshot(path=str(output_dir / "e2e-project-worklist.png"))
    rows.first.get_by_role("link", name="Open").click()
    expect(page.locator("[data-testid=task-bar] [data-testid=export-error]")).to_contain_text(
        "no PACS"
    )

    bob = signed_in(browser, site, "bob", errors, f"projects.html?project={site.project_id}")
    expect(bob.locator("[data-testid=worklist] tbody tr")).to_have_count(1)
    expect(bob.locator("[data-testid=export-error]")).to_have_count(0)  # reviewers and admins
    assert errors == []


def test_an_admin_codes_a_custom_label_of_a_new_project(
    browser: Browser, site: Site, output_dir: Path
) -> None:
    errors: list[str] = []
    page = signed_in(browser, site, "root", errors, f"projects.html?project={site.project_id}")
    page.locator("[data-testid=new-project]").click()
    form = page.locator("[data-testid=project-form]")
    form.locator("[data-testid=project-name-input]").fill("Lesion study")
    form.locator("[data-testid=label-name]").fill("Target lesion")
    form.locator("[data-testid=label-codes-toggle]").click()
    typed = {"type-code": "52988006", "type-scheme": "SCT", "type-meaning": "Lesion"}
    for field, value in typed.items():
        form.locator(f"[data-testid=label-{field}]").fill(value)
    form.locator("[data-testid=project-save]").click()  # the category is missing
    refusal = page.locator("[data-testid=project-form-error]")
    expect(refusal).to_contain_text('label "Target lesion": fill in every code')
    category = {
        "code": "49755003",
        "scheme": "SCT",
        "meaning": "Morphologically abnormal structure",
    }
    for part, value in category.items():
        form.locator(f"[data-testid=label-category-{part}]").fill(value)
    page.screenshot(path=str(output_dir / "e2e-project-label-codes.png"))
    form.locator("[data-testid=project-save]").click()
    expect(page.locator("[data-testid=project-dialog]")).to_be_hidden()
    expect(page.locator("#project-name")).to_have_text("Lesion study")

    project_id = int((page.url.split("project=")[1]).split("&")[0])
    with httpx.Client(base_url=site.server.url, timeout=30) as http:
        http.post("/api/auth/login", json={"username": "root", "password": PASSWORD})
        [label] = http.get(f"/api/projects/{project_id}").json()["labels"]
    assert label["type"] == {"code": "52988006", "scheme": "SCT", "meaning": "Lesion"}
    assert label["category"] == category
    # Opened again, the form shows the codes the project keeps.
    page.locator("[data-testid=edit-project]").click()
    form.locator("[data-testid=label-codes-toggle]").click()
    expect(form.locator("[data-testid=label-type-code]")).to_have_value("52988006")
    assert errors == []
