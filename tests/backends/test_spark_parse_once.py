"""On Spark the matcher-input query parses each row's ``properties`` once, on DuckDB in place.

Spark shares no common subexpression inside ``CASE`` branches or right of ``AND``, so the
Spark dialect's tests read one projected ``try_parse_json`` column; the physical plan of real
local Spark must hold a single JSON parse (not inlined back into a filter or the stage tests).
Equal answers are ``test_spark_match_query.py``'s and ``test_spark_conditions.py``'s job.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from headway.backends.duckdb_dialect import DUCKDB_SQL
from headway.backends.spark.backend import spark_params
from headway.backends.spark.sql import SPARK_SQL
from headway.engine.kernel.inputs import match_query
from headway.engine.options import ReportOptions
from headway.model.journey import parse_journey

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

TYPES = {"page_visit": 1, "email_open": 2, "form_submission": 3}
OPTIONS = ReportOptions(as_of=datetime(2025, 4, 1))
JOURNEY = parse_journey(
    {
        "name": "five tests of properties",
        "stages": [
            {
                "name": "blog",
                "when": {"type": "page_visit", "where": {"url": {"starts_with": "/b"}}},
            },
            {"name": "open", "when": {"type": "email_open"}},
            {"name": "pricing", "when": {"type": "page_visit", "where": {"url": "/pricing"}}},
            {"name": "trial", "when": {"type": "form_submission", "where": {"form": "trial"}}},
        ],
        "exclusions": [
            {
                "when": {"type": "page_visit", "where": {"n": {"gte": 2}}},
                "between": ["blog", "trial"],
            }
        ],
    }
)


@pytest.fixture(scope="module")
def views(spark: SparkSession) -> Iterator[None]:
    activity = "id BIGINT, contact_key BIGINT, type_code INT, ts TIMESTAMP, properties STRING,"
    spark.createDataFrame([], activity + " source STRING, bot BOOLEAN").createOrReplaceTempView(
        "activity_log"
    )
    spark.createDataFrame([], "key BIGINT, id STRING, attributes STRING").createOrReplaceTempView(
        "contacts"
    )
    yield
    spark.catalog.dropTempView("activity_log")
    spark.catalog.dropTempView("contacts")


def test_spark_sql_parses_once_duckdb_sql_in_place() -> None:
    spark_text = match_query(JOURNEY, TYPES, OPTIONS, sql=SPARK_SQL).tree.sql(dialect="spark")
    duck_text = match_query(JOURNEY, TYPES, OPTIONS, sql=DUCKDB_SQL).tree.sql(dialect="duckdb")
    assert spark_text.upper().count("TRY_PARSE_JSON") == 1
    assert "properties_json" not in duck_text
    assert "FROM activity_log AS a WHERE" in duck_text


def test_spark_plan_has_one_parse(spark: SparkSession, views: None) -> None:
    query = match_query(JOURNEY, TYPES, OPTIONS, sql=SPARK_SQL)
    frame = spark.sql(query.tree.sql(dialect="spark"), args=spark_params(query.params))
    plan = frame._jdf.queryExecution().executedPlan().toString()
    assert plan.count("parseJson") == 1, plan
