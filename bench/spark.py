"""Spark benchmark: Headway's funnel on Spark vs a hand-written PySpark funnel, same run.

On the seeded marketing-shaped log of ``bench/funnel.py`` (default 20M activities / 1M
contacts), the script builds the Headway store once, exports it with ``headway export
--format parquet`` (the contact-bucketed layout the Spark backend reads: JSON ``properties``
text) and then alternately times, as whole processes (JVM start included), ``--runs`` times:

* ``headway --backend spark --source EXPORT --master local[2] funnel bench-journey.yaml
  --json`` — Headway's full funnel report (stage counts, outcomes, stage times);
* the fastest exact hand-written PySpark funnel of ``bench/spark_baselines.py`` (window
  functions by default; stage reached only) on the same exported Parquet, JSON parsed with
  ``get_json_object`` as Headway pays for its own parsing;
* the same baseline on the flat Parquet with typed ``url`` / ``form`` columns (a second
  reference line: what typed columns would save);
* when the export carries typed property columns for ``url`` and ``form`` (the store's
  ``hw_p_*`` columns, store/property_columns.py), the baseline reading those columns and the
  export's integer ``contact_key`` (``--typed``): Headway reads them too, so this is then the
  reference the ratio is taken against.

``--store STORE`` times another store (e.g. a copy migrated to typed columns), exported once
to ``STORE-export``; an export written before typed columns (no ``typed`` in its manifest) is
written again.

Both sides run ``local[2]`` with the same Spark configuration (``BENCH_CONF``). It checks
the baseline's contacts per furthest stage equal Headway's on Spark and Headway's on DuckDB
(``headway --db STORE funnel``, run once), and prints medians of wall time, peak RSS and the
ratio Headway / baseline (goal <= 0.5), of wall time and of CPU time (user + system of the
whole process tree: on a shared, loaded machine the steadier of the two).

    .venv/bin/python bench/spark.py                       # 20M / 1M, 5 runs
    .venv/bin/python bench/spark.py --size 200000:10000 --runs 1
    .venv/bin/python bench/spark.py --formulations window,aggregate,join,arrow --runs 1
"""

from __future__ import annotations

import sys

if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
HEADWAY = str(ROOT / ".venv" / "bin" / "headway")
MASTER = "local[2]"

# The Spark configuration of both sides: one 2-core machine, no web UI, few shuffle
# partitions (adaptive execution coalesces them further), room for the driver.
BENCH_CONF = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
    "spark.driver.memory": "4g",
}


