"""The real client libraries from PyPI against a running ``headway serve``.

Each library sends 1,000 events from 50 visitors: 8 anonymous pages and tracks, then an
identify tying the anonymous id to the user id (with traits), then 11 more as the user. After
the clients flush, every event is stored exactly once (by its message id / uuid), every
activity counts for the user it was merged into, and the funnel that starts with the anonymous
page views converts all 50 visitors (it would convert none without the merges). Each test
starts its own server (slow: about 15 s each, most of it the server's start).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from headway.api import Headway
from headway.store import Store
from headway.store.api_keys import create_key
from tests.web.conftest import LiveServer, start_server

VISITORS = 50
ANONYMOUS, IDENTIFIED = 8, 11  # events per visitor before and after the identify call
START = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


@dataclass
class Running:
    """A server on a fresh database and an ingest key for it."""

    server: LiveServer
    key: str


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    db_path = tmp_path / "sdk.duckdb"
    config_path = tmp_path / "headway.toml"
    config_path.write_text("[tracking]\nenabled = false\n")
    with Store(db_path) as store:
        _, key = create_key(store, ["ingest"], name="sdk test")
    server = start_server(db_path, config_path)
    try:
        yield Running(server, key)
    finally:
        server.stop()


def at(visitor: int, step: int) -> datetime:
    """When ``visitor`` takes ``step`` (visitors a minute apart, steps a second apart)."""
    return START + timedelta(minutes=visitor, seconds=step)


def segment_spec_events(client: Any, prefix: str) -> dict[str, str]:
    """1,000 calls through a Segment-spec client; the user each message id belongs to."""
    sent: dict[str, str] = {}
    for v in range(VISITORS):
        anon, user = f"{prefix}-anon-{v}", f"{prefix}-user-{v}"
        for step in range(ANONYMOUS):
            if step % 2 == 0:
                _, msg = client.page(
                    anonymous_id=anon,
                    name="Pricing",
                    properties={"url": f"https://x.example/pricing?v={v}"},
                    timestamp=at(v, step),
                )
            else:
                _, msg = client.track(
                    anonymous_id=anon,
                    event="Viewed Plan",
                    properties={"plan": "pro", "step": step},
                    timestamp=at(v, step),
                )
            sent[msg["messageId"]] = user
        _, msg = client.identify(
            user_id=user,
            anonymous_id=anon,
            traits={"email": f"{user}@example.com", "plan": "pro"},
            timestamp=at(v, ANONYMOUS),
        )
        sent[msg["messageId"]] = user
        for step in range(ANONYMOUS + 1, ANONYMOUS + 1 + IDENTIFIED):
            _, msg = client.track(
                user_id=user,
                event="Order Completed" if step % 3 else "Plan Chosen",
                properties={"$revenue": step, "[item] name": "Pro plan"},
                timestamp=at(v, step),
            )
            sent[msg["messageId"]] = user
    return sent


def segment_spec_sent(
    client_class: Any, running: Running, prefix: str, **options: Any
) -> dict[str, str]:
    """``segment_spec_events`` through a ``client_class`` client, flushed without errors."""
    errors: list[Any] = []
    client = client_class(
        running.key,
        host=running.server.url,
        upload_size=100,
        max_retries=2,
        on_error=lambda err, batch: errors.append(err),
        **options,
    )
    sent = segment_spec_events(client, prefix)
    client.flush()
    client.join()
    assert errors == []
    return sent


def check(server: LiveServer, sent: dict[str, str], journey: dict[str, Any]) -> None:
    """Every message stored once under its merged contact; the merged funnel converts all."""
    assert len(sent) == VISITORS * (ANONYMOUS + 1 + IDENTIFIED) == 1000
    server.stop()
    with Store(server.db_path, read_only=True) as store:
        rows = store.execute(
            """SELECT a.id, c.id FROM activity_log a JOIN contacts c ON c.key = a.contact_key"""
        ).rows
        stored: dict[str, list[str]] = {}
        for activity_id, contact in rows:
            stored.setdefault(activity_id, []).append(contact)
        assert sorted(stored) == sorted(sent)  # nothing lost, nothing extra
        assert all(len(contacts) == 1 for contacts in stored.values())  # nothing doubled
        assert {k: v[0] for k, v in stored.items()} == sent  # the merged contact of each
        email = store.execute(
            "SELECT attributes FROM contacts WHERE id = ?", [next(iter(sent.values()))]
        )
        assert orjson.loads(email.scalar())["plan"] == "pro"
        funnel = Headway(store).funnel(journey, as_of="2025-07-01")
    assert (funnel.entered, funnel.converted) == (VISITORS, VISITORS)


def journey(visit: str, identified: str, chose: str) -> dict[str, Any]:
    """Visit (anonymous) -> identified -> chose a plan, within a day."""
    return {
        "name": "Signup",
        "window": "1d",
        "stages": [
            {"name": "Visit", "when": {"type": visit}},
            {"name": "Identified", "when": {"type": identified}},
            {"name": "Chose", "when": {"type": chose}},
        ],
    }


@pytest.mark.slow
def test_segment_analytics_python(running: Running) -> None:
    from segment.analytics.client import Client

    sent = segment_spec_sent(Client, running, "seg", gzip=True)
    check(running.server, sent, journey("page_visit", "identify", "Plan Chosen"))


@pytest.mark.slow
def test_rudder_sdk_python(running: Running) -> None:
    from rudderstack.analytics.client import Client

    sent = segment_spec_sent(Client, running, "rud")
    check(running.server, sent, journey("page_visit", "identify", "Plan Chosen"))
    with Store(running.server.db_path, read_only=True) as store:
        sources = store.execute("SELECT DISTINCT source FROM activities").rows
    assert sources == [("rudderstack",)]


@pytest.mark.slow
def test_posthog_python(running: Running) -> None:
    from posthog import Posthog

    errors: list[Any] = []
    client = Posthog(
        running.key,
        host=running.server.url,
        gzip=True,
        flush_at=100,
        max_retries=2,
        on_error=lambda err, batch: errors.append(err),
    )
    sent: dict[str, str] = {}
    for v in range(VISITORS):
        anon, user = f"ph-anon-{v}", f"ph-user-{v}"
        for step in range(ANONYMOUS):
            name = "$pageview" if step % 2 == 0 else "$autocapture"
            props = {"$current_url": f"https://x.example/pricing?v={v}", "$browser": "Firefox"}
            uuid = client.capture(name, distinct_id=anon, properties=props, timestamp=at(v, step))
            sent[uuid] = user
        uuid = client.capture(
            "$identify",
            distinct_id=user,
            properties={"$anon_distinct_id": anon, "$set": {"plan": "pro"}},
            timestamp=at(v, ANONYMOUS),
        )
        sent[uuid] = user
        for step in range(ANONYMOUS + 1, ANONYMOUS + 1 + IDENTIFIED):
            name = "Order Completed" if step % 3 else "Plan Chosen"
            props = {"$revenue": step, "Página": "precios"}
            sent[
                client.capture(name, distinct_id=user, properties=props, timestamp=at(v, step))
            ] = user
    client.flush()
    client.shutdown()
    assert errors == []
    check(running.server, sent, journey("$pageview", "$identify", "Plan Chosen"))
