"""The journey page shows the API's numbers, in human units, on a desktop and on a phone.

Issue #12 ("fix what misleads"): each chart's drawn numbers are read back from the Plotly
figure in the page and compared with the REST API's answer for the same view; "In progress"
is one number in the chart, the stage table and the key figures (stalled contacts included,
DESIGN §5); every contact-list link opens; count axes tick in whole contacts; the conversion
line is drawn above the bars; one week and an empty view draw no meaningless axes; stall
times read in minutes/hours/days; attribution names touchpoints; on a 390×844 phone nothing
sticks out, scrolls sideways or overlaps. The run writes docs/screenshots/journey-*.png.
"""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page

from headway.web.dashboard._formats import duration
from tests.browser.chart_numbers import axis, is_whole, tick_labels, trace, traces, wait_drawn
from tests.browser.conftest import AS_OF, DemoServer
from tests.browser.doc_screenshots import docs_screenshot
from tests.browser.journey_sections import open_sections
from tests.browser.phone_layout import assert_phone_layout

pytestmark = pytest.mark.slow  # a browser, the session server and the demo world

LEAD = "Lead nurturing"
DESKTOP = {"width": 1280, "height": 800}
CHARTS = ("#funnel-chart", "#outcomes-chart", "#trend-chart")
RAW_KEY = re.compile(r"\b(email_[a-z_]+|page_visit|form_submission|purchase):\S")
HUMAN_DURATION = re.compile(r"^\d+(\.\d)? (s|min|h|day|days)$")


