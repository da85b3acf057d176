"""The "What moves contacts forward" lazy panel in a real browser on the demo world: the
fragment arrives through headway.js, shows the planted driver first, and fits a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import AS_OF, DemoServer, screenshot
from tests.browser.journey_sections import open_sections

pytestmark = pytest.mark.slow  # waits for a report on the 20,000-contact world


def test_journey_page_drivers_panel(demo_server: DemoServer, page: Page) -> None:
    page.goto(f"{demo_server.url}/journeys/Webinar%20invite?as_of={AS_OF}")
    panel = page.locator(".lazy-panel", has=page.locator("table.drivers"))
    table = panel.locator("table.drivers")
    expect(table).to_be_visible(timeout=90_000)
    # Planted effect (1): a human click on the invite, ranked first with its line.
    first = table.locator("tbody tr").first.locator("td.name")
    expect(first).to_contain_text("clicked register in Webinar invite")
    expect(panel.locator("ul.driver-lines li").first).to_contain_text(
        "Contacts who clicked register in Webinar invite were 2.2× as likely to reach "
        "Considering, after accounting for how long they had been contacts (2.2× (1.8–2.7); "
        "reached Considering:"
    )
    panel.scroll_into_view_if_needed()
    screenshot(page, "journey-drivers")


def test_drivers_panel_on_a_phone(demo_server: DemoServer, phone_page: Page) -> None:
    phone_page.goto(f"{demo_server.url}/journeys/Webinar%20invite?as_of={AS_OF}")
    open_sections(phone_page, "#drivers")  # folded on a phone
    table = phone_page.locator("table.drivers")
    expect(table).to_be_visible(timeout=90_000)
    # The table scrolls inside its box; the page itself never gets wider than the phone.
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(phone_page, "journey-drivers-phone")
