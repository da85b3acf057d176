"""Hand-written PySpark funnels: the reference side of ``bench/spark.py``.

Run as a whole process, as a Spark user would (``python bench/spark_baselines.py FORMULATION
PATH``); prints one JSON object ``{"levels": {level: contacts}, "seconds": ...}``. Each
formulation answers "contacts reaching each stage of the 5-stage journey in order within 7
days" (stage reached only) — the furthest stage of each contact's best attempt, exactly as
DESIGN §5 defines ordered mode for stages with disjoint conditions:

* ``window`` — one shuffle by contact, then running maxima over the candidate rows ordered by
  time (a ``RANGE`` frame, so equal timestamps convert): ``S_k`` = the latest entry time of a
  chain reaching stage ``k`` at this row; a contact reaches ``k`` iff some stage-``k`` row has
  ``ts - S_k <= 7 days``. Exact: for a fixed stage-``k`` activity the latest possible entry is
  the best one.
* ``aggregate`` — per contact, ``collect_list`` of (ts, stage), ``array_sort``, and the same
  recurrence as an ``aggregate`` higher-order function over the sorted array.
* ``join`` — range self-joins of the stage-filtered rows (stage ``k+1`` at or after stage
  ``k``, within 7 days of the entry), keeping the latest entry per stage-``k`` row.
* ``arrow`` — ``groupBy(contact).applyInArrow`` with the recurrence in Python per contact
  (``applyInPandas`` would be the same with pandas, which Headway does not install).

``--flat`` reads the flat Parquet with typed ``url`` / ``form`` columns and integer-second
``ts`` instead of the JSON ``properties`` text. ``--typed`` reads a ``headway export`` that
carries typed property columns (its manifest names them): the string columns of ``url`` and
``form`` instead of the JSON, and the export's integer ``contact_key`` as the contact.
"""

from __future__ import annotations

import sys

if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]

import argparse
import json
import time

T0 = time.perf_counter()

WINDOW_US = 7 * 86_400 * 1_000_000
STAGES = 5
TYPES = ("page_visit", "email_open", "email_click", "form_submission")
DEFAULT_CONF = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
    "spark.driver.memory": "4g",
}


def spark_session(conf: dict[str, str]):  # type: ignore[no-untyped-def]
    """A local[2] session with ``conf`` (bench/spark.py passes the one Headway's run gets)."""
    import os

    from pyspark.sql import SparkSession

    # Python workers run this interpreter (the venv's), not whatever python3 is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("funnel-baseline")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
    )
    for key, value in {**DEFAULT_CONF, **conf}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def typed_columns(path: str) -> dict[str, str]:
    """Property name -> its string column, from the manifest of the export ``path`` is the
    ``activities`` directory of."""
    from pathlib import Path

    manifest = json.loads((Path(path).parent / "_headway_export.json").read_text())
    return {
        item["keys"][0]: item["column"]
        for item in manifest.get("typed", [])
        if item["kind"] == "string" and len(item["keys"]) == 1
    }


def candidates(spark, path: str, flat: bool, typed: bool = False):  # type: ignore[no-untyped-def]
    """(contact, t microseconds, stage) for rows matching a stage; others dropped."""
    from pyspark.sql import functions as F

    df = spark.read.parquet(path)
    contact = F.col("contact")
    if flat:
        url, form = F.col("url"), F.col("form")
        t = F.col("ts").cast("long") * F.lit(1_000_000)
    elif typed:
        names = typed_columns(path)
        url, form = F.col(names["url"]), F.col(names["form"])
        t = F.unix_micros(F.col("ts").cast("timestamp"))
        contact = F.col("contact_key")
    else:
        url = F.get_json_object("properties", "$.url")
        form = F.get_json_object("properties", "$.form")
        t = F.unix_micros(F.col("ts").cast("timestamp"))
    typ = F.col("type")
    stage = (
        F.when((typ == "page_visit") & url.startswith("/blog"), 1)
        .when(typ == "email_open", 2)
        .when(typ == "email_click", 3)
        .when((typ == "page_visit") & (url == "/pricing"), 4)
        .when((typ == "form_submission") & (form == "trial"), 5)
    )
    return (
        df.where(typ.isin(*TYPES))
        .select(contact.alias("contact"), t.alias("t"), stage.alias("stage"))
        .where(F.col("stage").isNotNull())
    )