def _funnel_module():  # type: ignore[no-untyped-def]
    """bench/funnel.py (data generation, store build, the journey) as a module."""
    spec = importlib.util.spec_from_file_location("bench_funnel", BENCH / "funnel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Timing:
    """One whole-process run."""

    seconds: float
    cpu_s: float  # user + system CPU of the whole process tree (JVM, Python workers)
    peak_mb: float
    output: str


def _cpu_ticks(root: int, seen: dict[int, int]) -> None:
    """Record the CPU ticks (user + system) of ``root`` and every descendant now alive."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        ticks[pid] = int(fields[11]) + int(fields[12])
    for pid, t in ticks.items():
        p = pid
        while p > 1 and p != root:
            p = parents.get(p, 0)
        if p == root:
            seen[pid] = max(seen.get(pid, 0), t)


def run(cmd: list[str], env: dict[str, str] | None = None) -> Timing:
    """Run a whole process under /usr/bin/time; wall and CPU seconds, peak RSS, stdout.

    CPU is sampled from /proc twice a second over the whole process tree: PySpark never
    reaps its JVM, so the rusage /usr/bin/time reports would leave the JVM out.
    """
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", *cmd], stdout=out, stderr=err, text=True, env=env
        )
        seen: dict[int, int] = {}
        while proc.poll() is None:
            _cpu_ticks(proc.pid, seen)
            time.sleep(0.5)
        seconds = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{stderr[-3000:]}")
    peak_kb = int(stderr.strip().splitlines()[-1])
    cpu = sum(seen.values()) / os.sysconf("SC_CLK_TCK")
    return Timing(seconds, cpu, peak_kb / 1024, stdout)


def baseline_levels(output: str) -> dict[int, int]:
    """Contacts per furthest stage printed by ``spark_baselines.py``."""
    line = output.strip().splitlines()[-1]
    return {int(k): int(v) for k, v in json.loads(line)["levels"].items()}


def export(store: Path, out: Path) -> Path:
    """The store as ``headway export --format parquet`` writes it (once per size; again
    over an export from before typed property columns, whose manifest has no ``typed``)."""
    manifest = out / "_headway_export.json"
    if not manifest.exists() or "typed" not in json.loads(manifest.read_text()):
        t0 = time.perf_counter()
        cmd = [HEADWAY, "--db", str(store), "export", "--format", "parquet", str(out)]
        run([*cmd, "--overwrite"] if manifest.exists() else cmd)
        print(f"  exported in {time.perf_counter() - t0:.1f} s", flush=True)
    return out


def typed_export(source: Path) -> bool:
    """Whether the export carries typed columns for the journey's ``url`` and ``form``."""
    typed = json.loads((source / "_headway_export.json").read_text()).get("typed", [])
    strings = {tuple(t["keys"]) for t in typed if t["kind"] == "string"}
    return {("url",), ("form",)} <= strings


def config_file(directory: Path) -> Path:
    """A headway.toml giving Headway's Spark session ``BENCH_CONF``."""
    path = directory / "headway.toml"
    lines = ["[spark.conf]"] + [f'"{k}" = "{v}"' for k, v in BENCH_CONF.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def median_line(name: str, runs: list[Timing]) -> str:
    """``name median s (peak MiB)``."""
    return (
        f"{name} median {statistics.median(t.seconds for t in runs):.2f} s "
        f"(peak {max(t.peak_mb for t in runs):.0f} MiB)"
    )


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="20000000:1000000", help="ROWS:CONTACTS")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--formulations",
        default="window",
        help="baseline formulations to time (comma-separated; see bench/spark_baselines.py)",
    )
    parser.add_argument("--no-flat", action="store_true", help="skip the flat-Parquet line")
    parser.add_argument(
        "--store",
        default=None,
        help="time on this store (exported beside it as STORE-export) instead of the size's",
    )
    parser.add_argument(
        "--compare-src",
        default=None,
        help="also time Headway from this source tree (e.g. an earlier commit's src/, "
        "from `git archive COMMIT src | tar -x -C DIR`) in the same alternation",
    )
    args = parser.parse_args()

    funnel = _funnel_module()
    rows, contacts = (int(x) for x in args.size.split(":"))
    size = funnel.Size(rows, contacts)
    print(f"== {size.label} activities / {contacts:,} contacts (seed {args.seed})", flush=True)
    flat, hw_file = funnel.generate(size, args.seed)
    store = funnel.build_store(size, args.seed, hw_file)
    if args.store is not None:  # a copy of the store (e.g. migrated to typed columns)
        store = Path(args.store)
        source = export(store, store.with_name(f"{store.stem}-export"))
    else:
        source = export(store, funnel.DATA / f"spark-{rows}-{contacts}-{args.seed}")
    typed = typed_export(source)
    journey = funnel.DATA / "bench-journey.yaml"
    journey.write_text(funnel.JOURNEY)
    as_of = ["--as-of", funnel.AS_OF]

    duck = run([HEADWAY, "--db", str(store), "funnel", str(journey), "--json", *as_of])
    truth = funnel.headway_levels(duck.output)
    print(
        f"  DuckDB backend: {duck.seconds:.2f} s (CPU {duck.cpu_s:.1f} s), levels {truth}",
        flush=True,
    )

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HEADWAY_CONFIG": str(config_file(Path(tmp)))}
        hw_cmd = [
            HEADWAY,
            "--backend",
            "spark",
            "--source",
            str(source),
            "--master",
            MASTER,
            "funnel",
            str(journey),
            "--json",
            *as_of,
        ]
        base = [sys.executable, str(BENCH / "spark_baselines.py")]
        conf = ["--conf", json.dumps(BENCH_CONF)]
        sides: dict[str, list[str]] = {"headway": hw_cmd}
        envs: dict[str, dict[str, str]] = {"headway": env}
        if args.compare_src:
            sides["headway (compare)"] = hw_cmd
            envs["headway (compare)"] = {**env, "PYTHONPATH": str(Path(args.compare_src))}
        for f in args.formulations.split(","):
            sides[f"pyspark {f} (JSON)"] = [*base, f, str(source / "activities"), *conf]
            if typed:
                activities = str(source / "activities")
                sides[f"pyspark {f} (typed)"] = [*base, f, activities, "--typed", *conf]
        if not args.no_flat:
            first = args.formulations.split(",")[0]
            sides[f"pyspark {first} (flat)"] = [*base, first, str(flat), "--flat", *conf]
        times: dict[str, list[Timing]] = {name: [] for name in sides}
        for i in range(args.runs):
            for name, cmd in sides.items():
                times[name].append(run(cmd, envs.get(name)))
            line = ", ".join(
                f"{n} {t[-1].seconds:.2f} s (CPU {t[-1].cpu_s:.1f} s)" for n, t in times.items()
            )
            load = os.getloadavg()[0]
            print(f"  run {i + 1}: {line} (load {load:.1f})", flush=True)

    levels = {}
    for name in sides:
        if name.startswith("headway"):
            levels[name] = funnel.headway_levels(times[name][0].output)
        else:
            levels[name] = baseline_levels(times[name][0].output)
    agree = all(v == truth for v in levels.values())
    hw_s = statistics.median(t.seconds for t in times["headway"])
    print(f"\n  {median_line('headway', times['headway'])}")
    hw_cpu = statistics.median(t.cpu_s for t in times["headway"])
    print(
        "\n| run | median wall (s) | Headway / this | median CPU (s) | Headway / this (CPU) "
        "| peak MiB | same counts as DuckDB |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, runs in times.items():
        s = statistics.median(t.seconds for t in runs)
        cpu = statistics.median(t.cpu_s for t in runs)
        same = "yes" if levels[name] == truth else "NO"
        peak = max(t.peak_mb for t in runs)
        print(
            f"| {name} | {s:.2f} | {hw_s / s:.2f} | {cpu:.1f} | {hw_cpu / cpu:.2f} "
            f"| {peak:.0f} | {same} |"
        )
    # The reference reads what Headway reads: the export's typed columns when it has them.
    first = f"pyspark {args.formulations.split(',')[0]} ({'typed' if typed else 'JSON'})"
    ratio = hw_s / statistics.median(t.seconds for t in times[first])
    cpu_ratio = hw_cpu / statistics.median(t.cpu_s for t in times[first])
    print(
        f"\nratio headway / {first} = {ratio:.2f} wall, {cpu_ratio:.2f} CPU (goal <= 0.5); "
        f"same counts: {agree}"
    )
    if not agree:
        for name, lv in levels.items():
            print(f"  {name}: {lv}")
        raise SystemExit("contacts per stage differ")


if __name__ == "__main__":
    main()
