"""The append path's CPU per 1,000 activities: HTTP-shaped batches into a pre-filled store.

Each side (this tree, and with ``--before REV`` the code of commit REV checked out into a
temporary git worktree) runs in its own subprocess on this interpreter: it fills a fresh store
with ``--rows`` activities (the bulk path, as ``bench/serve_ingest.py --prefill`` does), then
appends batches of 1,000 activities made as ``bench/serve_ingest.py`` makes them (mixed types,
validated as the HTTP route validates them, untimed) through ``Store.append_activities`` — the
path every HTTP batch takes — and measures the process CPU time of each append (every thread:
the writer and DuckDB's). The first ``--warm`` batches are untimed (the in-memory indexes are
built, the batches' common paths get their typed columns). Sides alternate ``--runs`` times,
each run on a fresh copy of the side's pre-filled store.

Each side prints a checksum of every table the appends write; tables both sides have must
agree (a change to the append path must store exactly the same).

    .venv/bin/python bench/append.py --before 6d84e34 --runs 3
"""

# ruff: noqa: E402 (imports follow the sys.path fix below)
from __future__ import annotations

import sys

# bench/ holds email.py: keep this folder off the path so that the standard library's ``email``
# package is the one imported.
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("/bench") and p != "bench"]

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Tables the append path writes, and how a checksum reads each (order-independent).
TABLES = (
    "activities",
    "activity_types",
    "contacts",
    "catalog_types",
    "catalog_type_contacts",
    "catalog_properties",
    "catalog_values",
    "property_columns",
    "email_pairs",
    "email_engagement",
)
SKIP_COLUMNS = {"created_at", "updated_at", "added_at"}  # wall-clock stamps


def _serve_ingest() -> Any:
    """bench/serve_ingest.py as a module (its batch maker and pre-fill)."""
    spec = importlib.util.spec_from_file_location("serve_ingest", ROOT / "bench/serve_ingest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["serve_ingest"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def child(args: argparse.Namespace) -> None:
    """One side: pre-fill (``--prefill``) or time the appends on a copy (``--db``)."""
    sys.path.insert(0, args.src)  # this side's code, imported before serve_ingest's own path
    from headway.ingest.records import validate_records
    from headway.store import Store

    serve_ingest = _serve_ingest()
    if args.prefill:
        serve_ingest.prefill(Path(args.db), args.rows, args.contacts)
        return
    data = serve_ingest.make_batches(args.warm + args.batches, 1000, args.contacts, "b", 7)
    import orjson

    tables = []
    for body in data.bodies:
        table, problems = validate_records(orjson.loads(body), source="api")
        assert not problems
        tables.append(table)
    cpu = []
    with Store(Path(args.db)) as store:
        for i, table in enumerate(tables):
            start = time.process_time()
            result = store.append_activities(table)
            if i >= args.warm:
                cpu.append(time.process_time() - start)
            assert result.accepted == table.num_rows
        sums = checksums(store)
    print(json.dumps({"cpu": cpu, "sums": sums}))


def checksums(store: Any) -> dict[str, str]:
    """An order-independent checksum of every written table this side's store has."""
    out = {}
    conn = store.cursor()
    for table in TABLES:
        try:
            cols = [r[0] for r in conn.execute(f"DESCRIBE {table}").fetchall()]
        except Exception:  # a table this side's schema lacks
            continue
        cols = [c for c in cols if c not in SKIP_COLUMNS]
        row = conn.execute(
            f"SELECT count(*), sum(hash({', '.join(cols)})::HUGEINT) FROM {table}"
        ).fetchone()
        out[table] = f"{row[0]}:{row[1]}" if row else ""
    return out


def checkout(rev: str, where: Path) -> Path:
    """``rev``'s tree in a temporary git worktree; its ``src``."""
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), rev],
        check=True,
        capture_output=True,
    )
    return where / "src"


def run_child(src: Path, *extra: str) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--src", str(src), *extra]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    lines = out.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    """Run the sides, print per-1,000 CPU and whether the stored tables agree."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="pre-filled activities")
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--batches", type=int, default=100, help="timed batches per run")
    parser.add_argument("--warm", type=int, default=60, help="untimed batches first")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", help="commit whose code is timed as 'before'")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prefill", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--src", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    common = ["--rows", str(args.rows), "--contacts", str(args.contacts)]
    timing = [*common, "--batches", str(args.batches), "--warm", str(args.warm)]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        sides = {"after": ROOT / "src"}
        if args.before:
            sides = {"before": checkout(args.before, base / "before"), **sides}
        try:
            for name, src in sides.items():
                print(f"pre-filling {args.rows:,} activities ({name}) ...", flush=True)
                run_child(src, "--prefill", "--db", str(base / f"{name}.duckdb"), *common)
            cpu: dict[str, list[float]] = {name: [] for name in sides}
            sums: dict[str, dict[str, str]] = {}
            for r in range(args.runs):
                for name, src in sides.items():
                    db = base / f"{name}-run.duckdb"
                    shutil.copy(base / f"{name}.duckdb", db)
                    load = loadavg()
                    out = run_child(src, "--db", str(db), *timing)
                    os.unlink(db)
                    cpu[name].extend(out["cpu"])
                    if sums.setdefault(name, out["sums"]) != out["sums"]:
                        print(f"  {name}: the stored tables differ between runs")
                    ms = [c * 1000 for c in out["cpu"]]
                    print(
                        f"  run {r + 1} {name}: CPU per 1,000 activities median "
                        f"{statistics.median(ms):.1f} ms, mean {statistics.mean(ms):.1f} ms "
                        f"(load {load} -> {loadavg()})",
                        flush=True,
                    )
        finally:
            if args.before:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base / "before")],
                    capture_output=True,
                )
    print(f"\n{args.rows:,} activities pre-filled, {args.batches} timed batches of 1,000 per run")
    print("| code | CPU ms per 1,000 (median) | mean | p90 |")
    print("|---|---:|---:|---:|")
    for name, values in cpu.items():
        ms = sorted(c * 1000 for c in values)
        p90 = ms[int(0.9 * (len(ms) - 1))]
        print(f"| {name} | {statistics.median(ms):.1f} | {statistics.mean(ms):.1f} | {p90:.1f} |")
    if len(sums) > 1:
        shared = set.intersection(*(set(s) for s in sums.values()))
        differ = sorted(t for t in shared if len({s[t] for s in sums.values()}) > 1)
        print(f"tables both sides write: {', '.join(sorted(shared))}")
        print("stored tables agree" if not differ else f"stored tables DIFFER: {differ}")


if __name__ == "__main__":
    main()
