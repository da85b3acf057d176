"""File imports apply the name rule to types, to columns that become property keys and to
the keys inside a ``properties`` column, naming the line and the field."""

from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from headway.errors import InvalidInput
from headway.ingest.files import import_file
from headway.store import Store

PROPS = [
    {"$current_url": "/a", "context": {"page.url": "/a"}},
    {"ok": 1, "context": {"bad\tkey": 1}},
    {"": 1},
    {"k" * 201: 1},
    {"long value": "v" * 500, "é" * 200: "fine"},
    {"list": [{"c1\x85": 1}]},
]


def test_bad_keys_inside_properties_are_rejected_with_their_row(
    store: Store, tmp_path: Path
) -> None:
    n = len(PROPS)
    path = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "contact": [f"c{i}" for i in range(n)],
                "type": ["[Amplitude] Page Viewed", *["Order Completed"] * (n - 1)],
                "ts": ["2025-01-01T00:00:00Z"] * n,
                "properties": [orjson.dumps(p).decode() for p in PROPS],
            }
        ),
        path,
    )
    result = import_file(store, path)
    assert (result.imported, result.rejected) == (2, 4)
    assert [str(d) for d in result.details] == [
        "row 2: properties: has a key 'context.bad\\tkey' that contains a control character"
        " (U+0009) at position 4",
        "row 3: properties: has a key '\"\"' that must not be empty",
        f"row 4: properties: has a key '{'k' * 77}...' that is longer than 200 characters (201)",
        "row 6: properties: has a key 'list.c1\\x85' that contains a control character (U+0085)"
        " at position 3",
    ]
    types = store.execute("SELECT name FROM activity_types ORDER BY name").rows
    assert types == [("Order Completed",), ("[Amplitude] Page Viewed",)]


def test_types_follow_the_rule_in_sql(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "types.parquet"
    kinds = [" ", "x" * 200, "x" * 201, "tab\there", "del\x7f", "Página vista"]
    pq.write_table(
        pa.table(
            {
                "contact": ["c"] * len(kinds),
                "type": kinds,
                "ts": [f"2025-01-01T00:00:0{i}Z" for i in range(len(kinds))],
            }
        ),
        path,
    )
    result = import_file(store, path)
    assert result.imported == 3
    assert [str(d) for d in result.details] == [
        "row 3: type: is longer than 200 characters (201)",
        "row 4: type: contains a control character (U+0009) at position 4",
        "row 5: type: contains a control character (U+007F) at position 4",
    ]


def test_a_column_that_cannot_be_a_property_key_is_one_clear_error(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "cols.parquet"
    table = {"contact": ["c"], "type": ["t"], "ts": ["2025-01-01T00:00:00Z"], "a\nb": [1]}
    pq.write_table(pa.table(table), path)
    with pytest.raises(InvalidInput) as caught:
        import_file(store, path)
    assert caught.value.message == (
        f"{path}: column 'a\\nb' cannot be a property key: it contains a control character"
        " (U+000A) at position 2"
    )
