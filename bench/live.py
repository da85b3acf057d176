"""Live journeys under sustained HTTP ingest: stage-state lag and the cost to ingestion.

Two real ``headway serve`` subprocesses on loopback, each on a fresh database:

1. without live journeys: N clients post batches of activities as fast as the server takes
   them (closed loop) for ``--max-seconds``: the ingest throughput without journeys;
2. with 3 live journeys (turned live before the server starts; it builds their state, then
   keeps it current): first a sustained, paced load of ``--rate`` activities/s for
   ``--seconds`` (batches sent on a fixed schedule, open loop) — the server records, per
   appended batch, the time from its commit (the 2xx follows it) to the touched contacts'
   state being current, and the benchmark reads the p99 from ``GET /api/v1/live``; then the
   same closed-loop load as in 1: the ingest throughput with journeys.

It prints the lag p99 beside its goal (≤ 1 s), the achieved sustained rate beside the target,
and the with/without throughput ratio beside its goal (≥ 0.8). After stopping the server it
checks that each journey's stored state equals a full recompute (exactness under load).

    .venv/bin/python bench/live.py                      # 20k/s for 20 s, 3 journeys
    .venv/bin/python bench/live.py --rate 2000 --seconds 3 --max-seconds 3   # a smoke run
"""

# ruff: noqa: E402 (imports follow the sys.path fix below)
from __future__ import annotations

import sys

# bench/ holds email.py: keep it off the path so the standard library's ``email`` is imported.
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("/bench") and p != "bench"]

import argparse
import importlib.util
import os
import random
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from headway.api import Headway
from headway.store import Store

_spec = importlib.util.spec_from_file_location("serve_ingest", ROOT / "bench" / "serve_ingest.py")
assert _spec is not None and _spec.loader is not None
serve_ingest = importlib.util.module_from_spec(_spec)
sys.modules["serve_ingest"] = serve_ingest
_spec.loader.exec_module(serve_ingest)

LAG_GOAL_SECONDS = 1.0
RATIO_GOAL = 0.8
JOURNEYS: tuple[dict[str, Any], ...] = (
    {
        "name": "Pricing to sales",
        "window": "7d",
        "stall_after": "2d",
        "stages": [
            {"name": "Visited", "when": {"type": "page_visit"}},
            {"name": "Pricing", "when": {"type": "page_visit", "where": {"url": "/pricing"}}},
            {"name": "Contact form", "when": {"type": "form_submission"}},
        ],
    },
    {
        "name": "Email engagement",
        "order": "strict",
        "window": "3d",
        "stages": [
            {"name": "Delivered", "when": {"type": "email_delivered"}},
            {"name": "Opened", "when": {"type": "email_open"}},
            {"name": "Clicked", "when": {"type": "email_click"}},
        ],
        "exit_when": {"type": "email_unsubscribe"},
    },
    {
        "name": "Signup to purchase",
        "order": "unordered",
        "window": "14d",
        "stages": [
            {"name": "Signup page", "when": {"type": "page_visit", "where": {"url": "/signup"}}},
            {"name": "Form", "when": {"type": "form_submission"}},
            {"name": "Purchase", "when": {"type": "purchase"}, "kpi": 100},
        ],
        "exclusions": [
            {"when": {"type": "email_unsubscribe"}, "between": ["Signup page", "Purchase"]}
        ],
    },
)


@dataclass
class Load:
    """What one load phase achieved."""

    activities: int
    seconds: float
    batches: int
    errors: int
    server_cpu: float = 0.0  # CPU seconds of the server process (live worker included)
    client_cpu: float = 0.0  # CPU seconds of this process (the client threads)

    @property
    def rate(self) -> float:
        """Acknowledged activities per second."""
        return self.activities / self.seconds if self.seconds else 0.0

    def cpu(self) -> str:
        """The cores the server and the client used on average."""
        return (
            f"server {self.server_cpu / self.seconds:.2f} cores, client"
            f" {self.client_cpu / self.seconds:.2f} cores"
            if self.seconds
            else ""
        )


def make_bodies(count: int, size: int, contacts: int, tag: str, seed: int) -> list[bytes]:
    """``count`` JSON bodies of ``size`` activities each, timed around now (live data)."""
    rng = random.Random(seed)
    names, weights = zip(*serve_ingest.TYPES, strict=True)
    now = datetime.now(UTC)
    bodies = []
    for b in range(count):
        records = []
        for i, kind in enumerate(rng.choices(names, weights, k=size)):
            ts = now - timedelta(seconds=rng.randrange(0, 3 * 86400), microseconds=i)
            rec = serve_ingest.record(rng, f"{tag}-{b}-{i}", kind, ts, contacts)
            records.append(rec)
        bodies.append(orjson.dumps(records))
    return bodies


