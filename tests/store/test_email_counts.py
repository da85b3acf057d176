"""The email pre-aggregate's increment computed in Python (store/email_counts.py) writes
exactly the rows of the SQL increment (email_rollup.record_append), and falls back to it for
what it does not read as the SQL does."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

from headway.store import Store, email_counts, identities
from tests.store.test_email_rollup import activities, assert_same_reports

TABLES = {"email_pairs": "email, contact_key", "email_engagement": "ALL"}
# Values the rules read in every way they can: absent, null, strings, and other JSON kinds.
ODD: list[dict[str, Any] | list[Any] | None] = [
    {"email": "n1", "campaign": "été"},
    {"email": "n1", "campaign": "ete"},
    {"email": "n2", "campaign": None, "repeats": -4, "bounce_type": "HARD"},
    {"email": "n2", "repeats": 2**40, "link": None, "url": "https://x/"},
    {"email": None},
    {"campaign": "spring"},
    None,
    ["n1"],
]
# Each of these makes the batch's increment fall back to the SQL.
FALLBACK = [{"email": 7}, {"email": "n1", "repeats": "3"}, {"email": "n1", "bounce_type": "hÄrd"}]


def canonical(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with their properties as the HTTP path writes them (orjson's text)."""
    out = []
    for row in rows:
        props = json.loads(row["properties"])
        if props.get("repeats") == "x":
            del props["repeats"]
        out.append({**row, "properties": orjson.dumps(props).decode()})
    return out


def odd(seed: int, props: list[Any]) -> list[dict[str, Any]]:
    """Email events of every kind with ``props`` as their properties."""
    rows = []
    kinds = ["email_bounce", "email_open", "email_click", "email_sent", "email_delivered"]
    for i, p in enumerate(props * len(kinds)):
        rows.append(
            {
                "id": f"o{seed}-{i}",
                "contact": f"c{i % 5}",
                "type": kinds[i % len(kinds)],
                "ts": pa.scalar(1_700_000_000_000_000 + i, pa.timestamp("us")).as_py(),
                "properties": None if p is None else orjson.dumps(p).decode(),
                "bot": i % 4 == 0,
                "bot_reason": None,
                "source": "tracking",
            }
        )
    return rows


def contents(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {t: store.execute(f"SELECT * FROM {t} ORDER BY {o}").rows for t, o in TABLES.items()}


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """A store and one whose email increments all take the SQL."""
    with Store(tmp_path / "py.duckdb") as py, Store(tmp_path / "sql.duckdb") as sql:
        yield py, sql


def append_both(
    stores: tuple[Store, Store], rows: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> bool:
    """Append ``rows`` to both stores; whether the first counted them in Python."""
    taken: list[bool] = []
    count = email_counts.record_batch

    def spy(*args: Any) -> bool:
        taken.append(count(*args))
        return taken[-1]

    table = pa.Table.from_pylist(rows)
    with monkeypatch.context() as patch:
        patch.setattr(email_counts, "record_batch", spy)
        stores[0].append_activities(table)
    with monkeypatch.context() as patch:
        patch.setattr(email_counts, "record_batch", lambda *args: False)
        stores[1].append_activities(table)
    return taken == [True]


def test_python_increment_equals_the_sql(
    stores: tuple[Store, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = canonical(activities(11, 150))
    random.Random(3).shuffle(rows)
    for i in range(0, len(rows), 113):
        assert append_both(stores, rows[i : i + 113], monkeypatch)
    assert append_both(stores, odd(1, ODD), monkeypatch)
    for n, props in enumerate(FALLBACK):
        assert not append_both(stores, odd(10 + n, [*ODD, props]), monkeypatch)
    for store in stores:  # later appends to an alias count for its person
        identities.merge(store, "c3", "c4")
    assert append_both(stores, canonical(activities(12, 40, start=10_000)), monkeypatch)
    got = contents(stores[0])
    assert got == contents(stores[1])
    assert len(got["email_pairs"]) > 100 and len(got["email_engagement"]) > 100
    assert_same_reports(stores[0])


def test_a_batch_without_email_events_writes_nothing(
    stores: tuple[Store, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    visits = [r for r in canonical(activities(13, 60)) if r["type"] == "page_visit"]
    assert visits
    append_both(stores, visits, monkeypatch)
    assert contents(stores[0]) == {"email_pairs": [], "email_engagement": []}
