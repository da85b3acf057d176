"""Surfaces benchmark (#13, Acceptance): what a user waits for on each surface, goal beside it.

One script over the existing benchmark data and scripts (it imports them, it does not copy
them), each figure the median of ``--runs`` with its goal and verdict printed beside it:

* ``journey``: the journey page of the funnel benchmark's 5-stage journey on a real
  ``headway serve`` (bench/serve_page.py's store and server, 10M activities / 500k contacts):
  **cold**, the first request after the server started (goal ≤ 1 s), and **warm**, the median
  of the next requests (goal ≤ 1 s);
* ``email``: the email list ``GET /emails`` and one email's page ``GET /emails/{id}`` on the
  email benchmark's store (bench/email.py's generator, 20M activities), each cold (first
  request after start, its own server) and warm (goal ≤ 1 s for both);
* ``attribution``: ``headway attribution`` (every model, so the paths are built) against
  ``headway funnel`` of the same journey on the funnel benchmark's 20M store (1M contacts),
  whole processes, alternating (goal: attribution ≤ 2× the funnel);
* ``drivers``: bench/drivers.py on the same store (goal: drivers ≤ 3× the funnel);
* ``startup``: bench/startup.py's ``headway --help`` (goal ≤ 0.3 s) and ``headway funnel`` on a
  seven-activity store, the funnel's fixed cost (goal ≤ 0.4 s).

Client times are wall seconds from a loopback ``httpx`` client (HTTP included); the journey
page also prints its ``Server-Timing``. Whole processes are timed as bench/funnel.py's ``run``
does. Each section takes ``/tmp/bench.lock`` (``flock``) while it measures, so do not wrap the
script itself in ``flock``; ``--lock ''`` skips it. The data is built on first use under
``bench/data/`` (the 10M journey store and the 20M email store take minutes).

    .venv/bin/python bench/surfaces.py                          # everything, 3 runs
    .venv/bin/python bench/surfaces.py --only journey --runs 5
    .venv/bin/python bench/surfaces.py --only email,attribution --email-activities 2000000
"""

# ruff: noqa: E402 (imports follow the sys.path fix below)
from __future__ import annotations

import sys

# bench/ holds email.py: keep this folder off the path (the standard library's email).
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("/bench") and p != "bench"]

import argparse
import contextlib
import fcntl
import functools
import importlib.util
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SECTIONS = ("journey", "email", "attribution", "drivers", "startup")


def bench_module(name: str) -> ModuleType:
    """``bench/NAME.py`` as the module ``bench_NAME`` (loaded once)."""
    key = f"bench_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def funnel_bench() -> ModuleType:
    """bench/funnel.py, the module bench/drivers.py and bench/serve_page.py load too."""
    module = bench_module("funnel")
    sys.modules.setdefault("funnel_bench", module)
    return module


@dataclass
class Figure:
    """One measured surface: its times and its goal (seconds, or a ratio to a reference)."""

    label: str
    values: list[float]
    goal: float
    ratio: bool = False  # values are ratios (×), not seconds
    note: str = ""

    @property
    def median(self) -> float:
        """The median of the values."""
        return float(statistics.median(self.values))

    def line(self) -> str:
        """One line: median, range, goal and verdict."""
        unit = "×" if self.ratio else " s"
        lo, hi = min(self.values), max(self.values)
        met = "met" if self.median <= self.goal else f"NOT met, {self.median / self.goal:.2f}× it"
        spread = f"({lo:.2f}-{hi:.2f}{unit})" if len(self.values) > 1 else ""
        note = f"  [{self.note}]" if self.note else ""
        return (
            f"{self.label:<44} {self.median:7.2f}{unit} {spread:<17} "
            f"goal ≤ {self.goal:g}{unit}: {met}{note}"
        )


FIGURES: list[Figure] = []


def record(figure: Figure) -> None:
    """Print a figure as soon as it is measured and keep it for the summary."""
    FIGURES.append(figure)
    print("  " + figure.line(), flush=True)


def count(n: int) -> str:
    """E.g. 20M, 500,000."""
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n:,}"


