"""An existing database gains typed property columns when it opens, and answers the same."""

from __future__ import annotations

import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from headway.api import Headway
from headway.backends.duckdb import DuckDBBackend
from headway.backends.duckdb_dialect import DUCKDB_SQL
from headway.conditions.sql_dialect import SqlDialect
from headway.engine.kernel.inputs import match_query
from headway.engine.options import ReportOptions
from headway.ingest.files import ImportOptions
from headway.store import Store, property_columns
from headway.store.schema import MIGRATIONS, SCHEMA_VERSION

TYPED_INDEX = MIGRATIONS.index(property_columns.CREATE)  # 0-based: schema TYPED_INDEX + 1
JOURNEY = {
    "name": "typed",
    "window": "7d",
    "stages": [
        {
            "name": "Blog",
            "when": {"type": "page_visit", "where": {"url": {"starts_with": "/blog"}}},
        },
        {"name": "Pricing", "when": {"type": "page_visit", "where": {"url": "/pricing"}}},
        {"name": "Big", "when": {"type": "purchase", "where": {"value": {"gte": 50}}}},
        {"name": "Trial", "when": {"type": "form_submission", "where": {"form": "trial"}}},
    ],
}


class JsonOnlyBackend(DuckDBBackend):
    """The DuckDB backend reading every property out of the JSON (the typed columns unused)."""

    @property
    def sql(self) -> SqlDialect:
        """The dialect without typed columns."""
        return DUCKDB_SQL


def activities(n: int = 6000) -> list[dict[str, Any]]:
    """Page visits, purchases and forms of 200 contacts; some values of the other JSON type."""
    rng = random.Random(13)
    start = datetime(2025, 1, 1)
    urls: list[Any] = ["/blog/a", "/blog/b", "/pricing", "/home", 7, None]
    out = []
    for i in range(n):
        kind = rng.choice(["page_visit", "purchase", "form_submission"])
        props: dict[str, Any] = {
            "page_visit": {"url": rng.choice(urls)},
            "purchase": {"value": rng.choice([10, 50, 99.5, "75"])},
            "form_submission": {"form": rng.choice(["trial", "contact", 1])},
        }[kind]
        out.append(
            {
                "id": f"x{i}",
                "contact": f"c{rng.randrange(200)}",
                "type": kind,
                "ts": (start + timedelta(minutes=37 * i)).isoformat() + "Z",
                "properties": props,
            }
        )
    return out


def make_old(path: Path) -> None:
    """Put the file back to the schema before typed columns (columns and table dropped)."""
    conn = duckdb.connect(str(path))
    for (name,) in conn.execute("SELECT name FROM property_columns").fetchall():
        conn.execute(f'ALTER TABLE activities DROP COLUMN "{name}"')
    for statements in MIGRATIONS[TYPED_INDEX:]:
        for statement in statements:
            if statement.lstrip().upper().startswith("CREATE TABLE"):
                conn.execute(f"DROP TABLE IF EXISTS {statement.split('(')[0].split()[-1]}")
    conn.execute("DELETE FROM schema_version WHERE version > ?", [TYPED_INDEX])
    conn.close()


def test_an_older_database_is_shredded_on_open_and_answers_the_same(tmp_path: Path) -> None:
    """Schema before typed columns -> current: columns added and backfilled, same funnel."""
    old = tmp_path / "old.duckdb"
    with Store(old) as store:
        Headway(store).add_activities(activities())
        assert store.typed_columns()  # appends past MIN_ACTIVITIES added columns already
    make_old(old)
    copy = tmp_path / "copy.duckdb"
    shutil.copy(old, copy)

    with Store(old) as store:
        assert store.execute("SELECT max(version) FROM schema_version").scalar() == SCHEMA_VERSION
        typed = store.typed_columns()
        url = typed.column(("url",), "string")
        assert url and typed.column(("value",), "number") and typed.column(("form",), "string")
        assert (
            store.execute(
                f"SELECT count(*) FROM activities WHERE {url} = json_extract_string(properties, '/url')"
            ).scalar()
            == store.execute(
                "SELECT count(*) FROM activities WHERE json_type(properties, '/url') = 'VARCHAR'"
            ).scalar()
        )
        hw = Headway(store)
        journey = hw.journey(JOURNEY)
        sql = match_query(
            journey, hw.backend.type_codes(), ReportOptions(as_of=datetime(2025, 3, 1)),
            sql=hw.backend.sql,
        ).sql("duckdb")  # fmt: skip
        assert url in sql and "json" not in sql.lower()  # every test reads a typed column
        typed_report = hw.funnel(journey, as_of="2025-03-01")

    with Store(copy) as store:
        plain_report = Headway(store, backend=JsonOnlyBackend(store)).funnel(
            Headway(store).journey(JOURNEY), as_of="2025-03-01"
        )
    assert typed_report == plain_report
    assert typed_report.stages[0].reached > 0