def levels_window(spark, rows):  # type: ignore[no-untyped-def]
    """Running maxima over time-ordered rows per contact (window functions)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = (
        Window.partitionBy("contact")
        .orderBy("t")
        .rangeBetween(Window.unboundedPreceding, Window.currentRow)
    )
    df = rows.withColumn("s1", F.when(F.col("stage") == 1, F.col("t")))
    for k in range(2, STAGES + 1):
        prev = F.max(f"s{k - 1}").over(w)
        df = df.withColumn(f"s{k}", F.when(F.col("stage") == k, prev))
    reached = F.lit(0)
    for k in range(1, STAGES + 1):
        reached = F.greatest(
            reached,
            F.when((F.col("stage") == k) & (F.col("t") - F.col(f"s{k}") <= WINDOW_US), k).otherwise(
                0
            ),
        )
    return df.groupBy("contact").agg(F.max(reached).alias("level"))


def levels_aggregate(spark, rows):  # type: ignore[no-untyped-def]
    """collect_list + array_sort + aggregate over each contact's sorted rows."""
    from pyspark.sql import functions as F

    rows.createOrReplaceTempView("cand")
    m = ", ".join(f"'m{k}', CAST(NULL AS BIGINT)" for k in range(1, STAGES))
    fields = []
    for k in range(1, STAGES):
        if k == 1:
            upd = "IF(x.stage = 1, x.t, acc.m1)"
        else:
            upd = f"IF(x.stage = {k}, greatest(acc.m{k}, acc.m{k - 1}), acc.m{k})"
        fields.append(f"'m{k}', {upd}")
    hit = ["IF(x.stage = 1, 1, 0)"] + [
        f"IF(x.stage = {k} AND x.t - acc.m{k - 1} <= {WINDOW_US}, {k}, 0)"
        for k in range(2, STAGES + 1)
    ]
    fields.append(f"'lvl', greatest(acc.lvl, {', '.join(hit)})")
    sql = f"""
      SELECT contact, aggregate(
          array_sort(collect_list(struct(t, stage))),
          named_struct({m}, 'lvl', 0),
          (acc, x) -> named_struct({", ".join(fields)}),
          acc -> acc.lvl) AS level
      FROM cand GROUP BY contact
    """
    del F
    return spark.sql(sql)


def levels_join(spark, rows):  # type: ignore[no-untyped-def]
    """Range self-joins of stage-filtered rows; latest entry per row of each stage."""
    from pyspark.sql import functions as F

    rows = rows.cache()
    prev = rows.where("stage = 1").select("contact", "t", F.col("t").alias("s"))
    reached = [prev.select("contact", F.lit(1).alias("level"))]
    for k in range(2, STAGES + 1):
        cur = rows.where(f"stage = {k}").select("contact", "t").alias("c")
        p = prev.alias("p")
        joined = cur.join(
            p,
            (F.col("c.contact") == F.col("p.contact"))
            & (F.col("p.t") <= F.col("c.t"))
            & (F.col("c.t") - F.col("p.s") <= WINDOW_US),
        )
        prev = joined.groupBy("c.contact", "c.t").agg(F.max("p.s").alias("s"))
        prev = prev.select(F.col("contact"), F.col("t"), F.col("s"))
        reached.append(prev.select("contact", F.lit(k).alias("level")))
    out = reached[0]
    for r in reached[1:]:
        out = out.unionByName(r)
    return out.groupBy("contact").agg(F.max("level").alias("level"))


def levels_arrow(spark, rows):  # type: ignore[no-untyped-def]
    """groupBy(contact).applyInArrow: the recurrence per contact in numpy (no pandas here)."""
    import numpy as np
    import pyarrow as pa

    def walk(table: pa.Table) -> pa.Table:
        t = table.column("t").to_numpy()
        s = table.column("stage").to_numpy()
        order = np.lexsort((s, t))
        none = -(2**63)  # no chain reaches this stage yet
        m = [none] * (STAGES + 1)
        lvl = 0
        for i in order:
            ti, si = int(t[i]), int(s[i])
            if si == 1:
                m[1] = ti
                lvl = max(lvl, 1)
            elif m[si - 1] != none:
                if ti - m[si - 1] <= WINDOW_US:
                    lvl = max(lvl, si)
                m[si] = max(m[si], m[si - 1])
        return pa.table(
            {"contact": table.column("contact").slice(0, 1), "level": pa.array([lvl], pa.int32())}
        )

    contact = rows.schema["contact"].dataType.simpleString()
    return rows.groupBy("contact").applyInArrow(walk, f"contact {contact}, level int")


FORMULATIONS = {
    "window": levels_window,
    "aggregate": levels_aggregate,
    "join": levels_join,
    "arrow": levels_arrow,
}


def main() -> None:
    """Run one formulation; print its level counts and in-process seconds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("formulation", choices=sorted(FORMULATIONS))
    parser.add_argument("path")
    parser.add_argument("--flat", action="store_true")
    parser.add_argument("--typed", action="store_true", help="an export's typed columns")
    parser.add_argument("--conf", default="{}", help="Spark configuration as a JSON object")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    spark = spark_session(json.loads(args.conf))
    t_session = time.perf_counter() - T0
    rows = candidates(spark, args.path, args.flat, args.typed)
    per_contact = FORMULATIONS[args.formulation](spark, rows)
    counts = per_contact.where("level > 0").groupBy("level").count()
    if args.explain:
        counts.explain()
    levels = {int(r["level"]): int(r["count"]) for r in counts.collect()}
    spark.stop()
    print(
        json.dumps(
            {
                "levels": dict(sorted(levels.items())),
                "session_s": round(t_session, 2),
                "seconds": round(time.perf_counter() - T0, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
