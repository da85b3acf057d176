"""Discovery benchmark: ``headway types`` / ``properties`` and the catalogue's append cost.

On an existing store (e.g. the 20M store of ``bench/funnel.py``, built by ``headway import``
of its generated file) it times:

* ``headway --db STORE types`` and ``properties`` as whole processes (start-up included) and
  ``Headway.types()`` / ``properties()`` in-process (the catalogue reads alone);
* appends of 10,000-activity batches through the store's group-commit path (the HTTP
  ingestion's), alternately with the catalogue update and with it switched off, in process
  CPU seconds (steadier than wall time on a shared machine) and wall seconds. The batches
  have new ids, contacts drawn from 1M and the generator's property shapes.

    .venv/bin/python bench/discovery.py --db bench/data/funnel-20000000-1000000-42.duckdb

The store grows by ``2 * runs + 1`` batches.
"""

# ruff: noqa: E402 (imports follow the sys.path fix below)
from __future__ import annotations

import sys

# bench/ holds email.py: keep this folder off the path (the standard library's email).
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("/bench") and p != "bench"]

import argparse
import json
import random
import statistics
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from headway.api import Headway
from headway.store import Store, appends

ROOT = Path(__file__).resolve().parent.parent
HEADWAY = ROOT / ".venv" / "bin" / "headway"
TYPES = ["page_visit", "email_open", "email_click", "form_submission", "purchase"]
URLS = ["/", "/blog/a", "/blog/b", "/pricing", "/docs/start", "/docs/api"]


def batch(rng: random.Random, tag: str, size: int) -> pa.Table:
    """``size`` activities with fresh ids."""
    t0 = datetime(2025, 3, 1)
    return pa.table(
        {
            "id": [f"disc-{tag}-{i}" for i in range(size)],
            "contact": [f"c{rng.randrange(1_000_000)}" for _ in range(size)],
            "type": [rng.choice(TYPES) for _ in range(size)],
            "ts": pa.array(
                [t0 + timedelta(seconds=rng.randrange(10**6)) for _ in range(size)],
                pa.timestamp("us"),
            ),
            "properties": [
                json.dumps({"url": rng.choice(URLS), "email": f"newsletter-{rng.randrange(12)}"})
                for _ in range(size)
            ],
            "bot": [False] * size,
            "bot_reason": pa.array([None] * size, pa.string()),
            "source": ["bench"] * size,
        }
    )


def whole_process(db: Path, command: str, runs: int) -> list[float]:
    """Wall seconds of ``headway --db DB COMMAND`` runs."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(HEADWAY), "--db", str(db), command], check=True, capture_output=True)
        out.append(time.perf_counter() - start)
    return out


def appends_with_and_without(store: Store, runs: int, size: int) -> dict[str, list[Any]]:
    """(CPU s, wall s) per batch append, alternating catalogue on / off."""
    rng = random.Random(1)
    record = appends.catalog.record_append
    store.append_activities(batch(rng, f"warm-{time.time()}", size))  # in-memory indexes
    results: dict[str, list[Any]] = {"with": [], "without": []}
    try:
        for r in range(runs):
            for mode in ("without", "with"):
                appends.catalog.record_append = record if mode == "with" else _nothing  # type: ignore[assignment]
                table = batch(rng, f"{mode}-{r}-{time.time()}", size)
                cpu, wall = time.process_time(), time.perf_counter()
                store.append_activities(table)
                results[mode].append((time.process_time() - cpu, time.perf_counter() - wall))
    finally:
        appends.catalog.record_append = record  # type: ignore[assignment]
    return results


def _nothing(*args: Any) -> None:
    return None


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args()
    for command in ("types", "properties"):
        times = whole_process(args.db, command, args.runs)
        print(f"headway {command} (whole process): median {statistics.median(times):.2f} s")
    with Store(args.db) as store:
        rows = store.execute("SELECT count(*) FROM activities").scalar()
        hw = Headway(store)
        for name, call in (("types", hw.types), ("properties", hw.properties)):
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                call()
                times.append(time.perf_counter() - start)
            print(f"Headway.{name}() in-process: median {statistics.median(times) * 1000:.0f} ms")
        print(f"store: {rows:,} activities")
        results = appends_with_and_without(store, args.runs, args.batch)
    for mode, values in results.items():
        cpu = statistics.median(v[0] for v in values)
        wall = statistics.median(v[1] for v in values)
        print(f"append {args.batch:,} ({mode} catalogue): CPU {cpu:.3f} s, wall {wall:.3f} s")


if __name__ == "__main__":
    main()
