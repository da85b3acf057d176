"""The journeys list, the journey page and its contact lists in a real browser on the demo world.

This module serves its own copy of the demo database: the four example journeys saved (as
``headway demo`` does) plus one whose name is a script tag, which must render as text.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Dialog, Page, expect

from headway.api import Headway
from headway.engine.funnel.report import FunnelReport
from headway.model.journey import load_journey_file
from headway.store import Store
from headway.store.journeys import list_journeys, save_journey
from tests.browser.conftest import AS_OF, DemoServer, screenshot, serve
from tests.browser.journey_sections import open_sections

EXAMPLES = Path(__file__).parents[2] / "examples"
DEMO_JOURNEYS = ("Lead nurturing", "Onboarding", "Webinar", "Webinar invite")
HOSTILE = "<script>alert(1)</script>"
LEAD = "/journeys/Lead%20nurturing"
pytestmark = pytest.mark.slow  # a browser, a server and the demo world: seconds per test


@dataclass
class World:
    """The served copy of the demo world and the engine's funnel of Lead nurturing."""

    server: DemoServer
    lead: FunnelReport


def prepare(db_path: Path) -> FunnelReport:
    """Save the example journeys (when missing) and the hostile one; Lead nurturing's funnel."""
    with Store(db_path) as store:
        saved = {j.name for j in list_journeys(store)}
        for path in sorted(EXAMPLES.glob("*.yaml")):
            journey = load_journey_file(path)
            if journey.name not in saved:
                save_journey(store, journey, path.read_text())
        lead = load_journey_file(EXAMPLES / "lead-nurturing.yaml")
        save_journey(store, lead.__class__(**{**lead.__dict__, "name": HOSTILE}), None)
        return Headway(store).funnel("Lead nurturing", as_of=AS_OF)


@pytest.fixture(scope="module")
def world(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A server on a copy of the demo database, prepared as above."""
    db_path = tmp_path_factory.mktemp("journeys") / "demo.duckdb"
    shutil.copy(demo_db, db_path)
    lead = prepare(db_path)
    server = serve(db_path)
    try:
        yield World(server, lead)
    finally:
        server.stop()


def draw(page: Page, url: str) -> None:
    """Open ``url``; wait until the funnel chart is drawn and the lazy panels have answered."""
    page.goto(url)
    expect(page.locator("#funnel-chart svg.main-svg").first).to_be_visible()
    open_sections(page)  # folded on a phone
    expect(page.locator(".lazy-panel[aria-busy]")).to_have_count(0, timeout=60_000)


def test_the_journeys_list_shows_the_demo_journeys(world: World, page: Page) -> None:
    page.goto(world.server.url + "/")
    expect(page).to_have_title("Journeys · Headway")
    expect(page.locator("h1")).to_have_text("Journeys")
    links = page.locator("a.journey-link")
    for name in DEMO_JOURNEYS:
        expect(links.filter(has_text=name).first).to_be_visible()
    # The demo's data ends 2025-06-30: one click shows the list as of then.
    page.get_by_role("link", name="View as of 2025-06-30, the end of the data").click()
    expect(page).to_have_url(world.server.url + "/journeys?as_of=2025-06-30")
    row = page.locator("tr", has=page.get_by_role("link", name="Lead nurturing", exact=True))
    expect(row.locator("td").nth(2)).to_have_text(f"{world.lead.entered:,}")
    expect(row.locator("td").nth(3)).to_have_text(f"{world.lead.converted:,}")
    screenshot(page, "journeys")


def test_the_journey_page_charts_the_engines_funnel(world: World, page: Page) -> None:
    draw(page, f"{world.server.url}{LEAD}?as_of={AS_OF}")
    expect(page).to_have_title("Lead nurturing · Journeys · Headway")
    expect(page.locator("h1")).to_have_text("Lead nurturing")
    stages = world.lead.stages
    expect(page.locator("#funnel-chart .bars path")).to_have_count(len(stages))
    ticks = page.locator("#funnel-chart .ytick text").all_text_contents()
    assert sorted(t.strip() for t in ticks) == sorted(s.name for s in stages)
    labels = page.locator("#funnel-chart .bars text").all_text_contents()
    assert [label.split(" · ")[0] for label in labels] == [f"{s.reached:,}" for s in stages]
    cells = page.locator("table.stages tbody tr td:nth-child(2)").all_text_contents()
    assert [c.strip() for c in cells] == [f"{s.reached:,}" for s in stages]
    expect(page.locator("#outcomes-chart svg.main-svg").first).to_be_visible()
    expect(page.locator("#trend-chart .scatterlayer .trace")).to_have_count(1)
    screenshot(page, "journey-lead-nurturing")


def test_a_stage_bar_lists_its_contacts_and_the_csv_downloads(world: World, page: Page) -> None:
    draw(page, f"{world.server.url}{LEAD}?as_of={AS_OF}")
    page.locator("#funnel-chart").scroll_into_view_if_needed()  # below the view controls
    box = page.locator("#funnel-chart .bars path").nth(1).bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**/journeys/Lead%20nurturing/contacts?stage=2&status=reached*")
    engaged = world.lead.stages[1]
    expect(page.locator("h1")).to_have_text(f"{engaged.reached:,} contacts who reached “Engaged”")
    expect(page.locator("table.contacts tbody tr")).to_have_count(50)
    with page.expect_download() as download:
        page.locator("#csv-export").click()
    assert download.value.suggested_filename == "lead-nurturing-2-engaged-reached.csv"
    text = Path(download.value.path()).read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == engaged.reached
    assert {r["contact"] for r in rows[:50]} >= {
        t.strip() for t in page.locator("table.contacts tbody td.name").all_text_contents()
    }
    screenshot(page, "journey-contacts")


def test_the_stage_links_are_reached_with_the_keyboard(world: World, page: Page) -> None:
    draw(page, f"{world.server.url}{LEAD}?as_of={AS_OF}")
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('stage-link')"):
            break
    focused = page.locator("a.stage-link").first
    expect(focused).to_be_focused()
    assert focused.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    page.keyboard.press("Enter")
    page.wait_for_url("**/contacts?stage=1&status=reached*")


def test_a_script_in_a_journey_name_is_only_text(world: World, page: Page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(_dismiss(dialog)))
    page.goto(world.server.url + "/journeys?as_of=" + AS_OF)
    page.get_by_role("link", name=HOSTILE).click()
    expect(page.locator("#funnel-chart svg.main-svg").first).to_be_visible()
    expect(page.locator("h1")).to_have_text(HOSTILE)
    expect(page.locator(".crumbs [aria-current]")).to_have_text(HOSTILE)
    assert page.title() == f"{HOSTILE} · Journeys · Headway"
    page.goto(f"{world.server.url}/journeys/{quote(HOSTILE, safe='')}/contacts?stage=4")
    expect(page.locator(".crumbs a").nth(1)).to_have_text(HOSTILE)
    assert dialogs == []


def _dismiss(dialog: Dialog) -> str:
    dialog.dismiss()
    return dialog.message


def test_the_journey_page_fits_a_phone(world: World, phone_page: Page) -> None:
    draw(phone_page, f"{world.server.url}{LEAD}?as_of={AS_OF}")
    expect(phone_page.locator("#trend-chart svg.main-svg").first).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1
    table = phone_page.locator("table.stages")
    # each stage is a block of labelled values: nothing to scroll sideways (issue #12)
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    expect(phone_page.get_by_role("link", name="Emails")).to_be_visible()
    screenshot(phone_page, "journey-phone")
