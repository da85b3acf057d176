"""The catalogue equals a fresh computation over the log after appends, imports, erasure.

The oracle is Python over the stored rows (``json.loads`` and a walk of each object), not
the SQL the catalogue uses, so the two are independent.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from headway.api import Headway
from headway.ingest.files import ImportOptions
from headway.store import Store
from headway.store.catalog import TABLES, VALUE_CAP, rebuild
from headway.store.erase import erase_contact
from headway.store.schema import MIGRATIONS

KEYS = ["$current_url", "utm source", "a.b", "[Amplitude] Page", "Página vista", 'q"\\', "plan"]
TYPES = ["$pageview", "Order Completed", "user signed up", "[Amplitude] Page Viewed", "Página"]
T0 = datetime(2025, 1, 1)


def _value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(8 if depth < 2 else 6)
    if kind == 0:
        return rng.choice(["pro", "free", "Pro", "é", "a.b"])
    if kind == 1:
        return rng.choice([1, 2, 2.5, -3])
    if kind == 2:
        return rng.choice([True, False])
    if kind == 3:
        return None
    if kind == 4:
        return [1, {"inside": "array"}]
    if kind == 5:
        return f"v{rng.randrange(4)}"
    return {k: _value(rng, depth + 1) for k in rng.sample(KEYS, rng.randrange(1, 3))}


def batch(rng: random.Random, start: int, n: int, contacts: int = 12) -> pa.Table:
    """``n`` random activities with ids ``start..``; some ids repeat earlier ones."""
    ids = [f"e{rng.randrange(start + n) if rng.random() < 0.1 else start + i}" for i in range(n)]
    props = [
        json.dumps({k: _value(rng, 0) for k in rng.sample(KEYS, rng.randrange(0, 4))})
        if rng.random() > 0.1
        else None
        for _ in range(n)
    ]
    return pa.table(
        {
            "id": ids,
            "contact": [f"c{rng.randrange(contacts)}" for _ in range(n)],
            "type": [rng.choice(TYPES) for _ in range(n)],
            "ts": pa.array(
                [T0 + timedelta(minutes=rng.randrange(100_000)) for _ in range(n)],
                pa.timestamp("us"),
            ),
            "properties": pa.array(props, pa.string()),
            "bot": [False] * n,
            "bot_reason": pa.array([None] * n, pa.string()),
            "source": ["test"] * n,
        }
    )


def _walk(obj: dict[str, Any], prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    out = []
    for key, value in obj.items():
        path = (*prefix, key)
        out.append((path, value))
        if isinstance(value, dict):
            out.extend(_walk(value, path))
    return out


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "booleans"
    if isinstance(value, int | float):
        return "numbers"
    return {str: "strings", dict: "objects", list: "arrays"}.get(type(value), "nulls")


def oracle(store: Store) -> dict[str, Any]:
    """The catalogue computed in Python from every stored activity."""
    rows = store.execute(
        "SELECT t.name, a.contact_key, a.ts, a.properties FROM activities a"
        " JOIN activity_types t ON t.code = a.type_code"
    ).rows
    types: dict[str, list[Any]] = {}
    contacts: dict[str, set[int]] = defaultdict(set)
    props: dict[tuple[str, tuple[str, ...]], Counter[str]] = defaultdict(Counter)
    values: dict[tuple[str, tuple[str, ...]], Counter[str]] = defaultdict(Counter)
    for name, key, ts, text in rows:
        n, first, last = types.get(name, [0, ts, ts])
        types[name] = [n + 1, min(first, ts), max(last, ts)]
        contacts[name].add(key)
        for path, value in _walk(json.loads(text) if text else {}, ()):
            props[(name, path)][_kind(value)] += 1
            if _kind(value) in ("strings", "numbers", "booleans"):
                values[(name, path)][json.dumps(value)] += 1
    return {
        "types": {k: (v[0], len(contacts[k]), v[1], v[2]) for k, v in types.items()},
        "properties": {
            k: (sum(c.values()), dict(c), len(values[k]) > VALUE_CAP) for k, c in props.items()
        },
        "values": {k: dict(c) for k, c in values.items() if len(c) <= VALUE_CAP},
    }


def catalogue(store: Store) -> dict[str, Any]:
    """The catalogue as stored, in the oracle's shape."""
    types = store.execute(
        """SELECT t.name, c.activities, (SELECT count(*) FROM catalog_type_contacts p
                                          WHERE p.type_code = c.type_code),
                  c.first_seen, c.last_seen
        FROM catalog_types c JOIN activity_types t ON t.code = c.type_code"""
    ).rows
    props = store.execute(
        """SELECT t.name, p.path, p.activities, p.strings, p.numbers, p.booleans, p.objects,
                  p.arrays, p.nulls, p.high_cardinality
        FROM catalog_properties p JOIN activity_types t ON t.code = p.type_code"""
    ).rows
    kinds = ("strings", "numbers", "booleans", "objects", "arrays", "nulls")
    # Values keyed by their JSON text (true and 1 are different values).
    values: dict[tuple[str, tuple[str, ...]], dict[str, int]] = defaultdict(dict)
    for name, path, value, n in store.execute(
        """SELECT t.name, v.path, v.value, v.activities
        FROM catalog_values v JOIN activity_types t ON t.code = v.type_code"""
    ).rows:
        values[(name, tuple(json.loads(path)))][json.dumps(json.loads(value))] = n
    return {
        "types": {r[0]: tuple(r[1:]) for r in types},
        "properties": {
            (r[0], tuple(json.loads(r[1]))): (
                r[2],
                {k: n for k, n in zip(kinds, r[3:9], strict=True) if n},
                r[9],
            )
            for r in props
        },
        "values": dict(values),
    }


