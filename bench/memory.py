"""Memory benchmark: peak RSS and wall time of a whole ``headway funnel`` process.

For each size (default 20M activities / 1M contacts, then 100M / 5M) it times, as whole
processes under ``/usr/bin/time``::

    headway --db STORE funnel bench-journey.yaml --json --as-of 2025-04-01T00:00:00Z

with this tree's code ("after") and, with ``--before REV``, with the code of commit REV
("before", checked out into a temporary git worktree and run from its ``src`` on the same
interpreter), alternating the two, and prints the medians of wall time and the largest peak
RSS beside the goal (≤ 2 GiB; time no worse than before). Both must print the same report.
The data and stores are bench/funnel.py's (generated and imported once under bench/data/);
``--store LABEL=PATH`` uses an existing store instead (e.g. a 100M store built otherwise).

    .venv/bin/python bench/memory.py --before 78e9b0f^ --runs 3
    .venv/bin/python bench/memory.py --sizes 20000000:1000000 --memory 1GiB
"""

from __future__ import annotations

import sys

# Run as a script, this directory comes first on sys.path; drop it so that no sibling
# benchmark module shadows a standard-library module.
if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]

import argparse
import statistics
import subprocess
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.funnel import (
    AS_OF,
    DATA,
    JOURNEY,
    ROOT,
    Timing,
    build_store,
    generate,
    parse_sizes,
    run,
)

GOAL_BYTES = 2 * 1024**3
LAUNCH = "import sys; from headway.cli import main; sys.argv[0] = 'headway'; main()"


def headway_cmd(src: Path | None, store: Path, journey: Path, memory: str | None) -> list[str]:
    """The funnel command on ``store``; ``src``: run that checkout's code instead."""
    base = [str(ROOT / ".venv/bin/headway")]
    if src is not None:
        base = ["env", f"PYTHONPATH={src}", sys.executable, "-c", LAUNCH]
    options = ["--memory", memory] if memory else []
    command = ["--db", str(store), "funnel", str(journey), "--json", "--as-of", AS_OF]
    return [*base, *options, *command]


def checkout(rev: str, into: Path) -> Path:
    """A detached worktree of ``rev``; its ``src`` directory."""
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(into), rev],
        check=True,
        capture_output=True,
    )
    return into / "src"


def measure(label: str, cmds: dict[str, list[str]], runs: int) -> dict[str, list[Timing]]:
    """Alternate the commands ``runs`` times after one untimed warm-up each (numba cache)."""
    for cmd in cmds.values():
        run(cmd)
    timings: dict[str, list[Timing]] = {name: [] for name in cmds}
    for i in range(runs):
        for name, cmd in cmds.items():
            timings[name].append(run(cmd))
        line = ", ".join(
            f"{n} {t[-1].seconds:.2f} s ({t[-1].cpu:.2f} CPU-s) / {t[-1].peak_mb / 1024:.2f} GiB"
            for n, t in timings.items()
        )
        load = Path("/proc/loadavg").read_text().split()[0]
        print(f"  {label} run {i + 1}: {line}, load {load}", flush=True)
    return timings


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="20000000:1000000,100000000:5000000")
    parser.add_argument("--store", action="append", default=[], help="LABEL=PATH (repeatable)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", help="commit whose code is timed as 'before'")
    parser.add_argument("--memory", help="--memory for the 'after' runs (default: 2GiB)")
    args = parser.parse_args()

    stores: dict[str, Path] = {}
    if args.store:
        for item in args.store:
            label, _, path = item.partition("=")
            stores[label] = Path(path)
    else:
        for size in parse_sizes(args.sizes):
            stores[size.label] = build_store(size, args.seed, generate(size, args.seed)[1])
    journey = DATA / "bench-journey.yaml"
    journey.write_text(JOURNEY)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        before_src = checkout(args.before, Path(tmp) / "before") if args.before else None
        try:
            for label, store in stores.items():
                print(f"== {label}: {store}", flush=True)
                cmds = {"after": headway_cmd(None, store, journey, args.memory)}
                if before_src is not None:
                    cmds = {"before": headway_cmd(before_src, store, journey, None), **cmds}
                timings = measure(label, cmds, args.runs)
                outputs = {t.output for ts in timings.values() for t in ts}
                same = len(outputs) == 1
                for name, ts in timings.items():
                    seconds = statistics.median(t.seconds for t in ts)
                    peak = max(t.peak_mb for t in ts) / 1024
                    rows.append((label, name, seconds, peak, same))
        finally:
            if before_src is not None:
                subprocess.run(
                    [
                        "git",
                        "-C",
                        str(ROOT),
                        "worktree",
                        "remove",
                        "--force",
                        str(Path(tmp) / "before"),
                    ],
                    capture_output=True,
                )
    print("\n| size | code | wall (median) | peak RSS | goal ≤ 2 GiB | same report |")
    print("|---|---|---:|---:|---|---|")
    for label, name, seconds, peak, same in rows:
        ok = "met" if peak * 1024**3 <= GOAL_BYTES else "NOT met"
        print(
            f"| {label} | {name} | {seconds:.2f} s | {peak:.2f} GiB | {ok} | {'yes' if same else 'NO'} |"
        )
    if not all(r[4] for r in rows):
        raise SystemExit("the reports differ between runs")


if __name__ == "__main__":
    main()
