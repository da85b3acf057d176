"""Tracking endpoint throughput: open pixel and click redirect of a real ``headway serve``.

Builds a seeded store (one email with a few registered links, ``email_sent`` to every
benchmark contact and a background log of page visits), writes a settings file with a signing
key, starts ``headway --db X serve`` as a subprocess on 127.0.0.1 and drives it from a loopback
load client in this process (asyncio + httpx, a bounded number of keep-alive connections,
bounded by request count and time). Rounds alternate between:

- the reference: ``GET /health``, a no-op route of the same app (the cost of HTTP alone);
- ``GET /t/o/{token}.gif``, the open pixel (records ``email_open``);
- ``GET /t/c/{token}``, the click redirect (records ``email_click``, answers 302);

every tracking request carrying a token for a distinct contact, signed before the clock
starts. It prints requests/s, p50/p99 latency and errors per endpoint (medians over runs) and
the ratio to the reference. After stopping the server it checks that the stored opens and
clicks equal the acknowledged answers (every acknowledged request durable, counted once).

    .venv/bin/python bench/tracking.py --requests 5000 --seconds 60 --concurrency 32 --runs 5
"""

# ruff: noqa: E402 (imports follow the sys.path fix below)
from __future__ import annotations

import sys

# bench/ holds email.py: keep this folder off the path so that the standard library's ``email``
# package (imported by http.client, hence by httpx) is the one imported.
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("/bench") and p != "bench"]

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
HEADWAY = ROOT / ".venv" / "bin" / "headway"
sys.path.insert(0, str(ROOT / "src"))

from headway.ingest.tokens import Signer
from headway.settings import load_settings
from headway.store import Store
from headway.store.emails import add_link, get_link, register_email

EMAIL = "bench-1"
LINKS = [f"https://example.com/page/{i}?utm_source=email" for i in range(4)]
SECRET = "bench-secret-0123456789abcdef-0123456789"
CONFIG = f"""[tracking]
base_url = "https://t.example.com"
[[tracking.keys]]
id = "bench"
secret = "{SECRET}"
"""
_SENT = """
CREATE OR REPLACE TEMP TABLE _bench_sent AS
SELECT 'sent-' || i AS id, 'c' || i AS contact, 'email_sent' AS type,
       TIMESTAMP '2026-01-01 09:00:00' AS ts, '{"email": "bench-1"}' AS properties,
       false AS bot, NULL::VARCHAR AS bot_reason, 'bench' AS source
FROM range($contacts) r(i)
"""
_VISITS = """
CREATE OR REPLACE TEMP TABLE _bench_visits AS
SELECT 'v' || i AS id, 'c' || (hash(i, $seed) % $contacts) AS contact, 'page_visit' AS type,
       TIMESTAMP '2025-01-01' + to_seconds((hash(i, $seed, 1) % 31536000)::BIGINT) AS ts,
       json_object('url', '/page/' || (i % 50))::VARCHAR AS properties,
       false AS bot, NULL::VARCHAR AS bot_reason, 'bench' AS source
FROM range($visits) r(i)
"""
ENDPOINTS = ("health", "open", "click")


