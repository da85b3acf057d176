"""The journey page's analysis parts in real Chromium on the demo world (#12.3, #12.4).

One visit per viewport: trend by month, the breakdown chart, time to convert per step and
two date ranges side by side — each chart's drawn numbers read back from the Plotly figure and
compared with the REST API for the same view — and the drivers panel's effect lines, left-out
touchpoints and its Include them / Leave them out control. On a 390×844 phone nothing sticks
out or overlaps. The run writes docs/screenshots/analysis-*.png.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.chart_numbers import is_whole, tick_labels, trace, traces, wait_drawn
from tests.browser.conftest import AS_OF, DemoServer
from tests.browser.doc_screenshots import docs_screenshot
from tests.browser.journey_sections import open_sections
from tests.browser.phone_layout import assert_phone_layout

pytestmark = pytest.mark.slow  # a browser, the session server and the demo world

JOURNEY = "Onboarding"
RANGE_A = "2025-03-01..2025-03-31"
RANGE_B = "2025-05-01..2025-05-31"
VIEW = {
    "as_of": AS_OF,
    "trend": "month",
    "by": "utm_source",
    "compare_a": RANGE_A,
    "compare_b": RANGE_B,
}
CHARTS = ("#trend-chart", "#breakdown-chart", "#compare-chart", "#ttc-1-chart", "#ttc-2-chart")


def api(server: DemoServer, path: str, **params: str) -> Any:
    """The REST API's JSON answer for the journey."""
    url = f"{server.url}/api/v1/journeys/{quote(JOURNEY, safe='')}{path}"
    response = httpx.get(url, params={"as_of": AS_OF, **params}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def open_view(page: Page, server: DemoServer, **extra: str) -> None:
    """The journey page in the view, every analysis chart drawn and the drivers loaded."""
    query = "&".join(f"{k}={quote(v)}" for k, v in (VIEW | extra).items())
    page.goto(f"{server.url}/journeys/{quote(JOURNEY, safe='')}?{query}")
    open_sections(page)  # folded on a phone
    for box in CHARTS:
        wait_drawn(page, box, timeout=90_000)
    expect(page.locator("table.drivers").first).to_be_visible(timeout=90_000)


def check_numbers(page: Page, server: DemoServer) -> None:
    """Every analysis chart draws the API's numbers; count axes tick in whole contacts."""
    periods = api(server, "/trends", by="month")["periods"]
    trend = traces(page, "#trend-chart")
    assert trace(trend, "Entered")["x"] == [p["period"] for p in periods]
    assert trace(trend, "Entered")["y"] == [p["entered"] for p in periods]
    assert trace(trend, "Conversion")["y"] == [p["conversion"] for p in periods]

    values = api(server, "/breakdown", by="utm_source")["values"]
    drawn = traces(page, "#breakdown-chart")
    assert trace(drawn, "Entered")["y"] == [str(v["value"]) for v in values]
    assert trace(drawn, "Entered")["x"] == [v["entered"] for v in values]
    assert trace(drawn, "Converted")["x"] == [v["converted"] for v in values]

    body = api(server, "/compare", range_a=RANGE_A, range_b=RANGE_B)
    drawn = traces(page, "#compare-chart")
    assert trace(drawn, f"A: {RANGE_A}")["y"] == [s["reached_a"] for s in body["stages"]]
    assert trace(drawn, f"B: {RANGE_B}")["y"] == [s["reached_b"] for s in body["stages"]]
    assert all(is_whole(t) for t in tick_labels(page, "#compare-chart", "y"))

    steps = api(server, "/time-to-convert")["steps"]
    for i, step in enumerate(steps, start=1):
        bars = trace(traces(page, f"#ttc-{i}-chart"), "Contacts")
        assert bars["x"] == [b["label"] for b in step["bins"]]
        assert bars["y"] == [b["contacts"] for b in step["bins"]]
        assert all(is_whole(t) for t in tick_labels(page, f"#ttc-{i}-chart", "y"))


def test_analysis_on_a_desktop(demo_server: DemoServer, page: Page) -> None:
    open_view(page, demo_server)
    check_numbers(page, demo_server)
    expect(page.locator("#trend-title")).to_have_text("Conversion by entry month")
    expect(page.locator('[data-trend="month"]')).to_have_attribute("aria-current", "true")
    overall = api(demo_server, "/compare", range_a=RANGE_A, range_b=RANGE_B)["overall"]
    expect(page.locator("table.compare tr.overall")).to_contain_text(
        f"{overall['change'] * 100:+.1f} pts"
    )
    # drivers: one effect read aloud per line; the journey's own emails are left out, listed
    drivers = page.locator(".lazy-panel", has=page.locator("table.drivers"))
    expect(drivers.locator("ul.driver-lines li:not(.note)").first).to_contain_text(
        "after accounting for how long they had been contacts"
    )
    expect(drivers).to_contain_text("were sent Welcome 2")  # listed as left out …
    expect(drivers.locator("details.excluded").first).to_contain_text("transactional email")
    page.locator("#compare-title").scroll_into_view_if_needed()
    docs_screenshot(page, "analysis-compare", "desktop", top="#compare")
    # … and tested with Include them (the choice is in the address)
    drivers.get_by_role("link", name="Include them").click()
    page.wait_for_url("**include_excluded=1**")
    panel = page.locator(".lazy-panel", has=page.locator("table.drivers"))
    expect(panel.get_by_role("link", name="Leave them out")).to_be_visible(timeout=90_000)
    expect(panel.locator("table.drivers").first).to_contain_text("Left out by default")
    body = api(demo_server, "/drivers", include_excluded="true")
    assert body["include_excluded"] is True and all(not t["excluded"] for t in body["transitions"])


def test_analysis_on_a_phone(demo_server: DemoServer, phone_page: Page) -> None:
    open_view(phone_page, demo_server)
    phone_page.wait_for_selector(".lazy-panel:not([aria-busy])")
    phone_page.wait_for_function(
        "() => document.querySelectorAll('.lazy-panel[aria-busy]').length === 0", timeout=90_000
    )
    check_numbers(phone_page, demo_server)
    assert_phone_layout(phone_page)
    phone_page.locator("#ttc-title").scroll_into_view_if_needed()
    docs_screenshot(phone_page, "analysis-time-to-convert", "phone", top="#time-to-convert")
