"""The driver of a Spark application: a journey through the Spark backend on a master URL.

    python tests/backends/spark_driver.py spark://127.0.0.1:7077 EXPORT_DIR JOURNEY AS_OF OUT

Runs as its own process (a test process may already hold a local SparkContext, and a process
has one): opens the export at ``EXPORT_DIR`` with ``headway.open(spark=..., source=...)``,
matches ``JOURNEY`` as of ``AS_OF`` and writes each contact's result to ``OUT.parquet`` and the
funnel report and the executors that ran to ``OUT.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import headway
from headway.engine.kernel.run import Matched


def contact_results(hw: headway.Headway, matched: Matched) -> pa.Table:
    """One row per contact (by external id, sorted): stages reached, removed, stage and exit times."""
    result = matched.result
    table = pa.table(
        {
            "contact": pa.array(hw.backend.contact_ids(result.contact).tolist(), pa.string()),
            "reached": pa.array(result.reached, pa.int16()),
            "removed": pa.array(result.removed, pa.bool_()),
            "stage_ts": pa.array(result.stage_ts.tolist(), pa.list_(pa.int64())),
            "exit_ts": pa.array(result.exit_ts, pa.int64()),
        }
    )
    return table.sort_by("contact")


def main(master: str, source: str, journey: str, as_of: str, out: str) -> None:
    """Run the journey on ``master`` and write the results beside ``out``."""
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(master)
        .appName("headway-standalone-test")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", "512m")
        .config("spark.executor.memory", "512m")
        .config("spark.executor.cores", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        # Schedule nothing until both workers' executors are there, so both do the work.
        .config("spark.scheduler.minRegisteredResourcesRatio", "1.0")
        .config("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        hw = headway.open(spark=spark, source=source)
        matched = hw.match(journey, as_of=as_of)
        pq.write_table(contact_results(hw, matched), f"{out}.parquet")
        funnel = hw.funnel(journey, as_of=as_of).to_dict()
        executors = [e.host for e in spark.sparkContext.statusTracker().getExecutorInfos()]
        Path(f"{out}.json").write_text(
            json.dumps({"funnel": funnel, "executors": executors}, default=str)
        )
    finally:
        spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:6])
