"""The email statistics pre-aggregate (store/email_rollup.py) gives exactly the reports
computed from the activity log: after appends in any order, identity merges and their undo,
bot relabelling, an undone import, erasure, and when an existing database migrates."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa

from headway.api import Headway
from headway.backends.duckdb import STORE_RELATIONS, DuckDBBackend
from headway.engine.email.queries import PRE_AGGREGATE, StatsQuery
from headway.engine.email.stats import email_stats
from headway.ingest.relabel import relabel
from headway.store import Store, erase, identities
from headway.store.schema import MIGRATIONS
from tests.engine.activity_log import at

EMAILS = ["n1", "n2", "w/3"]
QUERIES = [
    StatsQuery(human=human, by=by, email=email, campaign=campaign)
    for human in (False, True)
    for by, email, campaign in [
        ("email", None, None),
        ("week", None, "spring"),
        ("day", "w/3", None),
    ]
]


class LogBackend(DuckDBBackend):
    """The DuckDB backend without the pre-aggregate: reports computed from the log."""

    relations = STORE_RELATIONS - set(PRE_AGGREGATE)


def assert_same_reports(store: Store) -> None:
    """Every query gives the same report from the pre-aggregate and from the log."""
    pre, log = DuckDBBackend(store), LogBackend(store)
    for query in QUERIES:
        assert email_stats(pre, query).to_dict() == email_stats(log, query).to_dict(), query


def activities(seed: int, contacts: int, start: int = 0) -> list[dict[str, Any]]:
    """Random email events (and a few visits) of ``contacts`` contacts over ten days."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for _ in range(contacts):
        for _event in range(rng.randint(1, 12)):
            kind = rng.choice(
                ["email_sent"] * 3
                + ["email_delivered"] * 2
                + ["email_bounce", "email_open", "email_open", "email_click", "email_click"]
                + ["email_unsubscribe", "email_spam_report", "page_visit"]
            )
            props: dict[str, Any] = {"email": rng.choice(EMAILS)}
            if rng.random() < 0.3:
                props["campaign"] = rng.choice(["spring", "fall"])
            if kind == "email_bounce":
                props["bounce_type"] = rng.choice(["hard", "Hard", "soft", None])
            if kind == "email_click":
                props.update(
                    link=rng.choice(["a", "b", None]), url=rng.choice(["https://x/", None])
                )
            if kind in ("email_open", "email_click"):
                props["user_agent"] = rng.choice(["Mozilla/5.0", "Mimecast-URL-Protect/1.0"])
                if rng.random() < 0.3:
                    props["repeats"] = rng.choice([2, 3, "x", 0])
            if kind == "page_visit":
                props = {"url": "/"}
            rows.append(
                {
                    "id": f"s{seed}-{start + len(rows)}",
                    "contact": f"c{rng.randint(0, contacts)}",
                    "type": kind,
                    "ts": at(f"{rng.randint(0, 10 * 24 * 60)}m"),
                    "properties": json.dumps(props),
                    "bot": rng.random() < 0.15,
                    "bot_reason": None,
                    "source": rng.choice(["tracking", "webhook"]),
                }
            )
    return rows


def append(store: Store, rows: list[dict[str, Any]]) -> None:
    """Append rows in one batch."""
    store.append_activities(pa.Table.from_pylist(rows))


def test_appends_in_any_order_equal_the_log(store: Store) -> None:
    rows = activities(1, 120)
    random.Random(9).shuffle(rows)  # later batches hold earlier deliveries and sends
    for i in range(0, len(rows), 97):
        append(store, rows[i : i + 97])
    append(store, rows[:50])  # duplicates change nothing
    assert store.execute("SELECT count(*) FROM email_pairs").scalar() > 200
    assert_same_reports(store)


def test_merges_relabelling_and_erasure_equal_the_log(store: Store) -> None:
    append(store, activities(2, 80))
    merged = identities.merge(store, "c3", "c4")
    identities.merge(store, "c5", "c4")
    append(store, activities(3, 20, start=10_000))  # appends to an alias count for its person
    assert_same_reports(store)
    identities.undo(store, merged.link_id or 0)
    assert_same_reports(store)
    assert relabel(store)  # the scanner's clicks become bot
    erase.erase_contact(store, "c4")
    erase.erase_contact(store, "c7")
    assert_same_reports(store)
    gone = store.execute(
        "SELECT count(*) FROM email_pairs p JOIN contacts c ON c.key = p.contact_key"
        " WHERE c.id IN ('c4', 'c5', 'c7')"
    ).scalar()
    assert gone == 0


def test_an_undone_import_equals_the_log(tmp_path: Path, store: Store) -> None:
    append(store, activities(4, 40))
    source = tmp_path / "more.jsonl"
    with source.open("w") as out:
        for row in activities(5, 30, start=50_000):
            out.write(json.dumps({**row, "ts": row["ts"].isoformat() + "Z"}) + "\n")
    hw = Headway(store)
    hw.import_files([source])
    assert_same_reports(store)
    hw.undo_import(1)
    assert_same_reports(store)


def test_an_existing_database_migrates(db_path: Path) -> None:
    with Store(db_path) as store:
        append(store, activities(6, 60))
        store.write(
            lambda c: [
                c.execute("DROP TABLE email_pairs"),
                c.execute("DROP TABLE email_engagement"),
                c.execute("DELETE FROM schema_version WHERE version = ?", [len(MIGRATIONS)]),
            ]
        )
    with Store(db_path) as store:  # opening applies the last migration again: built from the log
        assert store.execute("SELECT count(*) FROM email_engagement").scalar() > 0
        assert_same_reports(store)
