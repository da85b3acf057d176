"""The matcher-input query renders as Spark SQL that returns DuckDB's rows.

The same journeys (ordered, strict, ``first_time`` event/matching with time ties, exclusions,
``exit_when``, a ``filter`` on the contact, a date range) are compiled once per backend's
dialect and run over the same ``activity_log`` and ``contacts`` on DuckDB and on real local
Spark; the rows (contact, time, stage and exclusion masks, exit flag) must be equal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import duckdb
import pytest

from headway.backends.duckdb_dialect import DUCKDB_SQL
from headway.backends.spark.backend import spark_params
from headway.backends.spark.sql import SPARK_SQL
from headway.conditions.sql_dialect import SqlDialect
from headway.engine.kernel.inputs import COLUMNS, match_query
from headway.engine.options import DateWindow, ReportOptions
from headway.model.journey import parse_journey

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

TYPES = {"page_visit": 1, "email_click": 2, "form_submission": 3, "email_bounce": 4}
T0 = datetime(2025, 3, 1)
PAGES = ["/home", "/pricing", "/PRICING/x", "/blog", "/pric\\u0069ng"]

JOURNEYS: list[dict[str, Any]] = [
    {
        "name": "ordered",
        "stages": [
            {"name": "visit", "when": {"type": "page_visit"}},
            {"name": "click", "when": {"type": "email_click", "where": {"n": {"gte": 2}}}},
            {"name": "form", "when": {"type": "form_submission"}, "first_time": "event"},
        ],
        "exclusions": [
            {
                "when": {"type": "page_visit", "where": {"url": "/blog"}},
                "between": ["visit", "form"],
            }
        ],
        "exit_when": {"type": "email_bounce"},
    },
    {
        "name": "strict",
        "order": "strict",
        "filter": {"where": {"contact": {"in": ["c1", "c2", "c4"]}}},
        "stages": [
            {
                "name": "pricing",
                "when": {"type": "page_visit", "where": {"url": {"icontains": "pricing"}}},
                "first_time": "matching",
            },
            {"name": "any click", "when": {"type": "email_click"}},
        ],
    },
    {
        "name": "any",
        "date_range": {"from": "2025-03-02", "to": "2025-03-05"},
        "stages": [
            {
                "name": "either",
                "when": {
                    "any": [
                        {"type": "page_visit", "where": {"url": {"regex": "^/p"}}},
                        {"where": {"n": 3}},
                    ]
                },
                "first_time": "matching",
            },
            {"name": "not a click", "when": {"not": {"type": "email_click"}}},
        ],
    },
]


def _activities() -> list[tuple[Any, ...]]:
    rows = []
    for i in range(60):
        contact = i % 5
        type_name = list(TYPES)[(i * 7) % len(TYPES)]
        ts = T0 + timedelta(hours=(i * 13) % 150)
        if i % 11 == 0:
            ts = T0 + timedelta(hours=26)  # ties in time: the smaller id comes first
        props: dict[str, Any] = {"url": PAGES[i % len(PAGES)], "n": i % 4}
        if i % 6 == 0:
            props["n"] = str(i % 4)  # the text "2" is not the number 2
        text = json.dumps(props).replace("\\\\u0069", "\\u0069")
        rows.append((i, contact, TYPES[type_name], ts, text, "api", i % 9 == 0))
    return rows


ACTIVITIES = _activities()
CONTACTS = [(k, f"c{k}", json.dumps({"plan": "pro" if k % 2 else "free"})) for k in range(5)]


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE activity_log (id BIGINT, contact_key BIGINT, type_code INT, ts TIMESTAMP,"
        " properties JSON, source VARCHAR, bot BOOLEAN)"
    )
    con.executemany("INSERT INTO activity_log VALUES (?, ?, ?, ?, ?, ?, ?)", ACTIVITIES)
    con.execute("CREATE TABLE contacts (key BIGINT, id VARCHAR, attributes JSON)")
    con.executemany("INSERT INTO contacts VALUES (?, ?, ?)", CONTACTS)
    yield con
    con.close()


@pytest.fixture(scope="module")
def views(spark: SparkSession) -> Iterator[None]:
    activity = "id BIGINT, contact_key BIGINT, type_code INT, ts TIMESTAMP, properties STRING,"
    spark.createDataFrame(ACTIVITIES, activity + " source STRING, bot BOOLEAN").coalesce(
        1
    ).createOrReplaceTempView("activity_log")
    spark.createDataFrame(CONTACTS, "key BIGINT, id STRING, attributes STRING").coalesce(
        1
    ).createOrReplaceTempView("contacts")
    yield
    spark.catalog.dropTempView("activity_log")
    spark.catalog.dropTempView("contacts")


def _sql(journey: dict[str, Any], sql: SqlDialect, options: ReportOptions) -> tuple[str, Any]:
    query = match_query(parse_journey(journey), TYPES, options, sql=sql)
    c = COLUMNS
    micros = "epoch_us" if sql.name == "duckdb" else "unix_micros"
    text = (
        f"SELECT {c.contact}, {micros}({c.ts}), {c.stage_mask}, {c.excl_mask}, {c.exit}"
        f" FROM ({query.sql(sql.name)}) q"
    )
    return text, query.params


@pytest.mark.parametrize("options", ["as of", "date range"])
def test_the_matcher_input_rows_are_duckdbs(
    duck: duckdb.DuckDBPyConnection, spark: SparkSession, views: None, options: str
) -> None:
    opts = ReportOptions(as_of=datetime(2025, 3, 6))
    if options == "date range":
        opts = ReportOptions(
            as_of=datetime(2025, 3, 7), date_range=DateWindow(T0, datetime(2025, 3, 4))
        )
    for journey in JOURNEYS:
        text, params = _sql(journey, DUCKDB_SQL, opts)
        want = sorted(duck.execute(text, params).fetchall())
        text, params = _sql(journey, SPARK_SQL, opts)
        got = sorted(tuple(r) for r in spark.sql(text, args=spark_params(params)).collect())
        assert got == want, journey["name"]
        assert len({r[2] for r in want}) > 1, journey["name"]  # the masks tell rows apart
