"""HTTP batch ingestion throughput: ``POST /api/v1/activities`` of a real ``headway serve``.

Per store size (a fresh database, and optionally one pre-filled with ``--prefill`` activities)
the script starts ``headway --db X serve`` as a subprocess on 127.0.0.1 and alternates rounds:

- the reference (the floor): the same batches appended in this process by raw DuckDB, one
  ``INSERT INTO t SELECT * FROM read_json(batch file)`` and one commit per batch, into a plain
  table (no validation, no dedupe, no dictionaries): what durable DuckDB appends alone cost;
- Headway: N loopback clients (threads, one keep-alive httpx connection each) post batches of
  realistic activities (JSON arrays, serialised before the clock starts) for a fixed time or
  until the round's batches run out; an activity counts when its batch got a 200.

It prints activities/s (medians over rounds), the ratio to the reference, the server's CPU per
batch and the store size at each round's start. After stopping the server it checks that every
acknowledged id is stored exactly once and nothing else of the benchmark's was stored.

    .venv/bin/python bench/serve_ingest.py --clients 8 --seconds 20 --runs 5
    .venv/bin/python bench/serve_ingest.py --prefill 10000000 --runs 5   # also a 10M store
"""

# ruff: noqa: E402 (imports follow the sys.path fix below)
from __future__ import annotations

import sys

# bench/ holds email.py: keep this folder off the path so that the standard library's ``email``
# package (imported by http.client, hence by httpx) is the one imported.
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("/bench") and p != "bench"]

import argparse
import os
import random
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
HEADWAY = ROOT / ".venv" / "bin" / "headway"
sys.path.insert(0, str(ROOT / "src"))

from headway.store import Store

# A marketing log's mix: page visits most common, email events next, forms and purchases rare.
TYPES = (
    ("page_visit", 55), ("email_sent", 12), ("email_delivered", 11), ("email_open", 10),
    ("email_click", 5), ("form_submission", 4), ("purchase", 2), ("email_unsubscribe", 1),
)  # fmt: skip
PAGES = ("/", "/pricing", "/features", "/blog/launch", "/docs/start", "/signup", "/contact")
CAMPAIGNS = ("spring", "onboarding", "webinar", "newsletter-24")
AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
START = datetime(2025, 6, 1, tzinfo=UTC)
RAW_TABLE = """CREATE TABLE raw (id VARCHAR, contact VARCHAR, type VARCHAR, ts TIMESTAMPTZ,
    properties JSON, url VARCHAR)"""
RAW_COLUMNS = (
    "{id: 'VARCHAR', contact: 'VARCHAR', type: 'VARCHAR', ts: 'TIMESTAMPTZ', "
    "properties: 'JSON', url: 'VARCHAR'}"
)
REFERENCE_BATCHES = 30  # the reference appends this many of each round's batches
_PREFILL = """CREATE OR REPLACE TEMP VIEW _bench_prefill AS
SELECT 'pre-' || i AS id, 'c' || (hash(i, 7) % $contacts) || '@example.com' AS contact,
  CASE WHEN i % 20 < 11 THEN 'page_visit' WHEN i % 20 < 14 THEN 'email_sent'
       WHEN i % 20 < 16 THEN 'email_delivered' WHEN i % 20 < 18 THEN 'email_open'
       WHEN i % 20 < 19 THEN 'email_click' ELSE 'form_submission' END AS type,
  TIMESTAMP '2025-01-01' + to_seconds((hash(i, 8) % 12960000)::BIGINT) AS ts,
  json_object('url', '/page/' || (i % 50), 'campaign', 'c' || (i % 7))::VARCHAR AS properties,
  false AS bot, NULL::VARCHAR AS bot_reason, 'import' AS source
FROM range($rows) r(i)"""


@dataclass
class Round:
    """One timed round of one contender."""

    activities: int
    seconds: float
    batches: int = 0
    errors: int = 0
    cpu_seconds: float = 0.0
    store_rows: int = 0

    @property
    def rate(self) -> float:
        return self.activities / self.seconds if self.seconds else 0.0