def post_all(
    url: str,
    bodies: list[bytes],
    clients: int,
    seconds: float,
    rate: float | None,
    server: int | None = None,
) -> Load:
    """Post the bodies (at ``rate`` activities/s on a fixed schedule, else as fast as the server
    answers) until they run out or ``seconds`` pass; what was acknowledged, and the CPU the
    ``server`` process and this one used meanwhile."""
    per_batch = len(orjson.loads(bodies[0])) if bodies else 0
    lock = threading.Lock()
    todo = iter(range(len(bodies)))
    load = Load(0, 0.0, 0, 0)
    server_cpu = serve_ingest.cpu_seconds(server) if server else 0.0
    client_cpu = time.process_time()
    started = time.perf_counter()
    deadline = started + seconds

    def client() -> None:
        headers = {"Content-Type": "application/json"}
        with httpx.Client(base_url=url, timeout=120) as http:
            while True:
                with lock:
                    n = next(todo, None)
                if n is None:
                    return
                if rate is not None:
                    due = started + n * per_batch / rate
                    if due >= deadline:
                        return
                    time.sleep(max(0.0, due - time.perf_counter()))
                if time.perf_counter() >= deadline:  # behind schedule: the time is up all the same
                    return
                answer = http.post("/api/v1/activities", content=bodies[n], headers=headers)
                with lock:
                    if answer.status_code == 200:
                        load.activities += int(answer.json()["accepted"])
                        load.batches += 1
                    else:
                        load.errors += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    load.seconds = time.perf_counter() - started
    load.client_cpu = time.process_time() - client_cpu
    load.server_cpu = serve_ingest.cpu_seconds(server) - server_cpu if server else 0.0
    return load


def prepare(db: Path, journeys: bool) -> None:
    """A fresh database; with ``journeys``, the three journeys saved and turned live."""
    with Store(db) as store:
        hw = Headway(store)
        if journeys:
            for definition in JOURNEYS:
                hw.save_journey(hw.journey(definition))
                hw.set_journey_live(definition["name"])


def wait_ready(url: str, timeout: float = 120.0) -> dict[str, Any]:
    """Wait until every live journey's state is built; the live figures."""
    deadline = time.monotonic() + timeout
    while True:
        live = httpx.get(url + "/api/v1/live", timeout=30).json()
        if all(j["status"] == "ready" for j in live["journeys"]) or time.monotonic() > deadline:
            return dict(live)
        time.sleep(0.2)


def wait_caught_up(url: str, timeout: float = 60.0) -> dict[str, Any]:
    """Wait until the live worker's queue is empty; the live figures."""
    deadline = time.monotonic() + timeout
    while True:
        live = dict(httpx.get(url + "/api/v1/live", timeout=30).json())
        if live["lag"]["queued"] == 0 or time.monotonic() > deadline:
            time.sleep(0.5)  # the batch taken off the queue last finishes
            return dict(httpx.get(url + "/api/v1/live", timeout=30).json())
        time.sleep(0.2)


def exact(db: Path) -> bool:
    """Whether every live journey's stored state equals a full recompute (the matcher's
    figures; the status is left out: it moves with the clock between updates)."""
    from headway.engine.options import to_micros, utc_now
    from headway.live import records, updater
    from headway.live.state import match_all, states_from

    with Store(db) as store:
        hw = Headway(store)
        now_us = to_micros(utc_now())
        for name, version in updater.serving(store):
            journey = updater.journey_version(store, name, version)
            stored = records.read_states(store.cursor(), name, version, None)
            fresh = [
                s for r in match_all(hw.backend, journey) for s in states_from(journey, r, now_us)
            ]
            if _figures(stored.values()) != _figures(fresh):
                return False
    return True


def _figures(states: Any) -> dict[int, tuple[Any, ...]]:
    return {s.contact_key: (s.reached, s.removed, s.stage_us, s.exit_us) for s in states}


