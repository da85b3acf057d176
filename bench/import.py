"""Import benchmark: Headway's validated, deduplicated import vs DuckDB's raw load.

Generates a seeded, marketing-shaped activity file (Parquet, CSV and JSON Lines), then
alternately runs, as whole processes, ``headway --db X import FILE`` and a raw DuckDB
``CREATE TABLE t AS SELECT * FROM read_parquet(...)`` / ``read_csv(...)`` / ``read_json(...)``
into a fresh file. Prints medians of wall time, activities/s, peak RSS and the ratio
(Headway's time over the raw load's; the goal is at most 2x).

    .venv/bin/python bench/import.py --rows 20000000 --runs 5
    .venv/bin/python bench/import.py --rows 20000000 --runs 3 --formats parquet,jsonl
"""

from __future__ import annotations

import sys

# Run as a script, this directory comes first on sys.path, where a sibling benchmark module
# (bench/email.py) would shadow the standard library's ``email`` that duckdb's imports need.
if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
HEADWAY = ROOT / ".venv" / "bin" / "headway"

# Shares of activity types in a marketing log: page visits most common, conversions rare.
TYPES = [
    ("page_visit", 0.50),
    ("email_sent", 0.14),
    ("email_delivered", 0.13),
    ("email_open", 0.11),
    ("email_click", 0.05),
    ("form_submission", 0.03),
    ("email_bounce", 0.015),
    ("email_unsubscribe", 0.01),
    ("purchase", 0.015),
]
URLS = ["/", "/blog", "/pricing", "/docs", "/features", "/signup"]
CAMPAIGNS = ["welcome-1", "welcome-2", "newsletter-42", "webinar-invite", "promo-spring"]

RAW = """
import sys, duckdb
conn = duckdb.connect(sys.argv[1])
name = sys.argv[2]
reader = "read_parquet" if name.endswith(".parquet") else "read_json" if name.endswith(".jsonl") else "read_csv"
conn.execute(f"CREATE TABLE t AS SELECT * FROM {reader}(?)", [sys.argv[2]])
conn.close()
"""


def _type_case(u: str) -> str:
    parts, edge = [], 0.0
    for name, share in TYPES[:-1]:
        edge += share
        parts.append(f"WHEN {u} < {edge:.4f} THEN '{name}'")
    return f"CASE {' '.join(parts)} ELSE '{TYPES[-1][0]}' END"


def _pick(values: list[str], h: str) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    return f"(list_value({listed}))[CAST(1 + {h} % {len(values)} AS BIGINT)]"


