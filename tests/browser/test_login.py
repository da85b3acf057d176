"""Logging in to the dashboard with an API key in a real browser (keys mode)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from headway.store import Store
from headway.store.api_keys import create_key
from tests.browser.conftest import DemoServer, screenshot, serve


@pytest.fixture
def keyed_server(tmp_path: Path) -> Iterator[tuple[DemoServer, str]]:
    """A server on an empty database holding one ``read`` key (so: keys mode)."""
    db_path = tmp_path / "keyed.duckdb"
    with Store(db_path) as store:
        _, key = create_key(store, ["read"], "browser test")
    server = serve(db_path)
    try:
        yield server, key
    finally:
        server.stop()


@pytest.mark.slow
def test_login_session_and_logout(page: Page, keyed_server: tuple[DemoServer, str]) -> None:
    server, key = keyed_server
    page.goto(server.url + "/journeys?as_of=2025-06-30")
    assert urlsplit(page.url).path == "/login"  # sent to log in, coming back afterwards
    assert page.locator("h1").inner_text() == "Log in to Headway"
    screenshot(page, "login")

    page.get_by_label("API key").fill("hw_0123456789ab_not-the-key")
    page.get_by_role("button", name="Log in").click()
    assert "not valid" in page.get_by_role("alert").inner_text()

    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/journeys?as_of=2025-06-30")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["headway_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert key not in session["value"]

    page.locator(".topbar").get_by_role("button", name="Log out").click()
    page.goto(server.url + "/journeys")
    assert urlsplit(page.url).path == "/login"
