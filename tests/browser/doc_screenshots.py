"""Screenshots for the docs, written by the test run into ``docs/screenshots/``.

``docs_screenshot(page, "journey", "phone")`` saves ``docs/screenshots/journey-phone.png``
(the viewport, or the whole page with ``full_page=True``); README.md and docs/dashboard.md
show these files, so every run of the browser tests refreshes them. Only a few main views
are written this way; ad-hoc debugging shots still go to ``build/screenshots/``
(``conftest.screenshot``). Set ``HEADWAY_DOC_SCREENSHOTS`` to write them elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
DOC_SCREENSHOTS = Path(os.environ.get("HEADWAY_DOC_SCREENSHOTS", ROOT / "docs" / "screenshots"))


def docs_screenshot(
    page: Page, name: str, device: str, full_page: bool = False, top: str | None = None
) -> Path:
    """Save ``docs/screenshots/<name>-<device>.png`` (``device``: ``desktop`` or ``phone``);
    ``top``: a CSS selector scrolled to the top of the screen first (else the page's top)."""
    DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate(
        "sel => { const el = sel && document.querySelector(sel);"
        " if (el) el.scrollIntoView({block: 'start'}); else window.scrollTo(0, 0); }",
        top,
    )
    path = DOC_SCREENSHOTS / f"{name}-{device}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path
