"""Identity merges: what resolving contact keys through ``activity_log`` costs the funnel.

Builds (once) a store from the funnel benchmark's generated log (default 10M activities,
500k contacts), then times the bench journey's match + funnel in one process, uncached,
in four states of the same store:

* ``bare``: no merges; ``activity_log`` is ``SELECT * FROM activities`` (what a store
  without merges runs);
* ``join, empty``: the resolving view forced on with no merges (what every store would pay
  if the view always joined: the reason the view is switched on only while merges exist);
* ``merged 10%`` / ``merged 50%``: that share of the contacts recorded as aliases of other
  contacts (claims through ``store.identities``; the time to record them is printed too).

    .venv/bin/python bench/identities.py                         # 10M / 500k, 5 runs each
    .venv/bin/python bench/identities.py --rows 2000000 --contacts 100000 --runs 3
"""

from __future__ import annotations

import sys

if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]

import argparse
import shutil
import statistics
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from funnel import AS_OF, DATA, JOURNEY, Size, generate  # noqa: E402
from headway.api import Headway, options  # noqa: E402
from headway.engine.funnel.report import funnel_report  # noqa: E402
from headway.engine.kernel.run import match_journey  # noqa: E402
from headway.ingest.presets import IdentityClaim  # noqa: E402
from headway.model.journey import parse_journey  # noqa: E402
from headway.store import Store, identities  # noqa: E402


def build(size: Size, seed: int) -> Path:
    """A store holding the generated log (built once per size)."""
    path = DATA / f"identities-{size.rows}-{size.contacts}-{seed}.duckdb"
    if path.exists():
        return path
    _, hw_file = generate(size, seed)
    t0 = time.perf_counter()
    with Store(path) as store:

        def load(conn):  # type: ignore[no-untyped-def]
            conn.execute(
                f"""CREATE OR REPLACE TEMP VIEW _bench_src AS
                SELECT id, contact, type, ts, CAST(properties AS VARCHAR) AS properties,
                       false AS bot, NULL::VARCHAR AS bot_reason, 'import' AS source
                FROM read_parquet('{hw_file}')"""
            )
            return store.append_relation(conn, "_bench_src")

        result = store.write(load)
    print(f"store built in {time.perf_counter() - t0:.1f} s: {result}", flush=True)
    return path


def time_funnels(paths: dict[str, Path], runs: int) -> dict[str, tuple[float, float, list[int]]]:
    """Per state: median wall and CPU seconds of an uncached match + funnel, stage counts.

    The states are run in turn within each round, so a busy machine slows them alike."""
    journey = parse_journey(JOURNEY)
    opts = options(AS_OF, None)
    stores = {name: Store(path) for name, path in paths.items()}
    try:
        hws = {name: Headway(store) for name, store in stores.items()}
        for hw in hws.values():
            funnel_report(match_journey(hw.backend, journey, opts))  # warm-up
        wall: dict[str, list[float]] = {name: [] for name in paths}
        cpu: dict[str, list[float]] = {name: [] for name in paths}
        reached: dict[str, list[int]] = {}
        for _ in range(runs):
            for name, hw in hws.items():
                t0, c0 = time.perf_counter(), time.process_time()
                report = funnel_report(match_journey(hw.backend, journey, opts))
                wall[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
                reached[name] = [s.reached for s in report.stages]
    finally:
        for store in stores.values():
            store.close()
    return {
        name: (statistics.median(wall[name]), statistics.median(cpu[name]), reached[name])
        for name in paths
    }


def merge_share(path: Path, share: float, contacts: int) -> tuple[float, int]:
    """Record ``share`` of the contacts as aliases of other contacts; seconds and links."""
    step = round(1 / share)
    claims = [
        IdentityClaim(f"c{i}", f"c{i + 1}", datetime(2025, 1, 1), f"merge-{i}", "bench")
        for i in range(0, contacts - 1, step)
    ]
    with Store(path) as store:
        t0 = time.perf_counter()
        identities.claim(store, claims)
        seconds = time.perf_counter() - t0
        merged = store.execute("SELECT count(*) FROM identity_resolved").scalar()
    return seconds, int(merged)


def force_join(path: Path) -> None:
    """The resolving view with no merges (the always-join design)."""
    with Store(path) as store:
        store.write(lambda conn: conn.execute(identities.RESOLVED_VIEW))


def main() -> None:
    """Build, prepare the four states, then time them in turn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--contacts", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    size = Size(args.rows, args.contacts)
    base = build(size, args.seed)
    names = ("bare", "join, empty", "merged 10%", "merged 50%")
    paths = {name: base.with_name(f"{base.stem}-{i}.duckdb") for i, name in enumerate(names)}
    for path in paths.values():
        shutil.copy(base, path)
    force_join(paths["join, empty"])
    for name, share in (("merged 10%", 0.1), ("merged 50%", 0.5)):
        recorded, merged = merge_share(paths[name], share, args.contacts)
        print(f"{name}: {merged:,} ids merged, claims recorded in {recorded:.1f} s", flush=True)
    print(f"{size.label} activities, {args.contacts:,} contacts, {args.runs} rounds (median)")
    results = time_funnels(paths, args.runs)
    bare_wall, bare_cpu, _ = results["bare"]
    for name, (wall, cpu, reached) in results.items():
        print(
            f"{name:<12} wall {wall:7.3f} s ({wall / bare_wall:.2f}x)"
            f"  cpu {cpu:7.3f} s ({cpu / bare_cpu:.2f}x)  {reached}",
            flush=True,
        )
    for path in paths.values():
        path.unlink()


if __name__ == "__main__":
    main()