def _values_of_low(expected: dict[str, Any]) -> dict[str, Any]:
    # Paths with only null/object/array nodes have no values in either.
    return {k: v for k, v in expected["values"].items() if v}


def check(store: Store) -> None:
    """The stored catalogue equals the oracle's."""
    want, got = oracle(store), catalogue(store)
    assert got["types"] == want["types"]
    assert got["properties"] == want["properties"]
    assert got["values"] == _values_of_low(want)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_catalogue_equals_a_recompute_after_appends_and_group_commits(
    store: Store, seed: int
) -> None:
    rng = random.Random(seed)
    start = 0
    for size in (1, 40, 200, 7):
        store.append_activities(batch(rng, start, size))
        start += size
        check(store)
    # Several batches in one group commit (the HTTP path).
    store._append_tables([batch(rng, start + 1000 * i, 30) for i in range(3)])
    check(store)


def test_catalogue_after_the_bulk_import_path(store: Store) -> None:
    rng = random.Random(7)
    table = batch(rng, 0, 300)

    def bulk(conn: Any) -> None:
        conn.register("_t", table)
        store.append_relation(conn, "_t")
        conn.unregister("_t")

    store.write(bulk)
    store.write(bulk)  # every id again: all duplicates, nothing changes
    check(store)


def test_catalogue_after_erasure(store: Store) -> None:
    rng = random.Random(11)
    store.append_activities(batch(rng, 0, 300, contacts=5))
    erase_contact(store, "c3")
    check(store)
    assert "c3" not in {r[0] for r in store.execute("SELECT id FROM contacts").rows}
    # The next append finds its new (type, contact) pairs against what the erasure left.
    store.append_activities(batch(rng, 1000, 100, contacts=5))
    check(store)


def test_rebuild_equals_the_incremental_catalogue(store: Store) -> None:
    rng = random.Random(5)
    for i in range(4):
        store.append_activities(batch(rng, i * 100, 100))
    before = catalogue(store)
    store.write(rebuild)
    assert catalogue(store) == before


def _many(start: int, n: int, type_: str = "t") -> pa.Table:
    return pa.table(
        {
            "id": [f"m{start + i}" for i in range(n)],
            "contact": ["c"] * n,
            "type": [type_] * n,
            "ts": pa.array([T0] * n, pa.timestamp("us")),
            "properties": [json.dumps({"n": start + i, "plan": "pro"}) for i in range(n)],
            "bot": [False] * n,
            "bot_reason": pa.array([None] * n, pa.string()),
            "source": ["test"] * n,
        }
    )


