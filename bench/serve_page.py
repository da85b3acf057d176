"""Journey-page benchmark: server time of ``GET /journeys/{name}`` on a real ``headway serve``.

The data is the funnel benchmark's seeded marketing log (bench/funnel.py, default 10M
activities / 500k contacts) in a copy of its Headway store that also holds the funnel
benchmark's 5-stage journey. Each run starts ``headway serve`` on it and times, from a loopback
client, the journey page at the default as-of (now):

* first: the first request after start-up with no saved match (``headway matches clear``
  before the first server): the journey is matched (numba's compiled matcher loaded from its
  cache) and the match saved in the file;
* cold: the first request after a restart: the saved match is read (median of the later runs);
* extended: after the runs, ``headway import`` appends 1,000 activities of existing contacts
  (unique ids) and a server starts: the saved match is read and the touched contacts are
  matched again (the store grows by those rows each time the benchmark runs);
* warm: the median of the next 10 requests (the match is reused; outcomes at as-of, the
  funnel, the trend and the HTML are computed again on each);

plus the journeys list and a contact list (warm) and the page with a breakdown by ``url``
(first request: one more match, with the property attached; then warm); then the server
stops. Between servers
the reference runs, alternating:

* engine: the same match, funnel and weekly trend computed by the bare engine in a fresh
  process, without the cache (in-process seconds, after loading what the server loads at
  start-up — the compiled matcher, pyarrow's NumPy conversion; and the whole process);
* chDB ``windowFunnel`` over the same log (stage reached only), as bench/funnel.py runs it.

The server-side time is the page's ``Server-Timing`` header (handler + template); the client
time adds HTTP over loopback.

    .venv/bin/python bench/serve_page.py                 # 10M / 500k, 5 runs
    .venv/bin/python bench/serve_page.py --size 200000:10000 --runs 1
"""

from __future__ import annotations

import sys

# Run as a script, this directory comes first on sys.path; drop it so that no sibling
# benchmark module (email.py) shadows a standard-library module.
if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]

import argparse
import importlib.util
import json
import re
import shutil
import socket
import statistics
import subprocess
import time
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
HEADWAY = ROOT / ".venv" / "bin" / "headway"
WARM_REQUESTS = 10

# The reference: the journey page's numbers by the bare engine (no cache), in a fresh process.
ENGINE_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
from headway.api import options
from headway.backends.duckdb import DuckDBBackend
from headway.engine.funnel.report import funnel_report
from headway.engine.funnel.outcomes import outcomes
from headway.engine.kernel.run import match_journey
from headway.engine.funnel.trends import trend_report
from headway.store import Store
from headway.store.journeys import get_journey
from headway.match_cache import preload_engine
preload_engine()  # compiled matcher and pyarrow's NumPy conversion loaded before timing
with Store(sys.argv[1], read_only=True) as store:
    t1 = time.perf_counter()
    journey, _ = get_journey(store, sys.argv[2])
    matched = match_journey(DuckDBBackend(store), journey, options())
    funnel = funnel_report(matched, outcomes(matched))
    trend = trend_report(matched, "week")
    t2 = time.perf_counter()
print(json.dumps({"seconds": t2 - t1, "imports": t1 - t0, "entered": funnel.entered,
                  "reached": [s.reached for s in funnel.stages], "weeks": len(trend.periods)}))
"""


def funnel_bench() -> ModuleType:
    """bench/funnel.py as a module (its data generator, store builder, chDB query)."""
    spec = importlib.util.spec_from_file_location("bench_funnel", ROOT / "bench" / "funnel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def prepare(fb: ModuleType, size: Any, seed: int) -> tuple[Path, Path, str]:
    """The page store (a copy of the funnel store plus the stored journey), flat Parquet, name."""
    flat, hw_file = fb.generate(size, seed)
    source = fb.build_store(size, seed, hw_file)
    store = fb.DATA / f"serve-page-{size.rows}-{size.contacts}-{seed}.duckdb"
    journey_file = fb.DATA / "bench-journey.yaml"
    journey_file.write_text(fb.JOURNEY)
    name = re.search(r"^name: (.+)$", fb.JOURNEY, re.M)
    assert name is not None
    if not store.exists():
        tmp = store.with_suffix(".tmp.duckdb")
        shutil.copyfile(source, tmp)
        headway(tmp, "journey", "save", str(journey_file))
        tmp.replace(store)
    return store, flat, name.group(1)


def headway(db: Path, *args: str) -> str:
    """Run a ``headway`` command on ``db``; its stdout."""
    proc = subprocess.run(
        [str(HEADWAY), "--db", str(db), *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"headway {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return proc.stdout


class Server:
    """A ``headway serve`` subprocess on a free loopback port."""

    def __init__(self, db: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [str(HEADWAY), "--db", str(db), "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.client = httpx.Client(base_url=self.url, timeout=600)
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"headway serve exited: {self.stop()}")
            try:
                if self.client.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise SystemExit(f"headway serve did not answer: {self.stop()}")

    def get(self, path: str) -> tuple[float, float, str]:
        """Server-side seconds (Server-Timing, else client), client seconds, body."""
        t0 = time.perf_counter()
        response = self.client.get(path)
        client = time.perf_counter() - t0
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: {response.status_code} {response.text[:500]}")
        timing = re.search(r"dur=([0-9.]+)", response.headers.get("server-timing", ""))
        server = float(timing.group(1)) / 1000 if timing else client
        return server, client, response.text

    def peak_mib(self) -> float:
        """The server's peak resident memory so far (MiB)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(found.group(1)) / 1024 if found else float("nan")

    def stop(self) -> str:
        """Stop the server; its stderr."""
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.stderr.read().decode() if self.process.stderr else ""