def api(server: DemoServer, path: str, **params: str) -> Any:
    """The REST API's JSON answer."""
    response = httpx.get(f"{server.url}/api/v1{path}", params=params, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def journey_url(server: DemoServer, name: str = LEAD, **params: str) -> str:
    """The dashboard page of a journey in a view."""
    query = "&".join(f"{k}={v}" for k, v in ({"as_of": AS_OF} | params).items())
    return f"{server.url}/journeys/{quote(name, safe='')}?{query}"


def open_journey(page: Page, url: str, panels: bool = True) -> None:
    """Open a journey page and wait for its charts (and its lazy panels)."""
    page.goto(url)
    open_sections(page, *(CHARTS if not panels else ()))  # folded on a phone
    page.wait_for_function(
        "ids => ids.every(id => document.querySelector(id).dataset.drawn)", arg=list(CHARTS)
    )
    for box in CHARTS:
        if page.locator(f"{box} .chart-empty").count() == 0:
            wait_drawn(page, box)
    if panels:
        page.wait_for_function(
            "() => !document.querySelector('.lazy-panel[aria-busy]')", timeout=120_000
        )


def test_journey_charts_and_tables_show_the_apis_numbers(
    page: Page, demo_server: DemoServer
) -> None:
    page.set_viewport_size(DESKTOP)
    path = f"/journeys/{quote(LEAD, safe='')}"
    funnel = api(demo_server, path + "/funnel", as_of=AS_OF)
    trends = api(demo_server, path + "/trends", as_of=AS_OF)
    stages = funnel["stages"]
    open_journey(page, journey_url(demo_server))

    # the funnel: reached per stage
    reached = trace(traces(page, "#funnel-chart"), "Reached")
    assert reached["x"] == [s["reached"] for s in stages]
    assert reached["y"] == [s["name"] for s in stages]

    # where contacts stopped: "In progress" includes the stalled (a subset of it, DESIGN §5)
    outcomes = traces(page, "#outcomes-chart")
    dropped = [s["dropped"] for s in stages]
    assert trace(outcomes, "Dropped")["x"] == dropped
    in_progress = trace(outcomes, "In progress")
    assert in_progress["x"] == [s["in_progress"] for s in stages]
    assert in_progress["base"] == dropped
    assert trace(outcomes, "Stalled")["x"] == [s["stalled"] for s in stages]
    assert trace(outcomes, "Converted")["x"][-1] == stages[-1]["reached"]
    # ... and the stage table and the key figures say the same
    cells = page.locator("table.stages a.s-in_progress").all_inner_texts()
    assert cells == [f"{s['in_progress']:,}" for s in stages]
    tile = page.locator(".figures li", has_text="in progress").locator(".value").inner_text()
    assert tile == f"{sum(s['in_progress'] for s in stages):,}"

    # the trend: entered (bars) and conversion (line) per week, the line drawn above the bars
    drawn = traces(page, "#trend-chart")
    assert trace(drawn, "Entered")["y"] == [p["entered"] for p in trends["periods"]]
    assert trace(drawn, "Conversion")["y"] == [p["conversion"] for p in trends["periods"]]
    assert trace(drawn, "Entered")["x"] == [p["period"] for p in trends["periods"]]
    line_above = page.evaluate(
        """() => { const gd = document.querySelector('#trend-chart');
        const bar = gd.querySelector('.barlayer .trace'), line = gd.querySelector('.scatterlayer .js-line');
        return !!(bar.compareDocumentPosition(line) & Node.DOCUMENT_POSITION_FOLLOWING); }"""
    )
    assert line_above, "the conversion line is drawn under the bars"

    # count axes tick in whole contacts
    for box, letter in (("#funnel-chart", "x"), ("#outcomes-chart", "x"), ("#trend-chart", "y")):
        labels = tick_labels(page, box, letter)
        assert labels and all(is_whole(t) for t in labels), (box, labels)

    # every contact-list link of the chart and the table opens (no 422 for status=moving)
    links = {str(u) for t in outcomes for u in t["customdata"]}
    links |= set(page.locator("table.stages a").evaluate_all("as => as.map(a => a.href)"))
    assert not any("status=moving" in u for u in links)
    for url in sorted(links):
        response = page.request.get(url if url.startswith("http") else demo_server.url + url)
        assert response.status == 200, (url, response.status)
    moving = f"{demo_server.url}/journeys/{quote(LEAD, safe='')}/contacts?stage=1&status=moving"
    assert page.request.get(moving + f"&as_of={AS_OF}").status == 200

    # stall times in human units, as the API's seconds read
    stalls = api(demo_server, path + "/stalls", as_of=AS_OF)
    panel = page.locator("#stalls").inner_text()
    assert "0.0 days" not in panel
    for s in stalls["stages"]:
        if s["stalled"]:
            assert f"longer than {duration(s['stall_after_seconds'])}." in panel
    times = page.locator("#stalls table.stalls td.num").all_inner_texts()
    assert times and all(HUMAN_DURATION.match(t) for t in times), times

    # attribution: names, not raw keys
    credits = api(demo_server, path + "/attribution", as_of=AS_OF)["touchpoints"]
    shown = page.locator("#attribution table.attribution tbody th").all_inner_texts()
    assert shown == [t["label"] for t in credits[: len(shown)]] and shown
    assert not RAW_KEY.search(page.locator("#attribution").inner_text())

    docs_screenshot(page, "journey", "desktop", top="#funnel-title")
    docs_screenshot(page, "journey-charts", "desktop", top="#outcomes-title")


def test_journey_page_on_a_phone(phone_page: Page, demo_server: DemoServer) -> None:
    page = phone_page
    funnel = api(demo_server, f"/journeys/{quote(LEAD, safe='')}/funnel", as_of=AS_OF)
    open_journey(page, journey_url(demo_server))
    docs_screenshot(page, "journey", "phone", top="#funnel-title")
    docs_screenshot(page, "journey-charts", "phone", top="#outcomes-title")
    assert_phone_layout(page)

    # the stage table: every column on screen, the conversion columns included
    width = page.viewport_size["width"] if page.viewport_size else 390
    for s, row in zip(funnel["stages"], page.locator("table.stages tbody tr").all(), strict=True):
        cells = row.locator("td")
        assert cells.count() == 8
        for i in range(8):
            box = cells.nth(i).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (s["name"], i, box)
        first = f"{s['conversion_from_first'] * 100:.1f}%"
        assert cells.nth(2).inner_text().strip() == first

    # the charts sit one below the other
    boxes = [page.locator(c).bounding_box() for c in CHARTS]
    for a, b in itertools.pairwise(boxes):
        assert a and b and a["y"] + a["height"] <= b["y"], (a, b)

    # short enough to read on a phone: the sections of this page each fit a few screens
    # (the whole page was 11,900 px; these sections were most of it: stalled lists unfolded
    # to blank rows, a wide stage table, 15 attribution rows)
    sections = (("table.stages", 1_000), ("#stalls", 1_600), ("#attribution", 900))
    for section, most in (*sections, ("#funnel-chart", 600), ("#outcomes-chart", 600)):
        height = page.locator(section).bounding_box()
        assert height and height["height"] < most, (section, height)
    # stalled rows are not blank: unfold the first list, every cell shows its text on screen
    fold = page.locator("#stalls details.fold").first
    fold.locator("summary").click()
    rows = fold.locator("tbody tr")
    assert rows.count() > 0
    for row in rows.all()[:3]:
        for cell in row.locator("th, td").all():
            box = cell.bounding_box()
            assert box and box["x"] + box["width"] <= width and cell.inner_text().strip()
    assert_phone_layout(page)


def test_one_week_and_an_empty_view_draw_no_meaningless_axes(
    page: Page, demo_server: DemoServer
) -> None:
    path = f"/journeys/{quote(LEAD, safe='')}"
    week = "2025-06-23..2025-06-29"
    one = api(demo_server, path + "/trends", as_of=AS_OF, date_range=week)["periods"]
    assert len(one) == 1
    for viewport in (DESKTOP, {"width": 390, "height": 844}):
        page.set_viewport_size(viewport)
        open_journey(page, journey_url(demo_server, date_range=week), panels=False)
        drawn = traces(page, "#trend-chart")
        assert trace(drawn, "Entered")["y"] == [one[0]["entered"]]
        assert trace(drawn, "Conversion")["y"] == [one[0]["conversion"]]
        x = axis(page, "#trend-chart", "xaxis")
        assert x["type"] == "category" and tick_labels(page, "#trend-chart") == [
            f"week of {one[0]['period']}"
        ]
        if viewport["width"] < 600:
            assert_phone_layout(page)

        nothing = "2020-01-01..2020-01-07"
        assert api(demo_server, path + "/funnel", as_of=AS_OF, date_range=nothing)["entered"] == 0
        open_journey(page, journey_url(demo_server, date_range=nothing), panels=False)
        for box in CHARTS:
            assert page.locator(f"{box} svg").count() == 0, box  # no axes from -1 to 1
            assert "No contact entered" in page.locator(box).inner_text()
