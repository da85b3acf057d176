"""The journey page on a phone starts short: key figures, funnel and stage table first, every
further panel folded behind its heading (issue #12: the page was 16,435 px tall at 390×844).

One phone visit checks the initial height bound, that each section opens from its heading
(the keyboard included) and shows its content, that drivers tables show their top rows with a
Show all button, and that the opened page still passes the phone layout check. One desktop
visit checks that every section is open there and every drivers row shown.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chart_numbers import wait_drawn
from tests.browser.conftest import AS_OF, DemoServer
from tests.browser.doc_screenshots import docs_screenshot
from tests.browser.journey_sections import SECTIONS
from tests.browser.phone_layout import assert_phone_layout, page_height

pytestmark = pytest.mark.slow  # a browser, the session server and the demo world

JOURNEY = "Webinar invite"  # the journey with the most panels' content (drivers, flow, stalls)
PHONE_HEIGHT = 5_000


def journey_url(server: DemoServer) -> str:
    """The dashboard page of the journey."""
    return f"{server.url}/journeys/{quote(JOURNEY, safe='')}?as_of={AS_OF}"


def settled(page: Page) -> None:
    """Wait until no lazy panel is loading (folded ones wait for their section)."""
    page.wait_for_function(
        "() => !document.querySelector('.lazy-panel[aria-busy]')", timeout=120_000
    )


def test_the_journey_page_starts_short_on_a_phone(
    phone_page: Page, demo_server: DemoServer
) -> None:
    page = phone_page
    page.goto(journey_url(demo_server))
    wait_drawn(page, "#funnel-chart")
    settled(page)

    # first: the key figures, the funnel and the stage table; every further panel folded
    first_fold = page.locator(SECTIONS).first.bounding_box()
    for head in ("ul.figures", "#funnel-chart", "table.stages"):
        box = page.locator(head).bounding_box()
        assert box and first_fold and box["y"] + box["height"] <= first_fold["y"], head
    sections = page.locator(SECTIONS)
    count = sections.count()
    assert count >= 10
    assert page.locator(f"{SECTIONS}[open]").count() == 0
    assert page.locator(".lazy-panel[data-deferred]").count() >= 6  # nothing loaded yet
    height = page_height(page)
    print(f"journey page on a phone, sections folded: {height} px")
    assert height <= PHONE_HEIGHT, height
    assert_phone_layout(page)
    docs_screenshot(page, "journey-sections", "phone", full_page=True)

    # each heading is a keyboard toggle: focus, Enter opens it
    drivers = page.locator("#drivers details.section")
    drivers.locator(":scope > summary").focus()
    page.keyboard.press("Enter")
    expect(drivers).to_have_attribute("open", "")
    table = drivers.locator("table.drivers").first
    expect(table).to_be_visible(timeout=90_000)
    # drivers tables: their top rows, and a Show all button for the rest
    rows = table.locator("tbody tr")
    total = rows.count()
    assert total > 4
    assert rows.locator("visible=true").count() == 3
    show_all = drivers.get_by_role("button", name=f"Show all {total} touchpoints").first
    show_all.click()
    assert rows.locator("visible=true").count() == total

    # every other section opens from its heading and shows its content
    for i in range(count):
        section = sections.nth(i)
        title = section.locator(":scope > summary h2").inner_text()
        if section.get_attribute("open") is None:
            section.locator(":scope > summary").click()
        page.wait_for_function(
            "d => d.open && !d.querySelector('.lazy-panel[aria-busy], .lazy-panel[data-deferred]')",
            arg=section.element_handle(),
            timeout=120_000,
        )
        body = section.evaluate(
            "d => Array.from(d.children).filter(c => c.tagName !== 'SUMMARY')"
            ".map(c => c.innerText).join(' ').trim()"
        )
        assert body and "Loads when" not in body, title
        for chart in section.locator("[data-figure]").all():
            expect(chart).to_have_attribute("data-drawn", re.compile(".+"), timeout=30_000)
    print(f"journey page on a phone, every section open: {page_height(page)} px")
    assert_phone_layout(page)


def test_every_section_is_open_on_a_desktop(page: Page, demo_server: DemoServer) -> None:
    page.goto(journey_url(demo_server))
    settled(page)
    sections = page.locator(SECTIONS)
    assert sections.count() >= 10
    assert page.locator(f"{SECTIONS}:not([open])").count() == 0
    table = page.locator("table.drivers").first
    expect(table).to_be_visible(timeout=90_000)
    expect(table.locator("tbody tr")).to_have_count(table.locator("tbody tr:visible").count())
    expect(page.locator("button.show-all")).to_have_count(0)
