"""The contact page in a real browser: the timeline with journey stages, and escaping."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Dialog, Page

from headway.api import Headway
from headway.store import Store
from tests.browser.conftest import AS_OF, DemoServer, screenshot
from tests.browser.demo_copy import serve_copy

pytestmark = pytest.mark.slow  # a browser, a server and the demo world: seconds per test

SCRIPT_ID = "<script>alert(1)</script>"
SCRIPT_URL = "/pricing?<img src=x onerror=alert(2)>"


def contact_url(server: DemoServer, contact: str) -> str:
    """The contact page of ``contact`` (its id as one percent-encoded path)."""
    return f"{server.url}/contacts/{quote(contact, safe='')}?as_of={AS_OF}"


def converted_contact(server: DemoServer) -> str:
    """A demo contact who reached every stage of Lead nurturing (asked through the API)."""
    answer = httpx.get(
        f"{server.url}/api/v1/journeys/Lead%20nurturing/contacts",
        params={"stage": 4, "limit": 1, "as_of": AS_OF},
        timeout=60,
    )
    answer.raise_for_status()
    return str(answer.json()["contacts"][0]["contact"])


def add_script_contact(store: Store) -> None:
    """A contact whose id and properties are HTML, with a visit and a sales form."""
    Headway(store).add_activities(
        [
            {
                "contact": SCRIPT_ID,
                "type": "page_visit",
                "ts": "2025-06-01T10:00:00Z",
                "properties": {"url": SCRIPT_URL},
            },
            {
                "contact": SCRIPT_ID,
                "type": "form_submission",
                "ts": "2025-06-02T10:00:00Z",
                "properties": {"form": "contact-sales"},
            },
        ]
    )


@pytest.fixture(scope="module")
def script_server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """A copy of the demo world with the ``<script>`` contact, served on its own port."""
    with serve_copy(demo_db, tmp_path_factory.mktemp("script"), add_script_contact) as server:
        yield server


def test_contact_page_lists_activities_and_marks_stages(
    demo_server: DemoServer, page: Page
) -> None:
    contact = converted_contact(demo_server)
    page.goto(contact_url(demo_server, contact))
    assert contact in page.title()
    assert contact in page.locator("h1").inner_text()
    assert page.locator("#timeline tbody tr").count() >= 4
    sales = page.locator("#timeline tr.has-stage", has_text="Lead nurturing · 4. Sales contact")
    assert sales.count() == 1
    assert "form_submission" in sales.inner_text()
    journeys = page.locator("#journeys-table tbody tr", has_text="Lead nurturing")
    assert "4 of 4" in journeys.inner_text()
    screenshot(page, "contact")


def test_contact_id_with_a_script_renders_as_text(script_server: DemoServer, page: Page) -> None:
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.goto(contact_url(script_server, SCRIPT_ID))
    assert SCRIPT_ID in page.locator("h1").inner_text()
    assert page.get_by_text(SCRIPT_URL).is_visible()
    assert page.locator("#timeline tr.has-stage", has_text="Lead nurturing · 1. Aware").count() == 1
    assert page.locator("img[src='x']").count() == 0
    assert dialogs == []


def test_contact_page_fits_a_phone(demo_server: DemoServer, phone_page: Page) -> None:
    phone_page.goto(contact_url(demo_server, converted_contact(demo_server)))
    assert phone_page.locator(".stage-mark").first.is_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= phone_page.viewport_size["width"]  # type: ignore[index]
