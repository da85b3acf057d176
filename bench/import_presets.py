"""Preset import benchmark: records/s of ``--from mixpanel|amplitude|ga4`` next to the plain
JSON Lines path, on the same machine at the same time.

Generates seeded exports of each tool's shape, then stages each file (read, map, validate,
stage in DuckDB: everything but the append) and reports wall time and CPU time per record
(CPU time is what a busy machine does not inflate; with ``--workers`` it counts the importing
process only, so compare wall times then).

    .venv/bin/python bench/import_presets.py --rows 200000 [--workers 4]
"""

from __future__ import annotations

import sys

if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]  # see bench/import.py

import argparse
import random
import tempfile
import time
from pathlib import Path

import duckdb
import orjson

from headway.ingest import jsonlines, tool_exports

BASE = 1740992400


def record(kind: str, i: int, users: int) -> dict[str, object]:
    """One seeded record of ``kind``'s export."""
    user = f"u{random.randrange(users)}"
    if kind == "plain":
        return {"id": f"i{i}", "contact": user, "type": "page_visit", "ts": "2025-03-03T09:00:00Z",
                "properties": {"url": "/x", "n": i}}  # fmt: skip
    if kind == "mixpanel":
        props = {"time": BASE + i, "distinct_id": user, "$insert_id": f"i{i}",
                 "$current_url": "https://x.example/p", "mp_lib": "web", "page.section": "home"}  # fmt: skip
        return {"event": random.choice(["$mp_web_page_view", "Sign Up"]), "properties": props}
    if kind == "amplitude":
        return {"uuid": f"uu-{i}", "event_type": "[Amplitude] Page Viewed", "user_id": user,
                "device_id": "d" + user, "event_time": "2025-03-03 09:00:00.123000",
                "event_properties": {"path": "/x"}, "user_properties": {"plan": "pro"},
                "platform": "Web", "country": "CZ", "city": "Brno"}  # fmt: skip
    value = {"string_value": None, "int_value": None, "float_value": None, "double_value": None}
    return {"event_timestamp": str((BASE + i) * 1_000_000), "event_name": "page_view",
            "user_pseudo_id": user, "user_id": None,
            "event_params": [{"key": "page_location", "value": {**value, "string_value": "https://x/"}},
                             {"key": "ga_session_id", "value": {**value, "int_value": "17410"}}],
            "user_properties": [], "geo": {"country": "Spain", "city": "Sevilla"},
            "device": {"category": "desktop"}}  # fmt: skip


def stage(kind: str, path: Path, workers: int) -> tuple[int, float, float]:
    """(records staged, wall s, CPU s) for one file."""
    conn = duckdb.connect()
    wall, cpu = time.perf_counter(), time.process_time()
    if kind == "plain":
        jsonlines.stage(conn, path, tz=None, source="import", max_details=10)
    else:
        preset = tool_exports.load_preset(kind)
        tool_exports.stage(
            conn, path, "jsonl", preset, tz=None, source=None, max_details=10, workers=workers
        )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = int(conn.execute(f"SELECT count(*) FROM {jsonlines.STAGED}").fetchall()[0][0])
    return rows, wall, cpu


def main() -> None:
    """Generate, stage, print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=1, help="worker processes (presets)")
    args = parser.parse_args()
    random.seed(1)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("plain", "mixpanel", "amplitude", "ga4"):
            path = Path(tmp) / f"{kind}.jsonl"
            with path.open("wb") as f:
                for i in range(args.rows):
                    f.write(orjson.dumps(record(kind, i, max(args.rows // 20, 1))) + b"\n")
            rows, wall, cpu = stage(kind, path, args.workers)
            print(f"{kind:10s} {rows} records  wall {wall:6.2f}s {rows / wall:9,.0f}/s"
                  f"  cpu {cpu:6.2f}s {rows / cpu:9,.0f}/s")  # fmt: skip


if __name__ == "__main__":
    main()