def generate(rows: int, seed: int, out: Path, formats: str = "parquet,csv") -> dict[str, Path]:
    """Write the seeded activity file in each of ``formats``; the paths by format."""
    contacts = max(rows // 20, 1)
    conn = duckdb.connect()
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute(
        f"""CREATE TEMP VIEW gen AS
        SELECT 'ev-' || i AS id,
               'c' || (hash(i, {seed}, 1) % {contacts}) || '@example.com' AS contact,
               {_type_case(f"(hash(i, {seed}, 2) % 100000) / 100000.0")} AS type,
               TIMESTAMPTZ '2025-01-01 00:00:00+00'
                 + to_microseconds(CAST(hash(i, {seed}, 3) % 31536000000000 AS BIGINT)) AS ts,
               CASE WHEN hash(i, {seed}, 4) % 2 = 0
                    THEN {_pick(URLS, f"hash(i, {seed}, 5)")} END AS url,
               CASE WHEN hash(i, {seed}, 4) % 2 = 1
                    THEN {_pick(CAMPAIGNS, f"hash(i, {seed}, 6)")} END AS campaign,
               CASE WHEN hash(i, {seed}, 7) % 50 = 0
                    THEN round((hash(i, {seed}, 8) % 50000) / 100.0, 2) END AS value
        FROM range({rows}) r(i)"""
    )
    paths = {f: out / f"activities.{f}" for f in formats.split(",")}
    iso = "strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ')"
    if "parquet" in paths:
        conn.execute("COPY gen TO ? (FORMAT parquet, COMPRESSION zstd)", [str(paths["parquet"])])
    if "csv" in paths:
        conn.execute(
            f"COPY (SELECT * REPLACE ({iso} AS ts) FROM gen) TO ? (FORMAT csv, HEADER true)",
            [str(paths["csv"])],
        )
    if "jsonl" in paths:
        # One object per line, null cells left out (as an exporting tool writes them); the
        # extra fields become properties. Written as single-column CSV without quoting.
        members = " || ".join(
            f"""coalesce(',"{c}":' || to_json({c}), '')""" for c in ("url", "campaign", "value")
        )
        line = (
            """'{"id":' || to_json(id) || ',"contact":' || to_json(contact) || ',"type":' """
            f"""|| to_json(type) || ',"ts":"' || {iso} || '"' || {members} || '}}'"""
        )
        conn.execute(
            f"COPY (SELECT {line} FROM gen) TO ? "
            "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIM '\x01')",
            [str(paths["jsonl"])],
        )
    conn.close()
    return paths


@dataclass
class Run:
    """One whole-process run: wall seconds and peak resident memory in bytes."""

    seconds: float
    peak_rss: int


def run_process(args: list[str]) -> Run:
    """Run a command to completion; its wall time and its own peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {stderr}")
    return Run(seconds, usage.ru_maxrss * 1024)


def _fresh(db: Path) -> Path:
    for p in (db, db.with_suffix(db.suffix + ".wal")):
        p.unlink(missing_ok=True)
    return db


def bench_file(path: Path, rows: int, runs: int, work: Path) -> dict[str, list[Run]]:
    """Alternate Headway and the raw load on one file, ``runs`` times each."""
    results: dict[str, list[Run]] = {"headway": [], "raw": []}
    db = work / "bench.duckdb"
    for _ in range(runs):
        results["headway"].append(
            run_process([str(HEADWAY), "--db", str(_fresh(db)), "import", str(path)])
        )
        results["raw"].append(run_process([sys.executable, "-c", RAW, str(_fresh(db)), str(path)]))
        hw, raw = results["headway"][-1], results["raw"][-1]
        print(
            f"  {path.name}: headway {hw.seconds:.1f} s {hw.peak_rss / 2**30:.2f} GiB, "
            f"raw {raw.seconds:.1f} s {raw.peak_rss / 2**30:.2f} GiB",
            file=sys.stderr,
            flush=True,
        )
    _fresh(db)
    return results


def report(name: str, rows: int, results: dict[str, list[Run]]) -> str:
    """A Markdown table row: medians, activities/s, peak RSS, ratio."""
    hw = statistics.median(r.seconds for r in results["headway"])
    raw = statistics.median(r.seconds for r in results["raw"])
    hw_mem = max(r.peak_rss for r in results["headway"]) / 2**30
    raw_mem = max(r.peak_rss for r in results["raw"]) / 2**30
    return (
        f"| {name} | {rows:,} | {hw:.1f} s | {rows / hw:,.0f} | {hw_mem:.2f} GiB "
        f"| {raw:.1f} s | {rows / raw:,.0f} | {raw_mem:.2f} GiB | {hw / raw:.2f}x |"
    )


def main(argv: list[str] | None = None) -> None:
    """Generate, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=None, help="Where files go (default: tmp).")
    parser.add_argument("--formats", default="parquet,csv,jsonl")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        files = generate(args.rows, args.seed, work, args.formats)
        print(
            f"generated {args.rows:,} activities in {time.perf_counter() - start:.1f} s", flush=True
        )
        print(
            "| file | rows | Headway median | Headway act/s | Headway peak RSS "
            "| raw DuckDB median | raw act/s | raw peak RSS | Headway / raw time (goal <= 2x) |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", flush=True)
        for name in args.formats.split(","):
            results = bench_file(files[name], args.rows, args.runs, work)
            print(report(name, args.rows, results), flush=True)


if __name__ == "__main__":
    main()
