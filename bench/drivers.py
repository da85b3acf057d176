"""Drivers benchmark: the drivers of every transition of a 5-stage journey vs the funnel
report itself, on the same store.

Reuses the seeded marketing-shaped log and Headway store of ``bench/funnel.py`` (generated and
imported once under ``bench/data/``; 20M activities / 1M contacts by default). Then it
alternately times, as whole processes (start-up included, ``/usr/bin/time`` for peak RSS):

* ``headway --db STORE funnel bench-drivers-journey.yaml --json`` — the funnel report;
* ``headway --db STORE drivers bench-drivers-journey.yaml --json`` — drivers of the four
  steps and of entry → conversion: one match, one touchpoint query, one first-activity query,
  the 2×2 tables and exact tests.

It prints medians of wall time, peak RSS and the ratio drivers / funnel (goal ≤ 3).

    .venv/bin/python bench/drivers.py                      # 20M / 1M, 5 runs
    .venv/bin/python bench/drivers.py --sizes 20000:2000 --runs 1
"""

from __future__ import annotations

import sys

# Run as a script, this directory comes first on sys.path; drop it (as bench/funnel.py does).
if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]

import argparse
import importlib.util
import json
import statistics
from pathlib import Path
from types import ModuleType

from headway.store import Store

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2025-04-01T00:00:00Z"

# Five stages over the log's page visits and forms, so that email events, other pages,
# purchases and logins remain touchpoints.
JOURNEY = """\
name: Bench drivers
order: ordered
window: 7d
stages:
  - name: Home
    when: {type: page_visit, where: {url: /}}
  - name: Blog
    when: {type: page_visit, where: {url: {starts_with: /blog}}}
  - name: Docs
    when: {type: page_visit, where: {url: {starts_with: /docs}}}
  - name: Pricing
    when: {type: page_visit, where: {url: /pricing}}
  - name: Trial
    when: {type: form_submission, where: {form: trial}}
"""


def funnel_bench() -> ModuleType:
    """``bench/funnel.py`` as a module (its generator, store builder and process timer)."""
    spec = importlib.util.spec_from_file_location("funnel_bench", ROOT / "bench" / "funnel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def bench(fb: ModuleType, size: object, seed: int, runs: int) -> dict[str, float]:
    """Alternate funnel and drivers runs on one size; medians and ratio."""
    print(f"== {size.label} activities / {size.contacts:,} contacts", flush=True)  # type: ignore[attr-defined]
    store = fb.build_store(size, seed, fb.generate(size, seed)[1])
    Store(store).close()  # a store cached by an older version gets its migrations first
    journey = fb.DATA / "bench-drivers-journey.yaml"
    journey.write_text(JOURNEY)
    base = [str(ROOT / ".venv/bin/headway"), "--db", str(store)]
    tail = [str(journey), "--json", "--as-of", AS_OF]
    funnel_cmd, drivers_cmd = [*base, "funnel", *tail], [*base, "drivers", *tail]
    funnel_runs, drivers_runs = [], []
    for i in range(runs):
        funnel_runs.append(fb.run(funnel_cmd))
        drivers_runs.append(fb.run(drivers_cmd))
        print(
            f"  run {i + 1}: funnel {funnel_runs[-1].seconds:.2f} s, "
            f"drivers {drivers_runs[-1].seconds:.2f} s",
            flush=True,
        )
    report = json.loads(drivers_runs[0].output)
    tested = sum(t["tested"] for t in report["transitions"])
    f_s = statistics.median(t.seconds for t in funnel_runs)
    d_s = statistics.median(t.seconds for t in drivers_runs)
    f_mb = max(t.peak_mb for t in funnel_runs)
    d_mb = max(t.peak_mb for t in drivers_runs)
    print(f"  {len(report['transitions'])} transitions, {tested} touchpoints tested")
    print(f"  funnel median {f_s:.2f} s (peak {f_mb:.0f} MiB)")
    print(f"  drivers median {d_s:.2f} s (peak {d_mb:.0f} MiB)")
    print(f"  ratio drivers/funnel = {d_s / f_s:.2f} (goal <= 3)")
    return {
        "funnel": f_s,
        "drivers": d_s,
        "ratio": d_s / f_s,
        "funnel_mb": f_mb,
        "drivers_mb": d_mb,
    }


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="20000000:1000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    fb = funnel_bench()
    results = {s.label: bench(fb, s, args.seed, args.runs) for s in fb.parse_sizes(args.sizes)}
    print("\n| size | funnel (s) | drivers (s) | drivers / funnel | funnel MiB | drivers MiB |")
    print("|---|---|---|---|---|---|")
    for label, r in results.items():
        print(
            f"| {label} | {r['funnel']:.2f} | {r['drivers']:.2f} | {r['ratio']:.2f} "
            f"| {r['funnel_mb']:.0f} | {r['drivers_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
