"""Spark: the matcher-input query with each row's JSON parsed once vs parsed in each test.

    .venv/bin/python bench/spark_parse_once.py bench/data/spark-20000000-1000000-42 \
        --buckets 2 --runs 7

Over the first ``--buckets`` contact buckets of a ``headway export`` (2 of 20 buckets of the
20M export: 2M activities), one Spark ``local[2]`` session builds the benchmark journey's
matcher-input query with the Spark dialect as it runs (``parse once``: one projected
``try_parse_json`` column the tests read) and with the dialect's ``parse_once`` hook off
(``in place``: ``try_parse_json`` inside every test, as before), and alternates them, each a
``count`` and ``sum(stage_mask)`` of the query's rows (both must agree). Prints wall and CPU
seconds (user + system of this process and its children, the JVM included, from ``/proc``)
and the load average; run 0 warms the JVM up.
"""

from __future__ import annotations

import sys

if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]

import argparse
import json
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from headway.backends.spark.sql import SparkSql

ROOT = Path(__file__).resolve().parent.parent


class InPlace(SparkSql):
    """The Spark dialect with ``parse_once`` off: each test parses the JSON itself."""

    def parse_once(self, props: Any, column: Any) -> None:
        """None: parse in place."""
        return None


def tree_cpu() -> float:
    """User + system seconds of this process and all its descendants (the JVM included)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    seconds: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        seconds[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [os.getpid()]
    while todo:
        pid = todo.pop()
        total += seconds.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


def subset(source: Path, buckets: int, into: Path) -> Path:
    """An export of the first ``buckets`` buckets of ``source`` (links, nothing copied)."""
    (into / "activities").mkdir()
    (into / "_headway_export.json").write_text((source / "_headway_export.json").read_text())
    (into / "contacts").symlink_to((source / "contacts").resolve())
    for k in range(buckets):
        (into / "activities" / f"bucket={k}").symlink_to(
            (source / "activities" / f"bucket={k}").resolve()
        )
    return into


def main() -> None:
    """Print one line per query run: wall seconds, CPU seconds, rows, load."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source")
    parser.add_argument("--buckets", type=int, default=2)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--journey", default=str(ROOT / "bench" / "data" / "bench-journey.yaml"))
    parser.add_argument("--explain", action="store_true", help="print both physical plans")
    args = parser.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from headway.backends.spark.backend import SparkBackend
    from headway.engine.kernel.inputs import match_query
    from headway.engine.options import ReportOptions
    from headway.model.journey import load_journey_file

    builder = SparkSession.builder.master("local[2]").appName("headway-parse-once")
    for key, value in {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "8",
        "spark.driver.memory": "4g",
        "spark.sql.session.timeZone": "UTC",
    }.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    with tempfile.TemporaryDirectory() as tmp:
        backend = SparkBackend(spark, str(subset(Path(args.source), args.buckets, Path(tmp))))
        codes = backend.type_codes()
        journey = load_journey_file(args.journey)
        options = ReportOptions(as_of=datetime(2025, 4, 1))
        queries = {
            "in place": match_query(journey, codes, options, sql=InPlace()),
            "parse once": match_query(journey, codes, options, sql=backend.sql),
        }
        if args.explain:
            for name, query in queries.items():
                print(f"== {name}")
                backend._frame(query).explain()
        for run in range(args.runs):
            order = list(queries.items())
            for name, query in order if run % 2 == 0 else order[::-1]:
                wall, cpu = time.perf_counter(), tree_cpu()
                totals = backend._frame(query).agg(
                    F.count("*").alias("rows"), F.sum("stage_mask").alias("masks")
                )
                row = totals.collect()[0]
                line = {
                    "run": run,
                    "query": name,
                    "seconds": round(time.perf_counter() - wall, 2),
                    "cpu": round(tree_cpu() - cpu, 2),
                    "rows": row["rows"],
                    "mask_sum": row["masks"],
                    "load": round(os.getloadavg()[0], 1),
                }
                print(json.dumps(line), flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
