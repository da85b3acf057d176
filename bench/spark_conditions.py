"""Spark condition benchmark: what the exact text pre-check saves before the JSON is parsed.

Takes the first N rows of the funnel benchmark's Headway Parquet (JSON ``properties`` text;
``bench/funnel.py`` writes it), and on Spark ``local[2]`` times, per stage predicate of the
benchmark journey, ``count(*)`` of the rows that match it, compiled three ways:

* ``exact + pre-check`` — Headway's Spark dialect (``backends/spark/sql.py``) as it runs;
* ``exact, no pre-check`` — the same predicate with the raw-text pre-check left out, so
  every candidate row's JSON is parsed;
* ``get_json_object`` — the hand-written form (not exact: ``"5"`` equals ``5``).

All three must count the same rows on this data. Prints seconds (best of ``--runs``).

    .venv/bin/python bench/spark_conditions.py --rows 2000000 --runs 2
"""

from __future__ import annotations

import sys

if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]

import argparse
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from headway.backends.spark.sql import SparkSql
from headway.conditions import Params, Scope, compile_condition
from headway.conditions.sql_dialect import Keys, Test
from headway.model.condition import Match, Predicate

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "bench" / "data" / "funnel-10000000-500000-42-headway.parquet"
# The benchmark journey's property predicates (bench/funnel.py) and their activity types.
CASES = [
    ("page_visit", Predicate("url", "starts_with", "/blog"), "$.url", "LIKE '/blog%'"),
    ("page_visit", Predicate("url", "eq", "/pricing"), "$.url", "= '/pricing'"),
    ("form_submission", Predicate("form", "eq", "trial"), "$.form", "= 'trial'"),
]


class NoPrecheck(SparkSql):
    """The Spark dialect without the raw-text pre-check (to measure what it saves)."""

    def json_string_test(
        self, props: exp.Expr, keys: Keys, test: Test, needle: exp.Expr | None = None
    ) -> exp.Expr:
        """Parse the JSON of every candidate row."""
        return super().json_string_test(props, keys, test, None)

    def json_eq(self, props: exp.Expr, keys: Keys, value: Any, params: Params) -> exp.Expr:
        """Equality through the string test, without a needle."""
        return self.json_string_test(
            props, keys, lambda t: exp.EQ(this=t, expression=exp.cast(params.add(value), "STRING"))
        )


def subset(rows: int) -> Path:
    """The first ``rows`` rows of the benchmark Parquet, properties as plain text."""
    out = ROOT / "bench" / "data" / f"spark-conditions-{rows}.parquet"
    if out.exists():
        return out
    reader = pq.ParquetFile(SOURCE)
    tables, n = [], 0
    for i in range(reader.num_row_groups):
        t = reader.read_row_group(i, columns=["type", "properties"])
        tables.append(t)
        n += t.num_rows
        if n >= rows:
            break
    table = pa.concat_tables(tables).slice(0, rows)
    props = table.column("properties")
    text = pa.chunked_array([c.storage for c in props.chunks], pa.string())
    pq.write_table(pa.table({"type": table.column("type"), "properties": text}), out)
    return out


def main() -> None:
    """Time each predicate compiled three ways."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    path = subset(args.rows)

    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.read.parquet(str(path)).createOrReplaceTempView("t")
    print(f"{args.rows:,} rows of {SOURCE.name}")
    print("| predicate | exact + pre-check (s) | exact, no pre-check (s) | get_json_object (s) |")
    print("|---|---|---|---|")
    for type_name, pred, path_text, plain in CASES:
        times, counts = [], []
        for sql in (SparkSql(), NoPrecheck(), None):
            if sql is None:
                text = f"get_json_object(properties, '{path_text}') {plain}"
                params: dict[str, Any] = {}
            else:
                p = Params()
                scope = Scope({}, sql=sql, properties=exp.column("properties"))
                text = compile_condition(Match(None, (pred,)), scope, p).sql("spark")
                params = p.values
            query = f"SELECT count(*) FROM t WHERE type = '{type_name}' AND {text}"
            best = float("inf")
            for _ in range(args.runs):
                start = time.perf_counter()
                count = spark.sql(query, args=params).collect()[0][0]
                best = min(best, time.perf_counter() - start)
            times.append(best)
            counts.append(count)
        same = "" if len(set(counts)) == 1 else f" COUNTS DIFFER {counts}"
        name = f"{pred.field} {pred.op} {pred.value}"
        print(f"| {name} | {times[0]:.2f} | {times[1]:.2f} | {times[2]:.2f} |{same}")
    spark.stop()


if __name__ == "__main__":
    main()
