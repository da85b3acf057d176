"""The import's fast paths give exactly what the general ones give.

A CSV/Parquet file whose properties are its other columns has its catalogue counted from
those columns and its typed property columns filled from them (``catalog.record_members``);
JSON Lines are checked column by column first (``bulk_records.fast_rows``), record by record
only for the rest. The catalogue must equal a rebuild from the log, the typed columns the
JSON reading, and the stored rows and rejections those of the record-by-record checks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from headway.ingest.files import ImportOptions, import_file
from headway.ingest.records import Rejected, check_record
from headway.store import Store, catalog


def _catalogue(store: Store) -> dict[str, list[tuple[object, ...]]]:
    return {t: sorted(store.execute(f"SELECT * FROM {t}").rows) for t in catalog.TABLES}


def _rebuilt(store: Store) -> dict[str, list[tuple[object, ...]]]:
    store.write(catalog.rebuild)
    return _catalogue(store)


def test_member_catalogue_and_typed_columns_equal_the_json_reading(tmp_path: Path) -> None:
    n = 3000
    ts = datetime(2024, 3, 1, tzinfo=UTC)
    table = pa.table(
        {
            "id": [f"e{i % 2900}" for i in range(n)],  # 100 repeats within the file
            "contact": [f"c{i % 70}" if i % 500 else "" for i in range(n)],  # 6 rejected
            "type": ["page_visit" if i % 3 else "purchase" for i in range(n)],
            "ts": pa.array([ts] * n, pa.timestamp("us", tz="UTC")),
            "url": [None if i % 4 == 0 else f"/p{i % 7}" for i in range(n)],
            "value": [None if i % 5 else (i % 11) / 4 for i in range(n)],
            "odd key": [i % 2 == 0 for i in range(n)],
            "ctx": [{"a": i % 3, "b": None if i % 2 else "x"} for i in range(n)],
        }
    )
    path = tmp_path / "a.parquet"
    pq.write_table(table, path)
    store = Store(tmp_path / "db.duckdb")
    try:
        first = import_file(store, path, ImportOptions())
        again = import_file(store, path, ImportOptions())  # every row a duplicate of the log
        # e0's first row is rejected, so its repeat is kept: 99 duplicates, not 100.
        assert (first.imported, first.duplicates, first.rejected) == (2895, 99, 6)
        assert (again.imported, again.duplicates) == (0, 2994)
        before = _catalogue(store)
        assert before["catalog_properties"]  # url, value, "odd key", ctx and ctx's keys
        assert before == _rebuilt(store)
        columns = store.execute("SELECT path, kind, name FROM property_columns").rows
        assert {(p, k) for p, k, _ in columns} >= {
            ('["url"]', "string"),
            ('["odd key"]', "boolean"),
        }
        for path_text, kind, name in columns:
            pointer = "/" + "/".join(orjson.loads(path_text))
            raw = f"CAST(json_extract(properties, '{pointer}') AS VARCHAR)"
            expected = {
                "string": f"CASE WHEN starts_with({raw}, '\"') THEN json_extract_string({raw}, '$') END",
                "number": f"TRY_CAST({raw} AS DOUBLE)",
                "boolean": f"CASE {raw} WHEN 'true' THEN true WHEN 'false' THEN false END",
            }[kind]
            wrong = store.execute(
                f'SELECT count(*) FROM activities WHERE "{name}" IS DISTINCT FROM {expected}'
            ).rows
            assert wrong == [(0,)], (path_text, kind)
    finally:
        store.close()


LINES = [
    b'{"id": "a1", "contact": "ann", "type": "page_visit", "ts": "2024-03-01T10:00:00Z", "url": "/"}',
    b"",
    b'{"id": "a2", "contact": "bob", "type": "buy", "ts": "2024-03-01T11:00:00+01:00",'
    b' "properties": {"value": 3, "url": "/x"}, "url": "/y", "source": "shop"}',
    b"{not json",
    b'{"id": "a3", "contact": 7, "type": "page_visit", "ts": 1709287200, "bot": true}',
    b'{"id": "a4", "contact": "cy", "type": "page_visit", "ts": "2024-03-01 10:00"}',
    b"[1, 2]",
    b'{"id": "a1", "contact": "ann", "type": "page_visit", "ts": "2024-03-01T12:00:00Z"}',
    b'{"contact": "dee", "type": "x", "ts": "2024-03-01T10:00:00.5Z", "bot_reason": ""}',
]


def _expected() -> tuple[list[tuple[object, ...]], list[str]]:
    """Rows (first of each id) and rejections of the record-by-record checks."""
    rows: dict[object, tuple[object, ...]] = {}
    details = []
    for number, line in enumerate(LINES, start=1):
        if not line:
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            details.append(f"line {number}: is not valid JSON")
            continue
        try:
            row = check_record(record, source="import")
        except Rejected as err:
            where = f"{err.field}: " if err.field else ""
            details.append(f"line {number}: {where}{err.reason}")
            continue
        rows.setdefault(row[0], row)
    return [r for r in rows.values()], details


def test_jsonl_fast_rows_equal_the_record_checks(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\n".join(LINES) + b"\n")
    store = Store(tmp_path / "db.duckdb")
    try:
        result = import_file(store, path, ImportOptions())
        rows, details = _expected()
        assert [str(d) for d in result.details] == details
        assert (result.imported, result.duplicates, result.rejected) == (4, 1, 3)
        stored = store.execute(
            """SELECT a.id, c.id, t.name, a.ts, CAST(a.properties AS VARCHAR), a.bot,
                      a.bot_reason, a.source
            FROM activities a JOIN contacts c ON c.key = a.contact_key
            JOIN activity_types t ON t.code = a.type_code"""
        ).rows
        by_id = {r[0]: r for r in stored}
        for row in rows:
            got = by_id[row[0] or next(k for k in by_id if str(k).startswith("h"))]
            assert got[1:3] == row[1:3]
            assert got[3] == row[3].replace(tzinfo=None)
            assert got[4] == row[4]
            assert got[5:] == row[5:]
        assert _catalogue(store) == _rebuilt(store)
    finally:
        store.close()
