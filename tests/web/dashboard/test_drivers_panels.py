"""The drivers and stalls lazy panels, in-process: escaped fragments with the engine's
numbers, linked from the journey page, honouring the page's as_of and view."""

from __future__ import annotations

import json
from html import unescape
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI

from headway.model.journey import parse_journey
from headway.settings import Settings
from headway.store import Store
from headway.store.journeys import save_journey
from headway.web.app import create_app
from tests.engine.activity_log import load
from tests.web.conftest import Client

HTML = {"accept": "text/html,application/xhtml+xml"}
EVIL = "<script>alert(1)</script>"
NAME = f"Pricing {EVIL}"
JOURNEY = {
    "name": NAME,
    "window": "1d",
    "stall_after": "2h",
    "stages": [
        {"name": "Visit", "when": {"type": "page_visit", "where": {"url": "/a"}}},
        {"name": "Pricing", "when": {"type": "page_visit", "where": {"url": "/pricing"}}},
    ],
}
AS_OF = "2025-01-03"


@pytest.fixture
def app(store: Store) -> FastAPI:
    """25 contacts see a hostile page and move on, 25 do not; 3 are stalled on 2025-01-02."""
    rows: list[tuple[Any, ...]] = []
    for i in range(25):
        m = f"m{i}"
        rows += [(m, "page_visit", "0s", {"url": "/a"}), (m, "page_visit", "1h", {"url": EVIL})]
        rows += [(m, "page_visit", "2h", {"url": "/pricing"})]
        s = f"s{i}"
        rows += [(s, "page_visit", "0s", {"url": "/a"}), (s, "page_visit", "1h", {"url": "/b"})]
    for i in range(3):
        rows += [(f"late{i}", "page_visit", "1d", {"url": "/a"})]
        rows += [(f"late{i}", "form_submission", "27h", {"form": "demo"})]
    load(store, rows)
    save_journey(store, parse_journey(JOURNEY), json.dumps(JOURNEY))
    return create_app(store, Settings())


def fragment(client: Client, path: str) -> str:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, response.text
    text: str = response.text
    assert "<html" not in text and "<script>" not in text  # a fragment, everything escaped
    return " ".join(text.split())


def panel(kind: str, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"as_of": AS_OF, **params}.items())
    return f"/journeys/{quote(NAME, safe='')}/panels/{kind}?{query}"


def test_drivers_panel_shows_lines_figures_and_warnings(app: FastAPI) -> None:
    text = unescape(fragment(Client(app), panel("drivers")))
    assert "Visit → Pricing" in text
    assert "50 contacts reached Visit; 25 moved on" in text
    assert "3 still in progress are left out" in text
    # the effect read aloud, as text, with its interval and the raw rates labelled
    assert f"Contacts who visited {EVIL} were 8.1× as likely to reach Pricing" in text
    assert "reached Pricing: 100.0% with, 0.0% without" in text
    assert "Reached Pricing with it" in text
    assert "Haldane" in text  # every one who saw it moved on: a zero cell
    assert "left out (listed under each step)" in text
    assert "?as_of=2025-01-03&amp;include_excluded=1#drivers-title" in fragment(
        Client(app), panel("drivers")
    )


def test_drivers_panel_lists_and_includes_excluded_touchpoints(app: FastAPI) -> None:
    client = Client(app)
    text = unescape(fragment(client, panel("drivers")))
    # /pricing before Pricing would be the next stage's own condition: listed, not tested
    assert "Leave them out" not in text
    included = unescape(fragment(client, panel("drivers", include_excluded="1")))
    assert "are tested too and marked" in included
    assert "Leave them out" in included


def test_stalls_panel_lists_stalled_contacts_and_last_touchpoints(app: FastAPI) -> None:
    text = unescape(fragment(Client(app), panel("stalls")))
    assert "3 contacts stalled at Visit for longer than 2 h" in text
    assert 'href="/contacts/late0"' in text
    assert "sent the demo form" in text
    assert "No touchpoint is significantly more common among them" in text


def test_panels_follow_the_view_and_reject_bad_input(app: FastAPI) -> None:
    client = Client(app)
    assert "all activities" in fragment(client, panel("drivers", view="all"))
    assert client.get(panel("drivers", as_of="nope"), headers=HTML).status_code == 422
    assert client.get("/journeys/Nope/panels/stalls", headers=HTML).status_code == 404


def test_journey_page_links_the_drivers_panel(app: FastAPI) -> None:
    page = Client(app).get(f"/journeys/{quote(NAME, safe='')}?as_of={AS_OF}", headers=HTML)
    assert page.status_code == 200
    assert f'data-src="/journeys/{quote(NAME, safe="")}/panels/drivers"' in page.text