def test_appends_fill_the_columns_and_reads_see_them(tmp_path: Path) -> None:
    """Rows appended after the columns exist carry their values; a new common path is added."""
    with Store(tmp_path / "a.duckdb") as store:
        hw = Headway(store)
        hw.add_activities(activities(1200))
        before = set(store.typed_columns().columns.values())
        rows = [
            {"id": f"n{i}", "contact": "c1", "type": "signup", "ts": "2025-06-01T00:00:00Z",
             "properties": {"plan": "pro" if i % 2 else True}}
            for i in range(2 * property_columns.MIN_ACTIVITIES)
        ]  # fmt: skip
        hw.add_activities(rows)
        typed = store.typed_columns()
        plan_s, plan_b = typed.column(("plan",), "string"), typed.column(("plan",), "boolean")
        assert plan_s and plan_b and before < set(typed.columns.values())
        counts = store.execute(
            f"SELECT count({plan_s}), count({plan_b}), count(*) FROM activities"
            " WHERE type_code = (SELECT code FROM activity_types WHERE name = 'signup')"
        ).rows[0]
        assert counts == (1000, 1000, 2000)


def exact(store: Store) -> None:
    """Every typed column holds, on every row, what the JSON reading gives for its kind."""
    for (keys, kind), name in store.typed_columns().columns.items():
        pointer = "".join("/" + k.replace("~", "~0").replace("/", "~1") for k in keys)
        raw = f"CAST(json_extract(properties, '{pointer}') AS VARCHAR)"
        wrong = store.execute(
            f"SELECT count(*) FROM activities"
            f" WHERE {name} IS DISTINCT FROM {property_columns.value_sql(raw, kind)}"
        ).scalar()
        assert wrong == 0, (keys, kind)


def test_an_import_of_flat_columns_fills_them_exactly(tmp_path: Path) -> None:
    """A Parquet import whose extra columns are the properties (the members path)."""
    n = 3000
    table = pa.table(
        {
            "id": [f"i{i}" for i in range(n)],
            "contact": [f"c{i % 97}" for i in range(n)],
            "type": ["page_visit" if i % 3 else "purchase" for i in range(n)],
            "ts": pa.array([datetime(2025, 1, 1) + timedelta(minutes=i) for i in range(n)]),
            "url": [None if i % 7 == 0 else f'/p/{i % 5}"\\é' for i in range(n)],
            "value": [None if i % 4 == 0 else i / 3 for i in range(n)],
            "flag": [None if i % 5 == 0 else i % 2 == 0 for i in range(n)],
        }
    )
    path = tmp_path / "flat.parquet"
    pq.write_table(table, path)
    with Store(tmp_path / "i.duckdb") as store:
        Headway(store).import_files([path], ImportOptions(tz="UTC"))
        typed = store.typed_columns()
        assert {k for k, _ in typed.columns} >= {("url",), ("value",), ("flag",)}
        exact(store)


def test_appended_columns_are_exact(tmp_path: Path) -> None:
    """Appends through the JSON path (and a backfill) give the same invariant."""
    with Store(tmp_path / "j.duckdb") as store:
        Headway(store).add_activities(activities())
        assert store.typed_columns()
        exact(store)


def signup(batch: int, i: int) -> dict[str, Any]:
    """A signup with common paths, a rare one, and in batch 9 a -0.0 (the SQL count's)."""
    props: dict[str, Any] = {"plan": "pro", "seats": i}
    props.update({"rare": 1} if i < 3 else {})
    props.update({"n": -0.0} if batch == 9 else {})
    return {"id": f"{batch}-{i}", "contact": f"c{i % 7}", "type": "signup",
            "ts": "2025-06-01T00:00:00Z", "properties": props}  # fmt: skip


def test_appends_add_columns_when_an_uncached_reading_would(tmp_path: Path) -> None:
    """The append path's kept reading (property_columns.Known) adds each column at the same
    append as reading the catalogue every time, through the Python and the SQL count."""
    seen: list[list[list[str]]] = []
    for cached in (True, False):
        with Store(tmp_path / f"{cached}.duckdb") as store:
            hw, names = Headway(store), []
            for b in range(12):
                rows = [signup(b, i) for i in range(150)]  # batch 9 is counted in SQL
                if not cached:
                    store._typed.forget()
                hw.add_activities(rows)
                names.append(sorted(store.typed_columns().columns.values()))
            exact(store)
            seen.append(names)
    assert seen[0] == seen[1]
    assert seen[0][5] == [] and seen[0][6] and seen[0][-1] == seen[0][6]
