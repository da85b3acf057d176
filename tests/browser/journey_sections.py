"""Open the journey page's folded sections, as a person on a phone would.

On a phone (≤ 600 px) the journey page shows its key figures, funnel and stage table, and
folds every further panel behind its heading (``<details class="section">``); a lazy panel
inside loads, and a chart draws, when its section is opened. Tests that read a panel on a
phone open the sections first:

    phone_page.goto(url)
    open_sections(phone_page)        # clicks each folded heading, waits for its panels
"""

from __future__ import annotations

from playwright.sync_api import Page

SECTIONS = "details.section"


def open_sections(page: Page, *within: str, timeout: float = 120_000) -> None:
    """Click folded sections' headings (every one, or those in or around the ``within``
    selectors) and wait until the panels inside have answered."""
    page.wait_for_function("() => document.readyState === 'complete'")
    folded = f"{SECTIONS}:not([open])"
    wanted = [f"{folded}:has({s}) > summary, :is({s}) {folded} > summary" for s in within]
    summaries = page.locator(", ".join(wanted) or f"{folded} > summary")
    for _ in range(summaries.count()):
        summaries.first.click()  # an opened one leaves the list
    page.wait_for_function(
        "() => !document.querySelector("
        "'details.section[open] .lazy-panel[aria-busy], details.section[open] .lazy-panel[data-deferred]')",
        timeout=timeout,
    )
