"""The Actions page (dead letters with Replay), the journey page's Actions panel, the API."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI

from headway.actions.fanout import fan_out
from headway.actions.settings import ActionSettings
from headway.api import Headway
from headway.model.journey import parse_journey
from headway.settings import Settings
from headway.store import Store
from headway.web.app import create_app
from tests.actions.test_deliveries import JOURNEY, add_event, send_all
from tests.web.auth_support import Browser, form_token

HTML = {"accept": "text/html"}


@pytest.fixture
def app(store: Store) -> FastAPI:
    """The app on a file with the Trial journey and one dead delivery to a closed port."""
    hw = Headway(store)
    hw.save_journey(parse_journey(JOURNEY))
    return create_app(store, Settings())


def test_dead_letters_are_listed_and_replayed(app: FastAPI, store: Store) -> None:
    browser = Browser(app)
    made = browser.post("/api/v1/subscriptions", json={
        "journey": "Trial", "kinds": ["stage_entered"], "url": "http://127.0.0.1:9/none",
        "holdout": 0})  # fmt: skip
    assert made.status_code == 201, made.text
    sub = made.json()["id"]
    eid = add_event(store, 1, "ann")
    settings = ActionSettings(backoff_seconds=1, max_attempts=2)
    t = datetime.now()
    for tick in range(2):  # connection refused twice: dead after max_attempts = 2
        send_all(store, settings, at=t + timedelta(seconds=5 * tick))
    page = browser.get("/actions", headers=HTML)
    assert page.status_code == 200
    assert f'data-event="{eid}"' in page.text and "Replay all dead" in page.text
    assert "ConnectError" in page.text
    api = browser.get("/api/v1/deliveries", params={"status": "dead"}).json()
    assert [(d["event_id"], d["attempts"]) for d in api] == [(eid, 2)]

    refused = browser.post("/actions/replay", data={"subscription": sub, "event": eid})
    assert refused.status_code == 403  # no CSRF token
    done = browser.post(
        "/actions/replay",
        data={"subscription": sub, "event": eid, "csrf_token": form_token(page.text)},
    )
    assert done.status_code == 303 and done.headers["location"] == "/actions?replayed=1#dead"
    [again] = browser.get("/api/v1/deliveries").json()
    assert (again["status"], again["attempts"]) == ("pending", 0)

    missing = browser.post("/api/v1/deliveries/nope/evt_x/replay")
    assert missing.status_code == 404
    assert "no delivery of event 'evt_x'" in missing.json()["error"]["message"]


def test_the_journey_panel_shows_uplift_per_action(app: FastAPI, store: Store) -> None:
    hw: Headway = app.state.headway
    sub = hw.subscribe("Trial", ["stage_entered"], target="file", path="null.jsonl", holdout=0.5)
    for i in range(30):
        add_event(store, i + 1, f"c{i}")
    fan_out(store, datetime.now())
    hw.add_activities(
        [{"contact": f"c{i}", "type": "page_visit", "ts": "2026-01-01T00:00:00Z"} for i in range(30)]
        + [{"contact": f"c{i}", "type": "signup", "ts": "2026-01-02T00:00:00Z"} for i in range(0, 30, 2)]
    )  # fmt: skip
    browser = Browser(app)
    panel = browser.get("/journeys/Trial/panels/actions", headers=HTML)
    assert panel.status_code == 200
    assert f'data-action="{sub.id}" data-stage="1"' in panel.text
    assert "Visit → Signup" in panel.text
    [u] = browser.get("/api/v1/uplift", params={"journey": "Trial"}).json()
    assert (u["treated"] + u["held_out"], u["treated_advanced"] + u["held_out_advanced"]) == (
        30,
        15,
    )
    journey_page = browser.get("/journeys/Trial", headers=HTML)
    assert 'data-src="/journeys/Trial/panels/actions"' in journey_page.text


def test_bad_api_input_names_the_field(app: FastAPI) -> None:
    browser = Browser(app)
    r = browser.post("/api/v1/subscriptions", json={"journey": "Trial", "kinds": ["entered"]})
    assert r.status_code == 422
    r = browser.post("/api/v1/cohort-syncs", json={"journey": "Trial", "stage": "Visit",
                                                   "every": "soon", "path": "x.csv"})  # fmt: skip
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "every"
    r = browser.post("/api/v1/digests", json={"journey": "Nope"})
    assert r.status_code == 404