@dataclass
class Batches:
    """Pre-serialised request bodies and the ids each holds."""

    bodies: list[bytes] = field(default_factory=list)
    ids: list[list[str]] = field(default_factory=list)


def make_batches(count: int, size: int, contacts: int, tag: str, seed: int) -> Batches:
    """``count`` JSON array bodies of ``size`` activities with ids ``{tag}-{batch}-{i}``."""
    rng = random.Random(seed)
    names, weights = zip(*TYPES, strict=True)
    out = Batches()
    for b in range(count):
        kinds = rng.choices(names, weights, k=size)
        records, ids = [], []
        for i, kind in enumerate(kinds):
            ident = f"{tag}-{b}-{i}"
            ts = START + timedelta(seconds=rng.randrange(0, 30 * 86400), microseconds=i)
            records.append(record(rng, ident, kind, ts, contacts))
            ids.append(ident)
        out.bodies.append(orjson.dumps(records))
        out.ids.append(ids)
    return out


def record(
    rng: random.Random, ident: str, kind: str, ts: datetime, contacts: int
) -> dict[str, Any]:
    """One realistic activity: most keys in ``properties``, a page URL at the top level."""
    rec: dict[str, Any] = {
        "id": ident,
        "contact": f"c{rng.randrange(contacts)}@example.com",
        "type": kind,
        "ts": ts.isoformat().replace("+00:00", "Z"),
    }
    if kind.startswith("email_"):
        campaign = rng.choice(CAMPAIGNS)
        rec["properties"] = {"email": f"{campaign}-{rng.randrange(4)}", "campaign": campaign}
        if kind in ("email_open", "email_click"):
            rec["properties"]["user_agent"] = AGENT
        if kind == "email_click":
            rec["properties"]["url"] = "https://example.com" + rng.choice(PAGES)
    else:
        rec["url"] = rng.choice(PAGES)  # a top-level extra: becomes a property
        rec["properties"] = {"referrer": "https://www.google.com/", "session": rng.randrange(10**6)}
        if kind == "purchase":
            rec["properties"]["value"] = rng.randrange(10, 500)
    return rec


# -- the reference: raw DuckDB appends ----------------------------------------------------------
def reference_round(files: list[Path], db: Path) -> Round:
    """Append each batch file with one INSERT … read_json and one commit; time it all."""
    conn = duckdb.connect(str(db))
    conn.execute("DROP TABLE IF EXISTS raw")
    conn.execute(RAW_TABLE)
    started = time.perf_counter()
    rows = 0
    for path in files:
        conn.execute("BEGIN TRANSACTION")
        conn.execute(
            f"INSERT INTO raw SELECT * FROM read_json(?, format = 'array', columns = {RAW_COLUMNS})",
            [str(path)],
        )
        conn.execute("COMMIT")
        rows += 1
    elapsed = time.perf_counter() - started
    stored = int(conn.execute("SELECT count(*) FROM raw").fetchall()[0][0])
    conn.close()
    return Round(stored, elapsed, batches=rows)