def page_run(db: Path, journey: str) -> dict[str, Any]:
    """One server: the journey page cold, then warm; the list and a contact list warm."""
    server = Server(db)
    try:
        page = f"/journeys/{quote(journey, safe='')}"
        cold, cold_client, body = server.get(page)
        warm = [server.get(page) for _ in range(WARM_REQUESTS)]
        listing = [server.get("/journeys")[1] for _ in range(3)]
        contacts = [server.get(f"{page}/contacts?stage=2&status=dropped")[1] for _ in range(3)]
        by_url = [server.get(f"{page}?by=url&touch=first")[0] for _ in range(4)]
        peak = server.peak_mib()
    finally:
        server.stop()
    return {
        "cold": cold,
        "cold_client": cold_client,
        "warm": statistics.median(w[0] for w in warm),
        "warm_client": statistics.median(w[1] for w in warm),
        "list_client": statistics.median(listing),
        "contacts_client": statistics.median(contacts),
        "breakdown_cold": by_url[0],
        "breakdown_warm": statistics.median(by_url[1:]),
        "entered": _entered(body),
        "peak_mib": peak,
    }


def _entered(body: str) -> int | None:
    found = re.search(r'class="value">([0-9,]+)</span><span class="label">entered<', body)
    return int(found.group(1).replace(",", "")) if found else None


