"""The attribution and email-influence lazy panels, in-process on the hand-made worlds of
the engine tests: escaped fragments with the engine's numbers, linked from their pages."""

from __future__ import annotations

import json
from html import unescape
from urllib.parse import quote

import pytest
from fastapi import FastAPI

from headway.api import Headway
from headway.model.journey import parse_journey
from headway.settings import Settings
from headway.store import Store
from headway.store.journeys import save_journey
from headway.web.app import create_app
from tests.engine import test_attribution as attribution_world
from tests.engine import test_email_influence as influence_world
from tests.engine.activity_log import at
from tests.web.conftest import Client

HTML = {"accept": "text/html,application/xhtml+xml"}
AS_OF = "2025-03-02"
EVIL = "<script>alert(1)</script>"


@pytest.fixture
def app(store: Store) -> FastAPI:
    """Both worlds in one store, their journeys saved (the attribution one under a hostile name)."""
    influence_world.world(store)
    Headway(store).add_activities(
        {
            "id": f"z{i}",
            "contact": "z",
            "type": t,
            "ts": at(day).isoformat() + "Z",
            "properties": props,
        }
        for i, (t, day, props) in enumerate(
            [
                ("page_visit", "40d", {"url": "/"}),
                ("page_visit", "41d", {"url": EVIL}),
                ("purchase", "42d", {}),
            ]
        )
    )
    save_journey(store, parse_journey(influence_world.JOURNEY), None)
    hostile = {**attribution_world.JOURNEY, "name": f"Buy {EVIL}"}
    save_journey(store, parse_journey(hostile), json.dumps(hostile))
    return create_app(store, Settings())


def fragment(client: Client, path: str) -> str:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, response.text
    text: str = response.text
    assert "<html" not in text and "<script>" not in text  # a fragment, everything escaped
    return text


def test_attribution_panel(app: FastAPI) -> None:
    client = Client(app)
    path = f"/journeys/{quote('Buy ' + EVIL, safe='')}/panels/attribution?as_of={AS_OF}"
    text = unescape(fragment(client, path))
    assert "Position (40/20/40)" in text and "Removal effect" in text
    assert "2 of 14 contacts converted" in text  # g and z
    assert f"page_visit:{EVIL}" in text  # z's visit, shown as text
    assert "page_visit:/pricing" in text and "email_click:n1" in text
    # names a marketer reads, the raw key only as the hover title (issue #12)
    assert ">visited /pricing</span>" in text and ">clicked n1</span>" in text


def test_attribution_panel_without_conversions(app: FastAPI) -> None:
    text = fragment(
        Client(app), "/journeys/Visit%20to%20buy/panels/attribution?as_of=2025-01-01T12:00"
    )
    assert "has converted yet" in text


def test_journey_page_links_the_panel(app: FastAPI) -> None:
    page = Client(app).get(f"/journeys/Visit%20to%20buy?as_of={AS_OF}", headers=HTML)
    assert page.status_code == 200
    assert 'data-src="/journeys/Visit%20to%20buy/panels/attribution"' in page.text


def test_influence_panel(app: FastAPI) -> None:
    text = unescape(fragment(Client(app), f"/emails/n1/panels/influence?as_of={AS_OF}"))
    assert "Visit to buy" in text and f"Buy {EVIL}" in text
    assert "At Visit when delivered (9 recipients) → Pricing within 7 days" in text
    assert "66.7%" in text and "1.33×" in text
    assert "Recipients at Visit who clicked n1" in text
    assert "At Visit when delivered (11 recipients) → Buy within 7 days" in text
    none = unescape(fragment(Client(app), f"/emails/nope/panels/influence?as_of={AS_OF}"))
    assert none.count("No recipient was on the way through this journey") == 2


def test_influence_panel_days_and_errors(app: FastAPI) -> None:
    client = Client(app)
    text = unescape(fragment(client, f"/emails/n1/panels/influence?as_of={AS_OF}&days=1"))
    assert "→ Pricing within 1 day<" in text
    assert client.get("/emails/n1/panels/influence?days=0", headers=HTML).status_code == 422
    assert client.get("/journeys/Nope/panels/attribution", headers=HTML).status_code == 404