@dataclass
class Round:
    """What one load round saw."""

    endpoint: str
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    loop_cpu: float = 0.0  # the main thread: uvicorn's event loop (HTTP, routing, Arrow rows)
    latencies: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        """Acknowledged requests per second."""
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """Server CPU milliseconds per request sent."""
        sent = self.ok + self.errors
        return 1000 * self.server_cpu / sent if sent else 0.0

    @property
    def loop_share(self) -> float:
        """Share of the server's CPU spent on its event-loop thread."""
        return self.loop_cpu / self.server_cpu if self.server_cpu else 0.0

    def quantile(self, q: float) -> float:
        """Latency quantile in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def build(db: Path, contacts: int, visits: int, seed: int) -> list[str]:
    """Seed the store: the email, its links, sends to every contact, a visit log; link ids."""
    with Store(db) as store:
        register_email(store, EMAIL, "Bench", "Hello", "bench", send_time=datetime(2026, 1, 1))
        links = [add_link(store, EMAIL, url, f"page-{i}") for i, url in enumerate(LINKS)]

        def seed_log(conn):  # type: ignore[no-untyped-def]
            conn.execute(_SENT, {"contacts": contacts})
            store.append_relation(conn, "_bench_sent")
            conn.execute(_VISITS, {"seed": seed, "contacts": contacts, "visits": visits})
            store.append_relation(conn, "_bench_visits")

        store.write(seed_log)
    return links


def append_cost(db: Path, rows: int, times: int = 15) -> float:
    """Median milliseconds of one ``append_activities`` of ``rows`` visits (in-process detail)."""
    from headway.web.recorder import ACTIVITY_SCHEMA

    costs = []
    with Store(db) as store:
        for t in range(-1, times):  # round -1 warms up (connection, writer thread)
            batch = [
                {"id": f"probe-{rows}-{t}-{i}", "contact": f"c{i}", "type": "page_visit",
                 "ts": datetime(2026, 1, 2), "properties": '{"url": "/probe"}', "bot": False,
                 "bot_reason": None, "source": "bench"}
                for i in range(rows)
            ]  # fmt: skip
            table = pa.Table.from_pylist(batch, schema=ACTIVITY_SCHEMA)
            start = time.perf_counter()
            store.append_activities(table)
            if t >= 0:
                costs.append(time.perf_counter() - start)
    return 1000 * statistics.median(costs)


def lookup_cost(db: Path, link: str, times: int = 200) -> float:
    """Median milliseconds of one ``get_link`` read, which every click does (in-process)."""
    with Store(db, read_only=True) as store:
        get_link(store, EMAIL, link)
        costs = []
        for _ in range(times):
            start = time.perf_counter()
            get_link(store, EMAIL, link)
            costs.append(time.perf_counter() - start)
    return 1000 * statistics.median(costs)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, config: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``headway serve`` on loopback and wait until ``/health`` answers."""
    port = free_port()
    cmd = [str(HEADWAY), "--db", str(db), "serve", "--port", str(port), "--config", str(config)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"headway serve exited: {stop_server(proc)}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    stop_server(proc)
    raise SystemExit("headway serve did not answer within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> str:
    """Stop the server gracefully (SIGTERM); its stderr."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.stderr.read().decode() if proc.stderr else ""


def cpu_seconds(pid: int, main_thread: bool = False) -> float:
    """User + system CPU time of a running process (or its main thread alone), seconds."""
    stat = Path(f"/proc/{pid}/task/{pid}/stat" if main_thread else f"/proc/{pid}/stat")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_kib(pid: int) -> int:
    """Peak resident memory of a running process (``VmHWM``), KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def paths(endpoint: str, first: int, count: int, links: list[str], signer: Signer) -> list[str]:
    """Request paths of one round: tokens for contacts ``first`` … ``first + count - 1``."""
    if endpoint == "health":
        return ["/health"] * count
    if endpoint == "open":
        return [
            f"/t/o/{signer.sign('open', EMAIL, f'c{i}')}.gif" for i in range(first, first + count)
        ]
    return [
        f"/t/c/{signer.sign('click', EMAIL, f'c{i}', links[i % len(links)])}"
        for i in range(first, first + count)
    ]


async def load(url: str, endpoint: str, todo: list[str], seconds: float, concurrency: int) -> Round:
    """Send ``todo`` over ``concurrency`` connections until done or ``seconds`` have passed."""
    result = Round(endpoint)
    want = 302 if endpoint == "click" else 200
    queue = iter(todo)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        start = time.perf_counter()
        deadline = start + seconds

        async def worker() -> None:
            for path in queue:
                if time.perf_counter() >= deadline:
                    return
                sent = time.perf_counter()
                try:
                    status = (await client.get(path)).status_code
                except httpx.HTTPError:
                    status = 0
                result.latencies.append(time.perf_counter() - sent)
                if status == want:
                    result.ok += 1
                else:
                    result.errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.seconds = time.perf_counter() - start
    return result


def stored(db: Path) -> dict[str, tuple[int, int]]:
    """Per tracked type: stored activities and distinct contacts among them."""
    with Store(db, read_only=True) as store:
        rows = store.execute(
            """SELECT t.name, count(*), count(DISTINCT a.contact_key) FROM activities a
            JOIN activity_types t ON t.code = a.type_code
            WHERE t.name IN ('email_open', 'email_click') AND a.source = 'tracking'
            GROUP BY t.name"""
        ).rows
    return {name: (int(n), int(d)) for name, n, d in rows}


def run_rounds(
    url: str, pid: int, links: list[str], signer: Signer, args: argparse.Namespace
) -> list[Round]:
    """Alternate health / open / click rounds ``args.runs`` times."""
    # Warm-up (not measured): open the connections, let the server import its routes.
    asyncio.run(load(url, "health", paths("health", 0, 100, links, signer), 10, args.concurrency))
    rounds = []
    for run in range(args.runs):
        for endpoint in ENDPOINTS:
            todo = paths(endpoint, run * args.requests, args.requests, links, signer)
            cpu, loop = cpu_seconds(pid), cpu_seconds(pid, main_thread=True)
            r = asyncio.run(load(url, endpoint, todo, args.seconds, args.concurrency))
            r.server_cpu = cpu_seconds(pid) - cpu
            r.loop_cpu = cpu_seconds(pid, main_thread=True) - loop
            print(
                f"run {run + 1} {endpoint:6} {r.ok:>7} ok {r.errors:>4} errors "
                f"{r.seconds:6.2f} s {r.rps:8.0f} req/s p50 {r.quantile(0.5):6.1f} ms "
                f"p99 {r.quantile(0.99):6.1f} ms server CPU {r.cpu_ms:5.2f} ms/req "
                f"(event loop {r.loop_share:.0%})",
                flush=True,
            )
            rounds.append(r)
    return rounds


def table(rounds: list[Round]) -> list[str]:
    """The markdown table: medians over runs per endpoint, ratio to ``/health``."""
    med: dict[str, dict[str, float]] = {}
    for endpoint in ENDPOINTS:
        mine = [r for r in rounds if r.endpoint == endpoint]
        med[endpoint] = {
            "rps": statistics.median(r.rps for r in mine),
            "p50": statistics.median(r.quantile(0.5) for r in mine),
            "p99": statistics.median(r.quantile(0.99) for r in mine),
            "cpu": statistics.median(r.cpu_ms for r in mine),
            "ok": sum(r.ok for r in mine),
            "errors": sum(r.errors for r in mine),
        }
    ref = med["health"]
    lines = [
        "| endpoint | requests/s | p50 ms | p99 ms | server CPU ms/req | acknowledged | errors | "
        "req/s vs /health | p99 vs /health |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = {"health": "`GET /health` (reference)", "open": "`GET /t/o/{token}.gif`",
             "click": "`GET /t/c/{token}` (302)"}  # fmt: skip
    for endpoint in ENDPOINTS:
        m = med[endpoint]
        lines.append(
            f"| {names[endpoint]} | {m['rps']:,.0f} | {m['p50']:.1f} | {m['p99']:.1f} | "
            f"{m['cpu']:.2f} | "
            f"{m['ok']:,.0f} | {m['errors']:,.0f} | {m['rps'] / ref['rps']:.2f}× | "
            f"{m['p99'] / ref['p99']:.1f}× |"
        )
    return lines


def durability(db: Path, rounds: list[Round]) -> list[str]:
    """Compare stored opens/clicks with acknowledged answers; empty when they agree."""
    found = stored(db)
    problems = []
    for endpoint, type in (("open", "email_open"), ("click", "email_click")):
        acked = sum(r.ok for r in rounds if r.endpoint == endpoint)
        count, distinct = found.get(type, (0, 0))
        print(f"{type}: acknowledged {acked}, stored {count}, distinct contacts {distinct}")
        if count != acked or distinct != acked:
            problems.append(
                f"{type}: {acked} acknowledged but {count} stored ({distinct} contacts)"
            )
    return problems


def main() -> None:
    """Build, serve, load, check, print."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=5000, help="per endpoint and run")
    ap.add_argument("--seconds", type=float, default=60.0, help="time bound per round")
    ap.add_argument("--concurrency", type=int, default=32, help="connections of the client")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--visits", type=int, default=1_000_000, help="background log rows")
    ap.add_argument("--contacts", type=int, default=0, help="at least requests × runs")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--quick", action="store_true", help="tiny smoke run")
    args = ap.parse_args()
    if args.quick:
        args.requests, args.seconds, args.concurrency, args.runs = 200, 60.0, 8, 1
        args.visits = 1000
    with tempfile.TemporaryDirectory(prefix="hw-track-") as tmp:
        db, config = Path(tmp) / "bench.duckdb", Path(tmp) / "headway.toml"
        config.write_text(CONFIG)
        signer = load_settings(config).tracking.signer()
        contacts = max(args.contacts, args.requests * args.runs)
        start = time.perf_counter()
        links = build(db, contacts, args.visits, args.seed)
        print(f"seeded {contacts:,} contacts, {args.visits:,} visits in "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
        for rows in (1, 32):
            print(f"one append of {rows:>2} rows (in-process, median of 15): "
                  f"{append_cost(db, rows):.1f} ms")  # fmt: skip
        print(f"one get_link read (in-process, median of 200): {lookup_cost(db, links[0]):.2f} ms")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        proc, url = start_server(db, config)
        try:
            rounds = run_rounds(url, proc.pid, links, signer, args)
            rss = peak_rss_kib(proc.pid)
        finally:
            log = stop_server(proc)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"server peak RSS: {rss / 1024:.0f} MiB")
        print(f"{args.runs} runs, {args.requests} requests per round (bounded by "
              f"{args.seconds:g} s), {args.concurrency} connections\n")  # fmt: skip
        print("\n".join(table(rounds)) + "\n")
        problems = durability(db, rounds)
    if problems:
        print("durability: FAILED\n" + "\n".join(problems) + "\nserver log:\n" + log[-2000:])
        raise SystemExit(1)
    print("durability: ok (every acknowledged request stored once)")


if __name__ == "__main__":
    main()