# -- the server ---------------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``headway --db db serve`` on a free loopback port, once it answers."""
    port = free_port()
    cmd = [str(HEADWAY), "--db", str(db), "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"headway serve exited: {stop_server(proc)}")
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    stop_server(proc)
    raise SystemExit("headway serve did not answer within 120 s")


def stop_server(proc: subprocess.Popen[bytes]) -> str:
    """SIGTERM (graceful) and the server's stderr."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.stderr.read().decode() if proc.stderr else ""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def headway_round(
    url: str, pid: int, batches: Batches, clients: int, seconds: float, acked: list[str]
) -> Round:
    """N client threads post the batches until they run out or time is up."""
    todo: Iterator[int] = iter(range(len(batches.bodies)))
    lock = threading.Lock()
    result = Round(0, 0.0)
    deadline = time.perf_counter() + seconds

    def client() -> None:
        headers = {"Content-Type": "application/json"}
        with httpx.Client(base_url=url, timeout=120) as http:
            while time.perf_counter() < deadline:
                with lock:
                    n = next(todo, None)
                if n is None:
                    return
                answer = http.post("/api/v1/activities", content=batches.bodies[n], headers=headers)
                with lock:
                    if answer.status_code == 200:
                        result.activities += int(answer.json()["accepted"])
                        result.batches += 1
                        acked.extend(batches.ids[n])
                    else:
                        result.errors += 1

    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = cpu_seconds(pid) - cpu
    return result


# -- checks and the whole run -------------------------------------------------------------------
def prefill(db: Path, rows: int, contacts: int) -> None:
    """Fill a store with ``rows`` activities over ``contacts`` contacts (the bulk path)."""
    sql = _PREFILL.replace("$contacts", str(contacts)).replace("$rows", str(rows))
    with Store(db) as store:

        def fill(conn: duckdb.DuckDBPyConnection) -> None:
            conn.execute(sql)
            store.append_relation(conn, "_bench_prefill")

        store.write(fill)


def verify(db: Path, acked: list[str], prefix: str) -> dict[str, int]:
    """Stored vs acknowledged benchmark ids: missing, doubled and unacknowledged extras."""
    with Store(db, read_only=True) as store:
        conn = store.cursor()
        conn.register("_acked", pa.table({"id": pa.array(acked, pa.string())}))
        row = conn.execute(
            """SELECT
                (SELECT count(*) FROM _acked k ANTI JOIN activities a ON a.id = k.id),
                (SELECT count(*) - count(DISTINCT id) FROM activities WHERE starts_with(id, ?)),
                (SELECT count(*) FROM activities a WHERE starts_with(a.id, ?)
                   AND a.id NOT IN (SELECT id FROM _acked)),
                (SELECT count(*) FROM activities)""",
            [prefix, prefix],
        ).fetchall()[0]
        conn.unregister("_acked")
    return {"missing": row[0], "doubled": row[1], "unacknowledged": row[2], "rows": row[3]}


def run(
    *,
    clients: int = 8,
    seconds: float = 20.0,
    runs: int = 5,
    batch: int = 10_000,
    batches_per_round: int = 150,
    prefills: tuple[int, ...] = (0,),
    contacts: int = 200_000,
    seed: int = 1,
    workdir: Path | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """Run the benchmark for each starting store size; medians, rounds and checks per size."""
    results: dict[str, Any] = {"clients": clients, "batch": batch, "sizes": []}
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        base = Path(tmp)
        for size in prefills:
            results["sizes"].append(
                _run_size(
                    base,
                    size,
                    clients,
                    seconds,
                    runs,
                    batch,
                    batches_per_round,
                    contacts,
                    seed,
                    log,
                )
            )
    return results


def _run_size(
    base: Path, size: int, clients: int, seconds: float, runs: int, batch: int,
    per_round: int, contacts: int, seed: int, log: Any,
) -> dict[str, Any]:  # fmt: skip
    db = base / f"store-{size}.duckdb"
    if size:
        log(f"pre-filling {size:,} activities ...")
        prefill(db, size, contacts)
    proc, url = start_server(db)
    acked: list[str] = []
    ours: list[Round] = []
    refs: list[Round] = []
    template = make_batches(per_round, batch, contacts, f"bench{size}r0", seed)
    try:
        # Untimed: the first append builds the server's in-memory id index and contact keys.
        warm = make_batches(1, batch, contacts, f"bench{size}w", seed + 1000)
        headway_round(url, proc.pid, warm, 1, 600, [])
        for r in range(runs):
            data = retagged(template, f"bench{size}r0", f"bench{size}r{r}")
            files = _write_files(base, data)
            refs.append(reference_round(files[:REFERENCE_BATCHES], base / "reference.duckdb"))
            before = size + batch + len(acked)  # the prefill, the warm-up batch, earlier rounds
            round_ = headway_round(url, proc.pid, data, clients, seconds, acked)
            round_.store_rows = before
            ours.append(round_)
            for path in files:
                path.unlink()
            log(f"  size {size:,} round {r + 1}: reference {refs[-1].rate:,.0f}/s, headway "
                f"{round_.rate:,.0f}/s ({round_.batches} batches, {round_.errors} errors, store "
                f"{before:,} rows at start)")  # fmt: skip
    finally:
        stderr = stop_server(proc)
    check = verify(db, acked, f"bench{size}r")
    if any(check[k] for k in ("missing", "doubled", "unacknowledged")) or "Traceback" in stderr:
        log(f"server stderr: {stderr.strip()[-2000:]}")
    return _summary(size, ours, refs, check, len(acked))


def retagged(data: Batches, old: str, new: str) -> Batches:
    """The same batches with every id's tag replaced (new ids, same records)."""
    if old == new:
        return data
    before, after = f'"id":"{old}-'.encode(), f'"id":"{new}-'.encode()
    return Batches(
        [body.replace(before, after) for body in data.bodies],
        [[new + i[len(old) :] for i in ids] for ids in data.ids],
    )


def _write_files(base: Path, data: Batches) -> list[Path]:
    files = []
    for n, body in enumerate(data.bodies):
        path = base / f"batch-{n}.json"
        path.write_bytes(body)
        files.append(path)
    return files


def _summary(
    size: int, ours: list[Round], refs: list[Round], check: dict[str, int], acked: int
) -> dict[str, Any]:
    ours_rate = statistics.median(r.rate for r in ours)
    ref_rate = statistics.median(r.rate for r in refs)
    cpu_per_batch = statistics.median(r.cpu_seconds / r.batches * 1000 for r in ours if r.batches)
    return {
        "prefill": size,
        "store_rows_at_start": [r.store_rows for r in ours],
        "headway_per_s": ours_rate,
        "reference_per_s": ref_rate,
        "ratio": ours_rate / ref_rate if ref_rate else 0.0,
        "server_cpu_ms_per_batch": cpu_per_batch,
        "errors": sum(r.errors for r in ours),
        "rounds": [(r.rate, f.rate) for r, f in zip(ours, refs, strict=True)],
        "acknowledged": acked,
        "check": check,
        "durable": not (check["missing"] or check["doubled"] or check["unacknowledged"]),
    }


def table(results: dict[str, Any]) -> str:
    """A Markdown table of the medians."""
    lines = [
        "| store at start | Headway activities/s | raw DuckDB append/s (reference) | ratio "
        "| server CPU ms per batch | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in results["sizes"]:
        rows = s["store_rows_at_start"]
        lines.append(
            f"| {rows[0]:,}–{rows[-1]:,} | {s['headway_per_s']:,.0f} | {s['reference_per_s']:,.0f} "
            f"| {s['ratio']:.2f}× | {s['server_cpu_ms_per_batch']:,.0f} | {s['errors']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: run, print the table and the durability check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=150, help="batches per round (bound)")
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--prefill", type=int, default=0, help="also run on a store of N rows")
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.seconds, args.batch, args.batches, args.contacts = 2, 5, 500, 6, 1000
    sizes = (0, args.prefill) if args.prefill else (0,)
    results = run(
        clients=args.clients, seconds=args.seconds, runs=args.runs, batch=args.batch,
        batches_per_round=args.batches, prefills=sizes, contacts=args.contacts,
    )  # fmt: skip
    print(f"\n{args.clients} clients, batches of {args.batch:,}, medians of {args.runs} rounds\n")
    print(table(results))
    ok = all(s["durable"] for s in results["sizes"])
    for s in results["sizes"]:
        c = s["check"]
        print(
            f"store {s['prefill']:,}: acknowledged {s['acknowledged']:,}, missing {c['missing']}, "
            f"doubled {c['doubled']}, unacknowledged {c['unacknowledged']}, rows {c['rows']:,}"
        )
    print("durability: ok" if ok else "durability: FAILED")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