def engine_run(db: Path, journey: str) -> dict[str, Any]:
    """The bare engine in a fresh process: in-process seconds and the whole process."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", ENGINE_SCRIPT, str(db), journey],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"engine reference failed: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout)
    return {**out, "process": time.perf_counter() - t0}


def chdb_run(fb: ModuleType, flat: Path) -> float:
    """chDB ``windowFunnel`` over the flat Parquet, as bench/funnel.py runs it (whole process)."""
    as_of = 2**31 - 1  # "now": every activity of the log
    query = fb.CHDB_QUERY.format(window=fb.WINDOW_S, path=flat, as_of=as_of)
    return float(fb.run([sys.executable, "-c", fb.CHDB_SCRIPT, query]).seconds)


def run(
    size: str = "10000000:500000", runs: int = 5, seed: int = 7, copy: Path | None = None
) -> dict[str, Any]:
    """Prepare the data, alternate page runs and references; medians and ratios (on a copy
    of the page store at ``copy``, when given, so that others' runs on it do not clash)."""
    fb = funnel_bench()
    (parsed,) = fb.parse_sizes(size)
    print(
        f"== journey page on {parsed.label} activities / {parsed.contacts:,} contacts", flush=True
    )
    db, flat, journey = prepare(fb, parsed, seed)
    if copy is not None:
        shutil.copyfile(db, copy)
        db = copy
    pages, engines, chdbs = [], [], []
    headway(db, "matches", "clear")  # the first server matches and saves
    for i in range(runs):
        pages.append(page_run(db, journey))
        engines.append(engine_run(db, journey))
        chdbs.append(chdb_run(fb, flat))
        p, e = pages[-1], engines[-1]
        print(
            f"  run {i + 1}: page {'first' if i == 0 else 'cold'} {p['cold']:.2f} s, "
            f"warm {p['warm'] * 1000:.0f} ms; "
            f"engine {e['seconds']:.2f} s in-process ({e['process']:.2f} s process); "
            f"chdb {chdbs[-1]:.2f} s",
            flush=True,
        )
    append_some(db, 1000, parsed.contacts)
    extended = page_run(db, journey)
    print(f"  after 1,000 appended: page cold {extended['cold']:.2f} s", flush=True)
    out = summarize(pages[1:] or pages, engines, chdbs, parsed.label)
    return {**out, "first": pages[0]["cold"], "extended": extended["cold"]}


def append_some(db: Path, n: int, contacts: int) -> None:
    """Append ``n`` activities of existing contacts (unique ids) with ``headway import``."""
    import random

    rng = random.Random(time.time_ns())
    stamp = time.time_ns()
    kinds = [("page_visit", {"url": "/blog/x"}), ("email_open", {}), ("email_click", {})]
    rows = []
    for i in range(n):
        kind, props = rng.choice(kinds)
        ts = f"2025-06-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:00:00Z"
        rows.append(
            {"id": f"ext-{stamp}-{i}", "contact": f"c{rng.randrange(contacts)}", "type": kind,
             "ts": ts, "properties": props}
        )  # fmt: skip
    path = db.with_name(f"append-{stamp}.jsonl")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    try:
        headway(db, "import", str(path))
    finally:
        path.unlink()


def summarize(
    pages: list[dict[str, Any]], engines: list[dict[str, Any]], chdbs: list[float], label: str
) -> dict[str, Any]:
    """Medians over runs and the ratios to the references."""

    def med(rows: list[dict[str, Any]], key: str) -> float:
        return float(statistics.median(r[key] for r in rows))

    out = {
        "size": label,
        "cold": med(pages, "cold"),
        "cold_client": med(pages, "cold_client"),
        "warm": med(pages, "warm"),
        "warm_client": med(pages, "warm_client"),
        "list_client": med(pages, "list_client"),
        "contacts_client": med(pages, "contacts_client"),
        "breakdown_cold": med(pages, "breakdown_cold"),
        "breakdown_warm": med(pages, "breakdown_warm"),
        "engine": med(engines, "seconds"),
        "engine_process": med(engines, "process"),
        "chdb": float(statistics.median(chdbs)),
        "server_peak_mib": max(p["peak_mib"] for p in pages),
        "entered_page": pages[0]["entered"],
        "entered_engine": engines[0]["entered"],
    }
    out["cold_vs_engine"] = out["cold"] / out["engine"]
    out["warm_vs_engine"] = out["warm"] / out["engine"]
    out["warm_vs_chdb"] = out["warm"] / out["chdb"]
    return out


def report(r: dict[str, Any]) -> None:
    """Print the table of medians and ratios."""
    print(f"\n| {r['size']} activities | median | vs engine (no cache) | vs chDB windowFunnel |")
    print("|---|---:|---:|---:|")
    rows = [
        ("journey page, first view, no saved match (server)", r["first"]),
        ("journey page, cold after restart, saved match (server)", r["cold"]),
        ("journey page, cold after 1,000 appended (server)", r["extended"]),
        ("journey page, warm (server)", r["warm"]),
        ("journey page, warm (client, loopback)", r["warm_client"]),
        ("journeys list, warm (client)", r["list_client"]),
        ("contact list, warm (client)", r["contacts_client"]),
        ("page with a breakdown (by url), first (server)", r["breakdown_cold"]),
        ("page with a breakdown (by url), warm (server)", r["breakdown_warm"]),
        ("engine: match + funnel + trend, in-process", r["engine"]),
        ("engine: whole process", r["engine_process"]),
        ("chDB windowFunnel, whole process", r["chdb"]),
    ]
    for name, seconds in rows:
        print(
            f"| {name} | {seconds:.3f} s | {seconds / r['engine']:.2f} | {seconds / r['chdb']:.2f} |"
        )
    goal = "met" if r["warm"] <= 1.0 else "NOT met"
    cold_goal = "met" if r["cold"] <= 1.0 and r["extended"] <= 1.0 else "NOT met"
    same = "yes" if r["entered_page"] == r["entered_engine"] else "NO"
    print(f"\nserver peak RSS {r['server_peak_mib']:.0f} MiB")
    print(
        f"\ncold page {r['cold']:.2f} s, after an append {r['extended']:.2f} s"
        f" (goal <= 1 s: {cold_goal}); "
        f"warm page {r['warm'] * 1000:.0f} ms (goal <= 1 s: {goal}); "
        f"entered {r['entered_engine']:,}, same on the page and by the engine: {same}"
    )


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="10000000:500000", help="ROWS:CONTACTS")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--prepare", action="store_true", help="Only build the data.")
    parser.add_argument("--copy", type=Path, help="Run on a fresh copy of the store at PATH.")
    args = parser.parse_args()
    if args.prepare:
        fb = funnel_bench()
        (size,) = fb.parse_sizes(args.size)
        prepare(fb, size, args.seed)
        return
    report(run(args.size, args.runs, args.seed, args.copy))


if __name__ == "__main__":
    main()
