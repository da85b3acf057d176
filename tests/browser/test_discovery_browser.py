"""Discovery in a real browser: the Data page, editor warnings and suggestions."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import DemoServer, screenshot

pytestmark = pytest.mark.slow  # a browser, a server and the demo world: seconds per test


def test_the_data_page_lists_types_and_a_types_properties(
    demo_server: DemoServer, page: Page
) -> None:
    page.goto(demo_server.url + "/data")
    assert page.locator('nav.mainnav a[aria-current="page"]').inner_text() == "Data"
    page.locator("#types-table th.name a", has_text="page_visit").click()
    page.locator("#properties-table").wait_for()
    assert page.locator('#properties-table tr[data-path="url"]').count() == 1
    screenshot(page, "data")


def test_the_editor_warns_and_inserts_a_condition_from_the_data(
    demo_server: DemoServer, page: Page
) -> None:
    page.goto(demo_server.url + "/journeys/new")
    page.locator("#validity.valid").wait_for()
    text = page.locator("#definition")
    draft = text.input_value().replace("type: page_visit", "type: page_visits", 1)
    text.fill(draft)
    warning = page.locator("#warnings li", has_text="'page_visits' was seen")
    warning.wait_for()
    assert "did you mean 'page_visit'?" in warning.inner_text()

    text.fill("")
    page.locator("#suggest-type").fill("page_visit")
    page.locator("#suggest-path").fill("url")
    page.locator("#suggest-value").fill("/pricing")
    page.locator("#suggest-insert").click()
    assert text.input_value() == '{type: "page_visit", where: {"url": "/pricing"}}'
    options = page.locator("#suggest-types option")
    assert "page_visit" in [options.nth(i).get_attribute("value") for i in range(options.count())]
