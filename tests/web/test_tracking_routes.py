"""Tracking routes in-process (fast); tests/web/test_tracking.py runs the same on a real server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from headway.ingest.tokens import Signer, SigningKey
from headway.settings import Settings, TrackingKey
from headway.store import Store
from headway.store.emails import add_link, register_email
from headway.web.app import create_app

KEY = SigningKey("k1", b"k" * 32)
SIGNER = Signer([KEY])
URL = "https://example.com/pricing"


@pytest.fixture
def client(store: Store, asgi_client: Any) -> Any:
    register_email(store, "w1", "Welcome", campaign="onboarding")
    add_link(store, "w1", URL)
    key = TrackingKey(id=KEY.id, secret=KEY.secret.decode())  # type: ignore[arg-type]
    return asgi_client(create_app(store, Settings(tracking={"keys": [key]})))


def rows(store: Store, type: str) -> list[dict[str, Any]]:
    return store.execute(
        "SELECT a.properties, a.bot, a.bot_reason FROM activities a "
        "JOIN activity_types t ON t.code = a.type_code WHERE t.name = ?",
        [type],
    ).dicts()


def test_click_and_head(client: Any, store: Store) -> None:
    [link] = store.execute("SELECT link_id FROM email_links").rows[0]
    token = SIGNER.sign("click", "w1", "alice", link)
    r = client.get(f"/t/c/{token}")
    assert (r.status_code, r.headers["location"]) == (302, URL)
    assert client.request("HEAD", f"/t/c/{token}").headers["location"] == URL
    steered = client.get(f"/t/c/{token}?url=https://evil.example")
    assert steered.status_code == 404 and "location" not in steered.headers
    kept = client.get(f"/t/c/{token}?utm_campaign=spring:sale")
    assert kept.headers["location"] == URL  # a harmless value with a colon is no steering
    clicks = rows(store, "email_click")
    assert [(c["bot"], c["bot_reason"]) for c in clicks].count((True, "head_request")) == 1
    assert json.loads(clicks[0]["properties"])["url"] == URL


def test_open_unsubscribe_and_forgeries(client: Any, store: Store) -> None:
    r = client.get(f"/t/o/{SIGNER.sign('open', 'w1', 'bob')}.gif")
    assert r.status_code == 200 and r.headers["pragma"] == "no-cache"
    assert json.loads(rows(store, "email_open")[0]["properties"])["campaign"] == "onboarding"
    unsubscribe = f"/t/u/{SIGNER.sign('unsubscribe', 'w1', 'bob')}"
    assert client.get(unsubscribe).status_code == 200
    assert store.execute("SELECT subscription FROM contacts").scalar() == "subscribed"
    files = {"List-Unsubscribe": (None, "One-Click")}
    for _ in range(2):
        r = client.post(unsubscribe, files=files)
        assert r.status_code == 200 and "location" not in r.headers
    assert store.execute("SELECT subscription FROM contacts").scalar() == "unsubscribed"
    assert len(rows(store, "email_unsubscribe")) == 1
    for path in ("/t/c/" + SIGNER.sign("click", "w1", "bob", "l-unknown"), "/t/u/x.y"):
        assert client.get(path).status_code == 404


def test_recorder_appends_concurrent_rows_together(store: Store) -> None:
    import asyncio
    from datetime import datetime

    import pyarrow as pa

    from headway.api import Headway
    from headway.web.recorder import ACTIVITY_SCHEMA, Recorder

    def row(i: int) -> pa.Table:
        return pa.Table.from_pylist(
            [{"id": f"r{i}", "contact": f"c{i % 7}", "type": "email_open", "ts": datetime(2026, 1, 1),
              "properties": "{}", "bot": False, "bot_reason": None, "source": "tracking"}],
            schema=ACTIVITY_SCHEMA,
        )  # fmt: skip

    async def main() -> None:
        recorder = Recorder(Headway(store))
        await asyncio.gather(*[recorder.record(row(i)) for i in range(50)])
        await recorder.record(row(0))  # a duplicate id: accepted call, counted once
        assert not recorder.running and not recorder.pending

    asyncio.run(main())
    assert store.execute("SELECT count(*) FROM activities").scalar() == 50
