"""Batch labelling of stored activities: labels written, nothing else touched, re-runnable."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa
import pytest

from headway.backends.duckdb import DuckDBBackend
from headway.demo import DemoConfig, build_demo
from headway.engine.email.queries import StatsQuery
from headway.engine.email.stats import email_stats
from headway.ingest.bot_settings import BotSettings
from headway.ingest.relabel import relabel
from headway.store import Store

T0 = datetime(2025, 3, 1, 9, 0)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


def row(i: int, contact: str, type: str, seconds: float, **props: Any) -> dict[str, Any]:
    """A canonical activity ``seconds`` after T0 for email e1 (unless props say otherwise)."""
    bot = props.pop("bot", False)
    reason = props.pop("bot_reason", None)
    props = {"email": "e1", "user_agent": BROWSER, "ip": "198.51.100.7", **props}
    return {
        "id": f"r{i}",
        "contact": contact,
        "type": type,
        "ts": T0 + timedelta(seconds=seconds),
        "properties": orjson.dumps(props).decode(),
        "bot": bot,
        "bot_reason": reason,
        "source": "api",
    }


ROWS = [
    row(0, "a", "email_delivered", 0),
    row(1, "a", "email_open", 40, ip="17.1.2.3", user_agent="Mozilla/5.0"),  # mpp
    row(2, "a", "email_click", 3600, link="l1"),  # human
    row(3, "b", "email_delivered", 0),
    row(4, "b", "email_click", 2, link="l1"),  # fast_after_delivery
    row(5, "b", "email_click", 3000, link="trap"),  # honeypot (registered)
    row(6, "b", "email_click", 3005, link="l1"),  # honeypot neighbour
    row(7, "c", "email_open", 500, bot=True, bot_reason="provider_flag"),  # adapter flag
    row(8, "c", "email_click", 900, link="l1", method="HEAD", bot=True, bot_reason="head_request"),
    row(9, "c", "page_visit", 1000, url="https://ex.com"),
]
EXPECTED = {
    "r1": "mpp",
    "r4": "fast_after_delivery",
    "r5": "honeypot",
    "r6": "honeypot",
    "r7": "provider_flag",
    "r8": "head_request",
}


@pytest.fixture
def loaded(store: Store) -> Store:
    """The rows above, with e1's honeypot link registered."""
    store.append_activities(pa.Table.from_pylist(ROWS))
    store.write(
        lambda c: c.execute(
            "INSERT INTO email_links VALUES ('e1', 'trap', 'https://ex.com/trap', NULL, true)"
        )
    )
    return store


def labels(store: Store) -> dict[str, str | None]:
    """bot_reason per stored activity id (checking bot agrees with it)."""
    rows = store.execute("SELECT id, bot, bot_reason FROM activities ORDER BY id").rows
    assert all(bot == (reason is not None) for _, bot, reason in rows)
    return {i: reason for i, _, reason in rows}


def snapshot(store: Store) -> list[tuple[Any, ...]]:
    """Every column except the labels."""
    return store.execute(
        "SELECT id, id_hash, contact_key, type_code, ts, properties::VARCHAR, source"
        " FROM activities ORDER BY id"
    ).rows


def test_relabel_writes_labels_and_nothing_else(loaded: Store) -> None:
    before = snapshot(loaded)
    counts = relabel(loaded)
    assert counts == {
        "fast_after_delivery": 1,
        "head_request": 1,
        "honeypot": 2,
        "mpp": 1,
        "provider_flag": 1,
    }
    assert labels(loaded) == {f"r{i}": EXPECTED.get(f"r{i}") for i in range(10)}
    assert snapshot(loaded) == before


def test_relabel_is_idempotent_and_follows_settings(loaded: Store) -> None:
    relabel(loaded)
    assert relabel(loaded) == relabel(loaded)
    assert labels(loaded) == {f"r{i}": EXPECTED.get(f"r{i}") for i in range(10)}
    # a stricter threshold un-labels the fast click; a looser one labels c's later click
    relabel(loaded, BotSettings(fast_after_delivery_seconds=1))
    assert labels(loaded)["r4"] is None
    relabel(loaded, BotSettings(fast_after_delivery_seconds=3601))
    assert labels(loaded)["r2"] == "fast_after_delivery"


def test_relabel_in_chunks_of_contacts_agrees(loaded: Store) -> None:
    counts = relabel(loaded, chunk_contacts=1)
    assert sum(counts.values()) == 6
    assert labels(loaded) == {f"r{i}": EXPECTED.get(f"r{i}") for i in range(10)}


def test_relabel_since_only_touches_recent_pairs(loaded: Store) -> None:
    # a stale label on c's click: c's pair has no open or click after T0 + 3001 s, so it stays
    loaded.write(lambda c: c.execute("UPDATE activities SET bot_reason = 'burst' WHERE id = 'r8'"))
    counts = relabel(loaded, since=T0 + timedelta(seconds=3001))
    # a's pair (click at 3600 s) and b's pair (clicks at 3005 s) are examined whole
    assert counts == {"fast_after_delivery": 1, "honeypot": 2, "mpp": 1}
    got = labels(loaded)
    assert (got["r1"], got["r4"], got["r5"], got["r6"]) == (
        "mpp",
        "fast_after_delivery",
        "honeypot",
        "honeypot",
    )
    assert got["r8"] == "burst"
    assert relabel(loaded, since=T0 + timedelta(days=1)) == {}
    relabel(loaded)
    assert labels(loaded)["r8"] == "head_request"


def test_relabel_of_an_empty_store(store: Store) -> None:
    assert relabel(store) == {}


@pytest.mark.slow
def test_labeller_against_the_demo_world_truth(store: Store) -> None:
    build_demo(store, DemoConfig(contacts=2_000, seed=11))
    relabel(store)
    confusion = store.execute(
        """SELECT count(*) FILTER (WHERE a.bot AND tr.label <> 'human') AS tp,
                  count(*) FILTER (WHERE a.bot AND tr.label = 'human') AS fp,
                  count(*) FILTER (WHERE NOT a.bot AND tr.label <> 'human') AS fn
           FROM activities a JOIN demo_truth tr ON tr.activity_id = a.id"""
    ).first()
    assert confusion is not None
    tp, fp, fn = confusion
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"demo world 2,000 contacts: precision {precision:.4f}, recall {recall:.4f}")
    assert precision >= 0.95
    assert recall >= 0.95
    # the human view's opens and clicks are (nearly) those of the planted people
    truth = store.execute(
        """SELECT count(DISTINCT (a.properties->>'email', a.contact_key)),
                  count(DISTINCT (a.properties->>'email', a.contact_key))
                      FILTER (WHERE t.name = 'email_click')
           FROM activities a JOIN demo_truth tr ON tr.activity_id = a.id
           JOIN activity_types t ON t.code = a.type_code
           WHERE tr.label = 'human'"""
    ).first()
    assert truth is not None
    human = email_stats(DuckDBBackend(store), StatsQuery(human=True)).total
    everyone = email_stats(DuckDBBackend(store)).total
    print(
        f"unique opens: all {everyone.unique_opens}, human {human.unique_opens}, truth {truth[0]}"
    )
    assert abs(human.unique_opens - truth[0]) <= 0.02 * truth[0]
    assert abs(human.unique_clicks - truth[1]) <= 0.02 * truth[1]
    assert everyone.unique_opens > 1.2 * human.unique_opens