def test_a_path_beyond_the_cap_is_high_cardinality_and_keeps_no_values(store: Store) -> None:
    store.append_activities(_many(0, VALUE_CAP))
    got = catalogue(store)
    assert got["properties"][("t", ("n",))][2] is False
    assert len(got["values"][("t", ("n",))]) == VALUE_CAP
    store.append_activities(_many(VALUE_CAP, 1))
    got = catalogue(store)
    assert got["properties"][("t", ("n",))] == (VALUE_CAP + 1, {"numbers": VALUE_CAP + 1}, True)
    assert ("t", ("n",)) not in got["values"]
    assert got["values"][("t", ("plan",))] == {'"pro"': VALUE_CAP + 1}
    check(store)
    store.write(rebuild)
    check(store)


def test_names_are_kept_verbatim(store: Store) -> None:
    props = {"$current_url": "/x", "context": {"page.url": "/p", "[a] b": 1}, 'q"\\': "é"}
    store.append_activities(
        pa.table(
            {
                "id": ["1"],
                "contact": ["ann"],
                "type": ["[Amplitude] Page Viewed"],
                "ts": pa.array([T0], pa.timestamp("us")),
                "properties": [json.dumps(props)],
                "bot": [False],
                "bot_reason": pa.array([None], pa.string()),
                "source": ["test"],
            }
        )
    )
    paths = set(catalogue(store)["properties"])
    assert paths == {
        ("[Amplitude] Page Viewed", ("$current_url",)),
        ("[Amplitude] Page Viewed", ("context",)),
        ("[Amplitude] Page Viewed", ("context", "page.url")),
        ("[Amplitude] Page Viewed", ("context", "[a] b")),
        ("[Amplitude] Page Viewed", ('q"\\',)),
    }


def test_migration_catalogues_an_existing_log(store: Store) -> None:
    rng = random.Random(3)
    store.append_activities(batch(rng, 0, 200))
    expected = catalogue(store)
    # As a database of schema 4 would be: no catalogue yet; then migration 5's statements.
    store.write(lambda c: [c.execute(f"DROP TABLE {t}") for t in TABLES])
    store.write(lambda c: [c.execute(s) for s in MIGRATIONS[4]])
    assert catalogue(store) == expected
    check(store)


def test_catalogue_after_file_imports_and_an_undo(store: Store) -> None:
    samples = Path(__file__).parents[2] / "examples" / "imports"
    hw = Headway(store)
    hw.import_files([samples / "posthog.jsonl"], ImportOptions(preset="posthog"))
    hw.import_files([samples / "mixpanel.jsonl"], ImportOptions(preset="mixpanel"))
    check(store)
    hw.undo_import(1)
    check(store)
    store.append_activities(batch(random.Random(2), 0, 50))
    check(store)


def test_erasure_takes_its_share_out_without_a_rebuild(store: Store) -> None:
    # The erased contacts hold the type's first and last activity and the only "who" values.
    rows = [("early", 0, {"plan": "gold", "who": "early@x.org"}), ("mid", 1, {"plan": "gold"}),
            ("late", 2, {"plan": "free", "who": "late@x.org"})]  # fmt: skip
    store.append_activities(
        pa.table(
            {
                "id": [c for c, _, _ in rows],
                "contact": [c for c, _, _ in rows],
                "type": ["signup"] * 3,
                "ts": pa.array([T0 + timedelta(days=d) for _, d, _ in rows], pa.timestamp("us")),
                "properties": [json.dumps(p) for _, _, p in rows],
                "bot": [False] * 3,
                "bot_reason": pa.array([None] * 3, pa.string()),
                "source": ["test"] * 3,
            }
        )
    )
    assert erase_contact(store, "early").removed["catalog_values"] == 1
    assert erase_contact(store, "late").removed["catalog_properties"] == 1
    check(store)
    got = catalogue(store)
    assert got["types"]["signup"] == (1, 1, T0 + timedelta(days=1), T0 + timedelta(days=1))
    assert got["values"] == {("signup", ("plan",)): {'"gold"': 1}}
