"""The live-journeys API with the live worker and scheduler running (as the server's lifespan
starts them): turn "Trial" live, watch its state built, post activities, read the events."""

from __future__ import annotations

import time
from typing import Any

from headway.settings import Settings
from headway.store import Store
from headway.web.app import create_app
from tests.web.api.conftest import B, error_of
from tests.web.conftest import Client


def _until(client: Client, check: Any, url: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(url).json()
        if check(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def test_live_journey_over_the_api(world: Store) -> None:
    """Live on: built (no events for history); an API append moves a contact: one event."""
    app = create_app(world, Settings())
    client = Client(app)
    app.state.headway.start_live(sync_seconds=0.05, stall_check_seconds=3600)
    try:
        off = client.get("/api/v1/live/journeys", params={"journey": "Trial"}).json()
        assert (off["active"], off["status"]) == (False, "off")
        on = client.request(
            "PUT", "/api/v1/live/journeys", params={"journey": "Trial"}, json={"active": True}
        )
        assert on.status_code == 200, on.text
        url = "/api/v1/live/journeys?journey=Trial"
        ready = _until(client, lambda b: b["status"] == "ready", url)
        assert ready["version"] == 1
        assert [(s["name"], s["reached"]) for s in ready["stages"]] == [
            ("Visit", 3),
            ("Click", 2),
            ("Buy", 1),
        ]
        assert client.get("/api/v1/journey-events").json() == []  # the rebuild made none

        # b (at Click since T0+1d) buys, an hour later.
        posted = client.post(
            "/api/v1/activities",
            json=[{"contact": B, "type": "purchase", "ts": "2025-01-02T01:00:00Z"}],
        )
        assert posted.status_code == 200, posted.text
        events = _until(client, lambda b: len(b) >= 2, "/api/v1/journey-events")
        assert [(e["contact"], e["kind"], e["stage_name"]) for e in events] == [
            (B, "stage_entered", "Buy"),
            (B, "converted", "Buy"),
        ]
        assert events[0]["data"]["occurred_at"] == "2025-01-02T01:00:00.000000Z"
        assert events[0]["seq"] < events[1]["seq"]
        after = client.get("/api/v1/journey-events", params={"after": events[0]["seq"]}).json()
        assert [e["id"] for e in after] == [events[1]["id"]]
        state = client.get("/api/v1/live/contact", params={"journey": "Trial", "contact": B})
        assert (state.json()["stage"], state.json()["status"]) == ("Buy", "converted")
        live = client.get("/api/v1/live").json()
        assert live["lag"]["batches"] >= 1 and live["lag"]["p99_seconds"] is not None

        # Bad input answers a specific message.
        missing = client.request(
            "PUT", "/api/v1/live/journeys", params={"journey": "Nope"}, json={"active": True}
        )
        assert "no journey named 'Nope'" in error_of(missing, 404)["message"]
        bad = client.get("/api/v1/journey-events", params={"kind": "teleported"})
        assert bad.status_code == 422
        rebuilt = client.post("/api/v1/live/rebuilds", json={"journey": "Trial"})
        assert rebuilt.status_code == 202, rebuilt.text
        _until(client, lambda b: b["status"] == "ready" and b["building_version"] is None, url)
        assert len(client.get("/api/v1/journey-events").json()) == 2  # still no history
    finally:
        app.state.headway.stop_live()
