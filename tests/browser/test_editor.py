"""The journey editor in a real browser: live validation, preview, saving."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page

from tests.browser.conftest import AS_OF, DemoServer, screenshot
from tests.browser.demo_copy import serve_copy

pytestmark = pytest.mark.slow  # a browser, a server and the demo world: seconds per test

NAME = "Pricing interest"
FIXED = f"""\
name: {NAME}
window: 14d
stages:
  - name: Visited
    when: {{type: page_visit}}
  - name: Pricing
    when: {{type: page_visit, where: {{url: {{contains: /pricing}}}}}}
"""
BROKEN = FIXED.replace("contains:", "contain:")
MESSAGE = "stages[1].when.where.url: unknown operator 'contain' (did you mean 'contains'?)"


@pytest.fixture(scope="module")
def editor_server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """A copy of the demo world to save journeys into (the shared one stays unchanged)."""
    with serve_copy(demo_db, tmp_path_factory.mktemp("editor")) as server:
        yield server


def test_editor_validates_as_you_type_and_previews_counts(
    demo_server: DemoServer, page: Page
) -> None:
    page.goto(demo_server.url + "/journeys/Lead%20nurturing/edit")
    assert page.title().startswith("Edit Lead nurturing")
    page.locator("#validity.valid").wait_for()
    text = page.locator("#definition").input_value()
    broken = text.replace("contains: /pricing", "contain: /pricing")
    assert broken != text
    page.locator("#definition").fill(broken)
    problem = page.locator("#problems li", has_text="unknown operator 'contain'")
    problem.wait_for()
    assert "stages[2].when.any[0].where.url" in problem.inner_text()
    assert page.locator("#problems").get_attribute("aria-live") == "polite"
    screenshot(page, "editor")

    page.locator("#definition").fill(text.replace("Lead nurturing", "Lead nurturing draft"))
    page.locator("#validity.valid").wait_for()
    assert page.locator("#problems li").count() == 0
    page.locator("#preview-as-of").fill(AS_OF)
    page.locator("#preview").click()
    # The preview also runs by itself as the draft changes: wait for the one at AS_OF.
    page.locator("#preview-status", has_text=f"as of {AS_OF}").wait_for()
    rows = page.locator("#preview-table tbody tr")
    funnel = httpx.get(
        f"{demo_server.url}/api/v1/journeys/Lead%20nurturing/funnel",
        params={"as_of": AS_OF},
        timeout=60,
    ).json()
    reached = [s["reached"] for s in funnel["stages"]]
    shown = [int(rows.nth(i).locator("td").nth(1).inner_text().replace(",", "")) for i in range(4)]
    assert shown == reached


def test_editor_saves_a_fixed_journey_and_keeps_a_broken_one(
    editor_server: DemoServer, page: Page
) -> None:
    page.goto(editor_server.url + "/journeys/new")
    assert page.locator("h1").inner_text() == "New journey"
    page.locator("#definition").fill(BROKEN)
    page.locator("#problems li", has_text=MESSAGE).wait_for()
    page.locator("#save").click()  # the server refuses it and shows the editor again
    page.wait_for_load_state()
    assert page.locator("#problems li", has_text=MESSAGE).count() == 1
    assert page.locator("#definition").input_value() == BROKEN
    assert httpx.get(f"{editor_server.url}/api/v1/journeys/{quote(NAME)}").status_code == 404

    page.locator("#definition").fill(FIXED)
    page.locator("#validity.valid").wait_for()
    page.locator("#save").click()
    page.wait_for_url(f"**/journeys/{quote(NAME, safe='')}")
    assert NAME in page.locator("h1").inner_text()
    stored = httpx.get(f"{editor_server.url}/api/v1/journeys/{quote(NAME, safe='')}")
    assert stored.status_code == 200
    assert NAME in stored.text
