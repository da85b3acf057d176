"""The catalogue counted in Python (catalog_counts.py) equals a rebuild from the log, row by row.

Random batches whose properties are ``orjson`` text (what the HTTP path appends, so the
Python count takes them) with awkward keys (dots, quotes, brackets, white space, non-ASCII),
every JSON kind, floats of every shape, strings JSON escapes, objects inside arrays, paths
that pass the value cap, repeated ids (those batches fall back to SQL). After the appends the
four catalogue tables must equal what ``catalog.rebuild`` computes from the activities, and
what the SQL increment alone gives on a second store.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headway.store import Store, appends, catalog, catalog_counts

T0 = datetime(2025, 1, 1)
ORDER = {
    "catalog_types": "type_code",
    "catalog_type_contacts": "type_code, contact_key",
    "catalog_properties": "type_code, path",
    "catalog_values": "type_code, path, value",
}
KEYS = ["a", "plan", "page.url", 'q"', "b\\s", "[x] y", "é", "a b", "_k", "1", "$url", "t\tab"]
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=6))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.sampled_from([0, 1, 2, -1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1.0, 2.5, 1e16, 1e21, 1e-7, 123456789.125]),
    st.text(max_size=8),
    st.sampled_from(["pro", "free", "a\nb", 'q"', "b\\s", "\x7f", "\u2028", "😀", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)),
    max_leaves=6,
)
properties = st.one_of(st.none(), st.dictionaries(keys, values, max_size=4))
record = st.tuples(
    st.integers(0, 400),  # id (a repeat within the batch or with an earlier one: a duplicate)
    st.sampled_from(["c1", "c2", "c3", "ann@x.org"]),
    st.sampled_from(["page_visit", "Order Completed", "[Amp] Page"]),
    st.integers(0, 10**6),  # seconds after T0
    properties,
)


def table(rows: list[tuple[Any, ...]], tag: str) -> pa.Table:
    """An HTTP-path batch: canonical columns, properties written by ``orjson``."""
    return pa.table(
        {
            "id": [f"{tag}{r[0]}" for r in rows],
            "contact": [r[1] for r in rows],
            "type": [r[2] for r in rows],
            "ts": pa.array([T0 + timedelta(seconds=r[3]) for r in rows], pa.timestamp("us")),
            "properties": pa.array(
                [None if r[4] is None else orjson.dumps(r[4]).decode() for r in rows], pa.string()
            ),
            "bot": [False] * len(rows),
            "bot_reason": pa.array([None] * len(rows), pa.string()),
            "source": ["test"] * len(rows),
        },
        schema=appends.SCHEMA,
    )


def many(start: int, n: int) -> pa.Table:
    """``n`` activities whose ``n`` values are all distinct: the path passes the value cap."""
    return table([(i, "c1", "page_visit", i, {"n": start + i, "plan": "pro"}) for i in range(n)],
                 f"m{start}-")  # fmt: skip


def contents(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every catalogue table's rows, in key order."""
    return {t: store.execute(f"SELECT * FROM {t} ORDER BY {o}").rows for t, o in ORDER.items()}


def test_counted_batches_take_the_python_path_and_match_a_rebuild(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[bool] = []
    count = catalog_counts.record_batch

    def spy(*args: Any) -> bool:
        taken.append(count(*args))
        return taken[-1]

    monkeypatch.setattr(catalog_counts, "record_batch", spy)
    props = {"a": 1, "ctx": {"page.url": "/p", "list": [{"in": 1}]}, "f": 2.5, 'q"': "x\ny"}
    store.append_activities(table([(1, "c1", "page_visit", 5, props)], "x"))
    store._append_tables([many(0, 150), many(150, 100)])  # one group commit passes the cap
    store.append_activities(table([(2, "c2", "[Amp] Page", 9, {"n": -0.0})], "x"))  # SQL
    assert taken == [True, True, False]
    before = contents(store)
    assert ("page_visit" and before["catalog_properties"]) and any(
        row[1] == '["n"]' and row[-1] for row in before["catalog_properties"]
    )
    store.write(catalog.rebuild)
    assert contents(store) == before


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(st.lists(record, min_size=1, max_size=12), min_size=1, max_size=4),
       cap_crossing=st.booleans())  # fmt: skip
def test_python_count_equals_rebuild_and_the_sql_increment(
    tmp_path_factory: pytest.TempPathFactory,
    batches: list[list[tuple[Any, ...]]],
    cap_crossing: bool,
) -> None:
    folder: Path = tmp_path_factory.mktemp("cat")
    tables = [table(rows, f"r{i % 3}-") for i, rows in enumerate(batches)]
    if cap_crossing:
        tables[len(tables) // 2 : len(tables) // 2] = [many(0, 120), many(120, 120)]
    with Store(folder / "py.duckdb") as counted, Store(folder / "sql.duckdb") as plain:
        for batch in tables:
            counted.append_activities(batch)
        original = catalog_counts.record_batch
        catalog_counts.record_batch = lambda *args: False  # type: ignore[assignment]
        try:
            for batch in tables:
                plain.append_activities(batch)
        finally:
            catalog_counts.record_batch = original
        got = contents(counted)
        assert got == contents(plain)
        counted.write(catalog.rebuild)
        assert contents(counted) == got
