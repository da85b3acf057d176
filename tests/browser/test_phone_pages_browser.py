"""Every dashboard page on a 390×844 phone, and the email page's charts against the API.

Issue #12: on a phone no page section needs horizontal scrolling and no text overlaps
(checked from element bounding boxes by tests/browser/phone_layout.py, on every page), and
each chart's drawn numbers equal the REST API's for the same view. The journey page has its
own file (test_journey_truth_browser.py). The run writes docs/screenshots/email-*.png and
journeys-phone.png.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page

from tests.browser.chart_numbers import is_whole, tick_labels, trace, traces, wait_drawn
from tests.browser.conftest import AS_OF, DemoServer
from tests.browser.doc_screenshots import docs_screenshot
from tests.browser.phone_layout import layout_problems

pytestmark = pytest.mark.slow  # a browser, the session server and the demo world

EMAIL = "welcome-1"


def api(server: DemoServer, path: str, **params: str) -> Any:
    """The REST API's JSON answer."""
    response = httpx.get(f"{server.url}/api/v1{path}", params=params, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def settle(page: Page, panels: bool = True) -> None:
    """Wait until every chart is drawn (or says it is empty) and every lazy panel answered."""
    page.wait_for_function(
        "panels => Array.from(document.querySelectorAll('[data-figure]'))"
        ".every(b => b.dataset.drawn) && !(panels && document.querySelector('.lazy-panel[aria-busy]'))",
        arg=panels,
        timeout=120_000,
    )
    for box in page.locator("[data-figure]").evaluate_all("bs => bs.map(b => '#' + b.id)"):
        if page.locator(f"{box} .chart-empty").count() == 0:
            wait_drawn(page, box)


def test_every_dashboard_page_fits_a_phone(phone_page: Page, demo_server: DemoServer) -> None:
    lead = quote("Lead nurturing", safe="")
    listing = api(demo_server, f"/journeys/{lead}/contacts", stage="2", as_of=AS_OF, limit="1")
    contact = quote(listing["contacts"][0]["contact"], safe="")
    pages = {
        "journeys": f"/journeys?as_of={AS_OF}",
        "contact list": f"/journeys/{lead}/contacts?stage=2&status=stalled&as_of={AS_OF}",
        "contact list, in progress not stalled": f"/journeys/{lead}/contacts?stage=1"
        f"&status=moving&as_of={AS_OF}",
        "emails": "/emails",
        "email": f"/emails/{EMAIL}",
        "contact": f"/contacts/{contact}",
        "data": "/data",
        "new journey": "/journeys/new",
        "journey editor": f"/journeys/{lead}/edit",
        "actions": "/actions",
    }
    problems: dict[str, list[str]] = {}
    for name, path in pages.items():
        response = phone_page.goto(demo_server.url + path)
        assert response is not None and response.status == 200, (name, path)
        settle(phone_page)
        found = layout_problems(phone_page)
        if found:
            problems[name] = found[:8]
        if name == "email":
            docs_screenshot(phone_page, "email", "phone")
        if name == "journeys":
            docs_screenshot(phone_page, "journeys", "phone")
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_email_charts_show_the_apis_numbers(page: Page, demo_server: DemoServer) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    human = api(demo_server, f"/emails/{EMAIL}/stats", view="human")
    every = api(demo_server, f"/emails/{EMAIL}/stats", view="all")
    page.goto(f"{demo_server.url}/emails/{EMAIL}")
    settle(page, panels=False)

    row = human["rows"][0]
    funnel = trace(traces(page, "#chart-funnel"), "Human (bots excluded)")
    assert funnel["x"] == [row[k] for k in ("sent", "delivered", "unique_opens", "unique_clicks")]

    days = traces(page, "#chart-days")
    for label, stats in (("human", human), ("all", every)):
        timing = stats["timing"]["days"]
        for kind in ("opens", "clicks"):
            drawn = trace(days, f"{kind} ({label})")
            assert drawn["x"] == [d["day"] for d in timing]
            assert drawn["y"] == [d[kind] for d in timing]

    hours = traces(page, "#chart-hours")
    timing = human["timing"]["hours"]
    for kind in ("opens", "clicks"):
        assert trace(hours, kind)["y"] == [h[kind] for h in timing]
    last = str(timing[-1]["hour"]) + "+"
    assert trace(hours, "opens")["x"][-1] == last  # the last bar: 72 h or later

    for box in ("#chart-days", "#chart-hours"):
        labels = tick_labels(page, box, "y")
        assert labels and all(is_whole(t) for t in labels), (box, labels)
    assert not layout_problems(page)  # charts drawn; the lazy panel may still be loading
    docs_screenshot(page, "email", "desktop")