def load() -> str:
    """The load average, as ``uptime`` prints it."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


@contextlib.contextmanager
def bench_lock(path: str) -> Iterator[None]:
    """Hold ``path`` with ``flock`` (the shared machine's one-big-benchmark-at-a-time lock)."""
    if not path:
        yield
        return
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"  (waiting for {path})", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def section(title: str, lock: str, body: Callable[[], None]) -> None:
    """Run one section under the lock, with the load average before and after."""
    print(f"\n== {title}", flush=True)
    with bench_lock(lock):
        print(f"  load average before: {load()}", flush=True)
        body()
        print(f"  load average after:  {load()}", flush=True)


def server_requests(db: Path, path: str, warm: int) -> tuple[float, float, list[float]]:
    """A fresh ``headway serve`` on ``db``: the first request to ``path`` (client and server
    seconds), then ``warm`` more (client seconds)."""
    sp = bench_module("serve_page")
    server = sp.Server(db)
    try:
        server_s, client_s, _ = server.get(path)
        warm_s = [server.get(path)[1] for _ in range(warm)]
    finally:
        server.stop()
    return client_s, server_s, warm_s


def journey(args: argparse.Namespace) -> None:
    """The journey page, cold and warm, on bench/serve_page.py's store."""
    fb, sp = funnel_bench(), bench_module("serve_page")
    (size,) = fb.parse_sizes(args.journey_size)
    db, _, name = sp.prepare(fb, size, args.seed)
    print(f"  {size.label} activities / {size.contacts:,} contacts: {db.name}", flush=True)
    page = f"/journeys/{quote(name, safe='')}"
    cold, cold_server, warm = [], [], []
    for i in range(args.runs):
        client_s, server_s, warm_s = server_requests(db, page, args.warm)
        cold.append(client_s)
        cold_server.append(server_s)
        warm.append(statistics.median(warm_s))
        print(
            f"  run {i + 1}: cold {client_s:.2f} s (server {server_s:.2f} s), "
            f"warm {warm[-1]:.3f} s",
            flush=True,
        )
    note = f"Server-Timing {statistics.median(cold_server):.2f} s"
    record(Figure(f"journey page cold ({size.label})", cold, 1.0, note=note))
    record(Figure(f"journey page warm ({size.label})", warm, 1.0))


def email_store(args: argparse.Namespace) -> Path:
    """bench/email.py's store of ``--email-activities`` (built once under bench/data/)."""
    db = args.email_db or BENCH / "data" / f"email-{args.email_activities}-{args.seed}.duckdb"
    if not db.exists():
        em = bench_module("email")
        tmp = db.with_suffix(".tmp.duckdb")
        tmp.unlink(missing_ok=True)
        started = time.perf_counter()
        rows = em.build(tmp, args.email_activities, args.seed)
        tmp.replace(db)
        print(f"  built {rows:,} activities in {time.perf_counter() - started:.0f} s", flush=True)
    return Path(db)


def email(args: argparse.Namespace) -> None:
    """The email list and one email's page, each cold (own server) and warm."""
    db = email_store(args)
    print(f"  {db.name}, email {args.email_id}", flush=True)
    label = count(args.email_activities)
    pages = {"email list": "/emails", "email page": f"/emails/{quote(args.email_id)}"}
    for what, path in pages.items():
        cold, warm = [], []
        for i in range(args.runs):
            client_s, _, warm_s = server_requests(db, path, args.warm)
            cold.append(client_s)
            warm.append(statistics.median(warm_s))
            print(f"  {what} run {i + 1}: cold {client_s:.2f} s, warm {warm[-1]:.3f} s")
        record(Figure(f"{what} cold ({label})", cold, 1.0))
        record(Figure(f"{what} warm ({label})", warm, 1.0))


def funnel_store(args: argparse.Namespace) -> tuple[ModuleType, object, Path]:
    """bench/funnel.py's module, the size and the store of ``--size`` (built once)."""
    fb = funnel_bench()
    (size,) = fb.parse_sizes(args.size)
    store = fb.build_store(size, args.seed, fb.generate(size, args.seed)[1])
    from headway.store import Store

    Store(store).close()  # a store built by an older version gets its migrations first
    return fb, size, store


def attribution(args: argparse.Namespace) -> None:
    """``headway attribution`` (all models) vs ``headway funnel``, whole processes."""
    fb, size, store = funnel_store(args)
    journey_file = fb.DATA / f"surfaces-journey-{os.getpid()}.yaml"  # others rewrite theirs
    journey_file.write_text(fb.JOURNEY)
    base = [str(ROOT / ".venv" / "bin" / "headway"), "--db", str(store)]
    tail = [str(journey_file), "--json", "--as-of", fb.AS_OF]
    funnels, attributions = [], []
    for i in range(args.runs):
        funnels.append(fb.run([*base, "funnel", *tail]).seconds)
        attributions.append(fb.run([*base, "attribution", *tail]).seconds)
        print(
            f"  run {i + 1}: funnel {funnels[-1]:.2f} s, attribution {attributions[-1]:.2f} s",
            flush=True,
        )
    journey_file.unlink()
    ratios = [a / f for a, f in zip(attributions, funnels, strict=True)]
    label = f"{size.label}, {count(size.contacts)} contacts"  # type: ignore[attr-defined]
    note = (
        f"attribution {statistics.median(attributions):.2f} s, "
        f"funnel {statistics.median(funnels):.2f} s"
    )
    record(Figure(f"attribution / funnel ({label})", ratios, 2.0, ratio=True, note=note))


def drivers(args: argparse.Namespace) -> None:
    """bench/drivers.py on the same store: drivers / funnel."""
    fb, size, _ = funnel_store(args)
    found = bench_module("drivers").bench(fb, size, args.seed, args.runs)
    note = f"drivers {found['drivers']:.2f} s, funnel {found['funnel']:.2f} s (medians)"
    label = f"drivers / funnel ({size.label})"  # type: ignore[attr-defined]
    record(Figure(label, [found["ratio"]], 3.0, ratio=True, note=note))


def startup(args: argparse.Namespace) -> None:
    """bench/startup.py's ``headway --help`` and the funnel on a seven-activity store."""
    st = bench_module("startup")
    cpu: list[float] = []
    times = st.whole_process(["--help"], args.runs, cpu)
    record(Figure("headway --help", times, 0.3, note=f"CPU {statistics.median(cpu):.2f} s"))
    with tempfile.TemporaryDirectory() as folder:
        db = st.tiny_store(Path(folder))
        journey_file = str(st.SAMPLE / "events.yaml")
        cpu = []
        times = st.whole_process(["--db", str(db), "funnel", journey_file], args.runs, cpu)
    note = f"CPU {statistics.median(cpu):.2f} s"
    record(Figure("headway funnel, 7 activities (fixed cost)", times, 0.4, note=note))


def main() -> None:
    """Run the chosen sections and print every figure with its goal."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default=",".join(SECTIONS), help="Sections, comma-separated.")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warm", type=int, default=5, help="Warm requests per server.")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--journey-size", default="10000000:500000", help="ROWS:CONTACTS")
    parser.add_argument("--size", default="20000000:1000000", help="attribution and drivers")
    parser.add_argument("--email-activities", type=int, default=20_000_000)
    parser.add_argument("--email-db", type=Path, help="reuse this email store")
    parser.add_argument("--email-id", default="e100")
    parser.add_argument("--lock", default="/tmp/bench.lock", help="'' to skip the lock")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    bench_module("startup").compiled_bytecode()
    print(f"surfaces benchmark, {args.runs} runs, load average {load()}", flush=True)
    bodies = {
        "journey": journey,
        "email": email,
        "attribution": attribution,
        "drivers": drivers,
        "startup": startup,
    }
    for name in chosen:
        section(name, args.lock, functools.partial(bodies[name], args))
    print(f"\n== summary (medians of {args.runs}; load average now {load()})")
    for figure in FIGURES:
        print(figure.line())


if __name__ == "__main__":
    main()
