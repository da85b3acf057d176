"""Where Headway's funnel spends its time on Spark: one session, the pipeline step by step.

    .venv/bin/python bench/spark_profile.py bench/data/spark-20000000-1000000-42

Times, in one ``local[2]`` session with ``bench/spark.py``'s configuration: the session
start (JVM), the type dictionary (a distinct scan of the type column), reading the candidate
rows by type alone, the matcher-input query (type + JSON conditions), the same rows
repartitioned by contact into a ``mapInArrow`` that only counts them (the shuffle and the
Arrow transfer to Python), and the whole ``map_contacts`` with the journey kernel. Each step
is a separate Spark job over the same Parquet, so the differences are the costs of JSON
conditions, shuffle and kernel.
"""

from __future__ import annotations

import sys

if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]

import argparse
import os
import time
from datetime import datetime
from pathlib import Path

T0 = time.perf_counter()
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Print one line per step: seconds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source")
    parser.add_argument("--journey", default=str(ROOT / "bench" / "data" / "bench-journey.yaml"))
    parser.add_argument("--partitions", type=int, default=None)
    parser.add_argument("--steps", default="types,scan,query,shuffle,kernel")
    args = parser.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    import pyarrow as pa
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from headway.backends.spark.backend import SparkBackend
    from headway.engine.kernel.inputs import match_query
    from headway.engine.kernel.match_kernel import MatchKernel
    from headway.engine.kernel.run import match_spec
    from headway.engine.options import ReportOptions
    from headway.model.journey import load_journey_file

    spec = __import__("importlib").util.spec_from_file_location(
        "bench_spark", ROOT / "bench" / "spark.py"
    )
    bench = __import__("importlib").util.module_from_spec(spec)
    sys.modules["bench_spark"] = bench
    spec.loader.exec_module(bench)

    builder = SparkSession.builder.master("local[2]").appName("headway-profile")
    for key, value in {
        **bench.BENCH_CONF,
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
    }.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    print(f"session start (JVM)      {time.perf_counter() - T0:7.2f} s", flush=True)

    def step(name: str, fn) -> None:  # type: ignore[no-untyped-def]
        if name.split()[0] not in args.steps.split(","):
            return
        t = time.perf_counter()
        out = fn()
        print(f"{name:24} {time.perf_counter() - t:7.2f} s  {out}", flush=True)

    backend = SparkBackend(spark, args.source, partitions=args.partitions)
    journey = load_journey_file(args.journey)
    options = ReportOptions(as_of=datetime(2025, 4, 1))
    step("types dictionary", lambda: len(backend.type_codes()))
    codes = backend.type_codes()
    raw = spark.read.parquet(str(Path(args.source) / "activities"))
    types = ["page_visit", "email_open", "email_click", "form_submission"]
    step("scan by type", lambda: raw.where(F.col("type").isin(*types)).count())
    query = match_query(journey, codes, options, sql=backend.sql)
    step("query (type + JSON)", lambda: backend._frame(query).count())

    schema = pa.schema([pa.field("rows", pa.int64())])

    def count_rows(batches):  # type: ignore[no-untyped-def]
        n = sum(b.num_rows for b in batches)
        yield pa.record_batch([pa.array([n], pa.int64())], schema=schema)

    def shuffled() -> int:
        frame = backend._frame(query).repartition(backend._partition_count(), "contact_key")
        with backend._session(1_000_000):
            return int(sum(r["rows"] for r in frame.mapInArrow(count_rows, "rows long").collect()))

    step("shuffle + Arrow to Python", shuffled)
    kernel = MatchKernel(match_spec(journey))

    def matched() -> int:
        return sum(
            t.num_rows for t in backend.map_contacts(query, "contact_key", kernel, kernel.schema)
        )

    step("kernel (map_contacts)", matched)
    print(f"partitions {backend._partition_count()}; total {time.perf_counter() - T0:.2f} s")
    spark.stop()


if __name__ == "__main__":
    main()
