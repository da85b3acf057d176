"""Start-up benchmark: what a CLI command costs before it does any work (#13, Build 4).

Times, as whole processes (the console script, as a user runs it), the median of ``--runs``:

* ``headway --help`` (goal ≤ 0.3 s): loading the CLI and printing its commands;
* ``headway funnel`` on a tiny store (the seven-row CSV sample of ``examples/imports``), so
  what is timed is the funnel's fixed cost (goal ≤ 0.4 s): imports, opening the store, the
  input query and the compiled matcher loaded from numba's cache;
* ``headway types`` on ``--db`` (goal ≤ 2 s, #14 measured it at 20M activities), when given.

    .venv/bin/python bench/startup.py --runs 5
    .venv/bin/python bench/startup.py --db bench/data/cat20m.duckdb

``python -X importtime -c 'import headway.cli'`` shows where the rest of the start-up goes.
"""

# ruff: noqa: E402 (imports follow the sys.path fix below)
from __future__ import annotations

import sys

# bench/ holds email.py: keep this folder off the path (the standard library's email).
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("/bench") and p != "bench"]

import argparse
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADWAY = Path(sys.executable).parent / "headway"
SAMPLE = ROOT / "examples" / "imports"
SAMPLE_MAP = "contact=user_id,anonymous=cookie_id,type=event name,ts=time,id=event_id"
PYCACHE = Path(tempfile.gettempdir()) / "headway-bench-pycache"


def compiled_bytecode() -> None:
    """Let the processes started from here keep their compiled bytecode, as an install does.

    With ``PYTHONDONTWRITEBYTECODE`` set (as in this work tree's shell), every source file
    newer than its ``.pyc`` would be compiled again by every process, which a user's installed
    package never pays: write the bytecode under a cache folder of the benchmark's own instead.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.setdefault("PYTHONPYCACHEPREFIX", str(PYCACHE))


def whole_process(args: list[str], runs: int, cpu: list[float] | None = None) -> list[float]:
    """Wall seconds of ``headway ARGS`` runs (after one untimed run: numba's cache, OS cache);
    their CPU seconds (user + system) are appended to ``cpu`` when given."""
    first = subprocess.run([str(HEADWAY), *args], capture_output=True, text=True)
    if first.returncode != 0:
        raise SystemExit(f"headway {' '.join(args)} failed: {first.stderr.strip()}")
    out = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([str(HEADWAY), *args], check=True, capture_output=True)
        out.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if cpu is not None:
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return out


def tiny_store(folder: Path) -> Path:
    """A store of the CSV sample's seven activities."""
    db = folder / "tiny.duckdb"
    command = ["--db", str(db), "import", str(SAMPLE / "events.csv"), "--from", "csv"]
    command += ["--assume-utc", "--map", SAMPLE_MAP]
    subprocess.run([str(HEADWAY), *command], check=True, capture_output=True)
    return db


def report(label: str, times: list[float], goal: float, cpu: list[float]) -> None:
    """One line: median, range, the median CPU seconds and the goal beside it."""
    median = statistics.median(times)
    verdict = "met" if median <= goal else f"not met, {median / goal:.2f}× the goal"
    print(
        f"{label:<34} median {median:5.2f} s  ({min(times):.2f}-{max(times):.2f} s), "
        f"CPU {statistics.median(cpu):.2f} s  goal ≤ {goal:.1f} s: {verdict}"
    )


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", type=Path, help="a store for `headway types` (e.g. 20M)")
    args = parser.parse_args()
    compiled_bytecode()
    print(f"load average {load_average()}", flush=True)
    cpu: list[float] = []
    report("headway --help", whole_process(["--help"], args.runs, cpu), 0.3, cpu)
    with tempfile.TemporaryDirectory() as folder:
        db = tiny_store(Path(folder))
        journey = str(SAMPLE / "events.yaml")
        cpu = []
        funnel = whole_process(["--db", str(db), "funnel", journey], args.runs, cpu)
        report("headway funnel (tiny store)", funnel, 0.4, cpu)
        if args.db is None:
            cpu = []
            types = whole_process(["--db", str(db), "types"], args.runs, cpu)
            report("headway types (tiny store)", types, 2, cpu)
    if args.db is not None:
        cpu = []
        types = whole_process(["--db", str(args.db), "types"], args.runs, cpu)
        report(f"headway types ({args.db.name})", types, 2, cpu)
    print(f"load average {load_average()}")


def load_average() -> str:
    """The 1, 5 and 15-minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
