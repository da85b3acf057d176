"""The Emails pages in a real browser on the demo world: list, human view, funnel chart."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import AS_OF, HEADWAY, DemoServer, screenshot
from tests.browser.demo_copy import copy_demo

pytestmark = pytest.mark.slow  # a browser, a server and the demo world: seconds per test

EMAIL = "webinar-invite"


def cli_stats(db_copy: Path, *flags: str) -> dict[str, Any]:
    """``headway emails stats EMAIL --json`` (with ``flags``) on a copy of the demo database."""
    cmd = [str(HEADWAY), "--db", str(db_copy), "emails", "stats", EMAIL, "--json", *flags]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["rows"][0]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def stats(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The CLI's figures for the email in both views (the served file is locked: use a copy)."""
    copy = copy_demo(demo_db, tmp_path_factory.mktemp("emails"))
    return {"human": cli_stats(copy, "--human"), "all": cli_stats(copy)}


def metric(page: Page, name: str) -> str:
    """The text of the page's figure ``data-metric=name`` (the first one)."""
    return page.locator(f'[data-metric="{name}"]').first.inner_text().strip()


def test_emails_list_shows_every_email_in_the_human_view(
    demo_server: DemoServer, page: Page
) -> None:
    page.goto(demo_server.url + "/emails")
    assert page.title().startswith("Emails")
    assert page.locator("h1").inner_text() == "Emails"
    assert page.locator('.view-switch [aria-current="page"]').inner_text().startswith("Human")
    rows = page.locator("#emails-table tbody tr")
    assert rows.count() == 9  # the demo world's emails
    assert page.locator(f'#emails-table tr[data-email="{EMAIL}"]').count() == 1
    human_opens = page.locator('tfoot [data-total="unique_opens"]').inner_text()
    screenshot(page, "emails")
    page.locator('.view-switch a[data-view="all"]').click()
    page.wait_for_url("**/emails?view=all")
    assert page.locator('tfoot [data-total="unique_opens"]').inner_text() != human_opens


def test_email_page_shows_the_human_view_with_the_cli_figures(
    demo_server: DemoServer, page: Page, stats: dict[str, dict[str, Any]]
) -> None:
    page.goto(f"{demo_server.url}/emails/{EMAIL}?as_of={AS_OF}")
    assert "Webinar invite" in page.locator("h1").inner_text()
    human, every = stats["human"], stats["all"]
    assert human["unique_opens"] != every["unique_opens"]  # the demo plants machine opens
    assert metric(page, "unique_opens") == f"{human['unique_opens']:,}"
    assert metric(page, "unique_clicks") == f"{human['unique_clicks']:,}"
    assert metric(page, "open_rate") == f"{100 * human['open_rate']:.1f}%"
    assert metric(page, "bot_opens") == f"{every['opens'] - human['opens']:,}"
    # the engagement funnel is drawn: one SVG bar per step, sent → delivered → opened → clicked
    bars = page.locator("#chart-funnel svg .funnellayer .point path")
    bars.first.wait_for()
    assert bars.count() == 4
    assert page.locator("#links-table tbody tr").count() >= 1
    assert page.locator(".stages-table caption", has_text="Webinar invite").count() == 1
    assert page.locator("#chart-days svg.main-svg").count() >= 1
    expect(page.locator(".lazy-panel")).not_to_have_text("Loading…", timeout=60_000)
    screenshot(page, "email-webinar-invite")


def test_email_page_all_view_is_one_click_away(
    demo_server: DemoServer, page: Page, stats: dict[str, dict[str, Any]]
) -> None:
    page.goto(f"{demo_server.url}/emails/{EMAIL}?as_of={AS_OF}")
    page.locator('.view-switch a[data-view="all"]').click()
    page.wait_for_url("**view=all**")
    assert metric(page, "unique_opens") == f"{stats['all']['unique_opens']:,}"


def test_email_pages_fit_a_phone(demo_server: DemoServer, phone_page: Page) -> None:
    for path in ("/emails", f"/emails/{EMAIL}?as_of={AS_OF}"):
        phone_page.goto(demo_server.url + path)
        phone_page.locator("h1").wait_for()
        # wide tables scroll inside their own region; the page itself never scrolls sideways
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= phone_page.viewport_size["width"]  # type: ignore[index]
    expect(phone_page.locator(".lazy-panel")).not_to_have_text("Loading…", timeout=60_000)