def run(
    *,
    rate: float = 20_000,
    seconds: float = 20.0,
    max_seconds: float = 10.0,
    batch: int = 1_000,
    clients: int = 4,
    contacts: int = 200_000,
    seed: int = 1,
    log: Any = print,
) -> dict[str, Any]:
    """Both phases; the figures."""
    paced_batches = int(rate * seconds / batch) + 1
    # More than the server can take in ``max_seconds`` (it stops at the time, not the end).
    max_batches = int(max(4 * rate, 50_000) * max_seconds / batch) + 3
    log(f"making {paced_batches + 2 * max_batches:,} batches of {batch:,} activities ...")
    paced = make_bodies(paced_batches, batch, contacts, "paced", seed)
    flat = make_bodies(max_batches, batch, contacts, "max", seed + 1)
    out: dict[str, Any] = {"rate_goal": rate, "seconds": seconds, "batch": batch}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        plain = base / "plain.duckdb"
        prepare(plain, journeys=False)
        proc, url = serve_ingest.start_server(plain)
        try:
            post_all(url, flat[:2], 1, 60, None)  # warm-up (id index, contact keys)
            without = post_all(url, flat[2:], clients, max_seconds, None, proc.pid)
        finally:
            serve_ingest.stop_server(proc)
        log(f"  without journeys: {without.rate:,.0f} activities/s ({without.errors} errors;"
            f" {without.cpu()})")  # fmt: skip

        live_db = base / "live.duckdb"
        prepare(live_db, journeys=True)
        proc, url = serve_ingest.start_server(live_db)
        try:
            wait_ready(url)
            post_all(url, flat[:2], 1, 60, None)  # the same warm-up
            warm = wait_caught_up(url)["lag"]
            # The warm-up's lag stays among the server's samples (a cold numba cache compiles
            # the matcher here): say it, as it can be the p99 of a short paced phase.
            log(f"  warm-up: {warm['batches']} batches, lag max {warm['max_seconds'] or 0:.3f} s")
            before = httpx.get(url + "/api/v1/live", timeout=30).json()["lag"]["batches"]
            sustained = post_all(url, paced, clients, seconds, rate, proc.pid)
            figures = wait_caught_up(url)
            lag = figures["lag"]
            log(f"  sustained: {sustained.rate:,.0f} activities/s for {sustained.seconds:.1f} s,"
                f" {lag['batches'] - before} batches, lag p50 {lag['p50_seconds']:.3f} s"
                f" p99 {lag['p99_seconds']:.3f} s; {sustained.cpu()}")  # fmt: skip
            with_live = post_all(url, flat[2:], clients, max_seconds, None, proc.pid)
            wait_caught_up(url, timeout=300)
            events = len(httpx.get(url + "/api/v1/journey-events?limit=10000", timeout=60).json())
        finally:
            serve_ingest.stop_server(proc)
        log(f"  with 3 live journeys: {with_live.rate:,.0f} activities/s ({with_live.errors}"
            f" errors; {with_live.cpu()})")  # fmt: skip
        out.update(
            without_per_s=without.rate,
            with_per_s=with_live.rate,
            ratio=with_live.rate / without.rate if without.rate else 0.0,
            sustained_per_s=sustained.rate,
            sustained_errors=sustained.errors,
            cpu={"without": without.cpu(), "sustained": sustained.cpu(), "with": with_live.cpu()},
            lag_p50=lag["p50_seconds"],
            lag_p99=lag["p99_seconds"],
            lag_max=lag["max_seconds"],
            journeys=[(j["name"], j["contacts"]) for j in figures["journeys"]],
            events_first_page=events,
            exact=exact(live_db),
        )
    return out


def report(r: dict[str, Any]) -> str:
    """The figures beside their goals."""
    lag_ok = r["lag_p99"] is not None and r["lag_p99"] <= LAG_GOAL_SECONDS
    ratio_ok = r["ratio"] >= RATIO_GOAL
    lines = [
        f"sustained ingest: {r['sustained_per_s']:,.0f} activities/s (target {r['rate_goal']:,.0f}/s)",
        f"stage state lag p99: {r['lag_p99']:.3f} s (goal <= {LAG_GOAL_SECONDS:.0f} s:"
        f" {'met' if lag_ok else 'NOT met'}); p50 {r['lag_p50']:.3f} s, max {r['lag_max']:.3f} s",
        f"ingest throughput with 3 live journeys: {r['with_per_s']:,.0f}/s vs without"
        f" {r['without_per_s']:,.0f}/s = {r['ratio']:.2f} (goal >= {RATIO_GOAL}:"
        f" {'met' if ratio_ok else 'NOT met'})",
        f"state equals a full recompute after the run: {'yes' if r['exact'] else 'NO'}",
        f"journeys (contacts in state): {r['journeys']}",
        f"CPU (cores used on average): {r['cpu']}",
        f"load average: {os.getloadavg()[0]:.1f}",
    ]
    return "\n".join(lines)


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--contacts", type=int, default=200_000)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    result = run(
        rate=args.rate,
        seconds=args.seconds,
        max_seconds=args.max_seconds,
        batch=args.batch,
        clients=args.clients,
        contacts=args.contacts,
    )
    print(report(result))


if __name__ == "__main__":
    main()
