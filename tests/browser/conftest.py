"""Browser tests: a real ``headway serve`` on the demo world and a real headless Chromium.

The demo database is built once per test session (``headway demo``, the default 20,000
contacts) and served by one subprocess for the whole session; Playwright drives Debian's
chromium. Screenshots go to ``build/screenshots/`` (or ``$HEADWAY_SCREENSHOTS``); the best
are copied by hand to ``docs/img/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.web.conftest import free_port

HEADWAY = Path(sys.executable).parent / "headway"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AS_OF = "2025-06-30"
SCREENSHOTS = Path(os.environ.get("HEADWAY_SCREENSHOTS", "build/screenshots"))
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass
class DemoServer:
    """A running ``headway serve`` on the demo world."""

    url: str
    db_path: Path
    process: subprocess.Popen[bytes]
    errors: list[str] = field(default_factory=list)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 20 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def build_demo(db_path: Path) -> None:
    """``headway demo`` into ``db_path`` (the default world: 20,000 contacts, seed 7)."""
    subprocess.run([str(HEADWAY), "--db", str(db_path), "demo"], check=True, capture_output=True)


def serve(db_path: Path, env: dict[str, str] | None = None) -> DemoServer:
    """Start ``headway serve`` on ``db_path`` and wait until it answers."""
    port = free_port()
    cmd = [str(HEADWAY), "--db", str(db_path), "serve", "--port", str(port)]
    full_env = {k: v for k, v in os.environ.items() if k != "HEADWAY_CONFIG"} | (env or {})
    process = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full_env
    )
    server = DemoServer(f"http://127.0.0.1:{port}", db_path, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("headway serve exited early")
        try:
            if httpx.get(server.url + "/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.stop()
    raise AssertionError("headway serve did not answer within 60 s")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo world's database file (built once per session)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(path)
    return path


@pytest.fixture(scope="session")
def demo_server(demo_db: Path) -> Iterator[DemoServer]:
    """``headway serve`` on the demo world for the whole session."""
    server = serve(demo_db)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright (per module: Playwright's sync API
    holds an event loop on the main thread while it runs, which later asyncio tests need)."""
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _page(browser: Browser, viewport: dict[str, int]) -> Iterator[Page]:
    context = browser.new_context(viewport=viewport, accept_downloads=True)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        yield page
    finally:
        context.close()
    # A page that threw in the browser fails its test, whatever it asserted.
    assert not errors, f"browser errors: {errors}"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh 1280 px wide page; JavaScript errors fail the test."""
    yield from _page(browser, DESKTOP)


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A fresh phone-width (390 px) page; JavaScript errors fail the test."""
    yield from _page(browser, PHONE)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as ``build/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
