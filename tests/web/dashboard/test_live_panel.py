"""The journey page's Live panel, in-process: off with a "Make live" button; posting it (with
the CSRF token) turns the journey live; the panel then shows its state and stage counts."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi import FastAPI

from headway.api import Headway
from headway.settings import Settings
from headway.store import Store
from headway.web.app import create_app
from tests.web.auth_support import Browser, form_token
from tests.web.page_visits import page_visits

HTML = {"accept": "text/html"}
NAME = "Pricing / <b>"


@pytest.fixture
def app(store: Store) -> FastAPI:
    hw = Headway(store)
    hw.add_activities(page_visits({"a": ["/", "/pricing"], "b": ["/"]}))
    definition = {
        "name": NAME,
        "stages": [
            {"name": "Visited", "when": {"type": "page_visit"}},
            {"name": "Pricing", "when": {"type": "page_visit", "where": {"url": "/pricing"}}},
        ],
    }
    hw.save_journey(hw.journey(definition))
    return create_app(store, Settings())


def test_the_live_panel_turns_a_journey_live(app: FastAPI) -> None:
    browser = Browser(app)
    page = browser.get("/journeys/" + quote(NAME, safe=""), headers=HTML)
    assert page.status_code == 200
    panel_url = "/journeys/" + quote(NAME, safe="") + "/panels/live"
    assert (
        f'data-src="{panel_url}"' in page.text.replace("&#34;", '"') or "panels/live" in page.text
    )
    panel = browser.get(panel_url, headers=HTML)
    assert panel.status_code == 200
    assert 'data-status="off"' in panel.text and "Make live" in panel.text
    action = "/journeys/" + quote(NAME, safe="") + "/live"
    refused = browser.post(action, data={"active": "true"}, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token
    posted = browser.post(
        action,
        data={"active": "true", "csrf_token": form_token(panel.text)},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == "/journeys/" + quote(NAME, safe="") + "#live"
    hw: Headway = app.state.headway
    hw.rebuild_live(NAME)  # no worker in-process: built at once
    panel = browser.get(panel_url, headers=HTML)
    assert 'data-status="ready"' in panel.text and "Turn live off" in panel.text
    assert "version 1 served, 2 contacts" in panel.text
    assert '<th scope="row">Pricing</th><td class="num">1</td>' in panel.text
