"""Funnel benchmark: Headway's full funnel report vs chDB's ``windowFunnel`` on the same data.

For each size (default 20M activities / 1M contacts, then 100M / 5M) the script generates a
seeded, marketing-shaped log with DuckDB, writes it as Parquet twice — the Headway import
file (JSON properties) and a flat file with typed columns, the form chDB reads best — and
imports the first into a Headway store. Then it alternately times, as whole processes:

* ``headway --db STORE funnel bench-journey.yaml --json`` — stage counts, outcomes, stage
  times of a 5-stage, 7-day journey, from the Headway store;
* chDB ``windowFunnel(7 days)`` over the flat Parquet (stage reached only), as its experts
  would write it: only the needed columns, the OR of the stage conditions in ``WHERE``,
  integer-second timestamps, ``schema_inference_make_columns_nullable=0``.

It checks both give the same number of contacts per stage, and prints medians of wall time,
peak RSS and the ratios (Headway / chDB; 100M / 20M).

    .venv/bin/python bench/funnel.py                      # 20M and 100M, 5 runs each
    .venv/bin/python bench/funnel.py --sizes 2000000:100000 --runs 3
    .venv/bin/python bench/funnel.py --sizes 20000000:1000000 --split   # where the time goes

``--copies-of ROWS:CONTACTS`` builds each size's data as that (smaller) size's data copied
``rows / ROWS`` times with disjoint contacts — copy ``k`` has contact ids ``ID-k`` and keys
offset by ``k * CONTACTS`` — so its stage counts are exactly that multiple of the smaller
one's. A fresh 100M import takes too long on 2 cores; this is how the 100M store is built:

    .venv/bin/python bench/funnel.py --prepare --sizes 100000000:5000000 --copies-of 20000000:1000000 --seed 42

``--split`` runs the funnel once in a fresh process and prints where its time goes: imports,
the input query (SQL to Arrow), Arrow to NumPy, the matcher, the kernel's output table, and
the report, per partition and in total (timers wrapped around the engine's own functions).
"""

from __future__ import annotations

import sys

# Run as a script, this directory comes first on sys.path; drop it so that no sibling
# benchmark module shadows a standard-library module.
if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]

import argparse
import json
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
WINDOW_S = 7 * 86_400
AS_OF = "2025-04-01T00:00:00Z"

JOURNEY = """\
name: Bench five stages
order: ordered
window: 7d
stages:
  - name: Blog visit
    when: {type: page_visit, where: {url: {starts_with: /blog}}}
  - name: Email open
    when: {type: email_open}
  - name: Email click
    when: {type: email_click}
  - name: Pricing
    when: {type: page_visit, where: {url: /pricing}}
  - name: Trial
    when: {type: form_submission, where: {form: trial}}
"""

CHDB_QUERY = """
SELECT level, count() AS contacts FROM (
  SELECT contact, windowFunnel({window})(ts,
      type = 'page_visit' AND startsWith(url, '/blog'),
      type = 'email_open',
      type = 'email_click',
      type = 'page_visit' AND url = '/pricing',
      type = 'form_submission' AND form = 'trial') AS level
  FROM file('{path}', Parquet, 'contact String, type String, ts UInt32, url String, form String')
  WHERE ts <= {as_of}
    AND ((type = 'page_visit' AND (startsWith(url, '/blog') OR url = '/pricing'))
      OR type IN ('email_open', 'email_click')
      OR (type = 'form_submission' AND form = 'trial'))
  GROUP BY contact
) GROUP BY level ORDER BY level
SETTINGS schema_inference_make_columns_nullable = 0
"""

CHDB_SCRIPT = """
import sys, chdb
print(chdb.query(sys.argv[1], "JSONCompact"))
"""

# Shares of activity types in a marketing log: page visits most common, conversions rare.
GENERATE = """
COPY (
  WITH base AS (
    SELECT i,
           hash(i, {seed}, 1) % {contacts} AS c,
           (hash(i, {seed}, 2) % 1000000) / 1e6 AS r,
           CAST(hash(i, {seed}, 3) % 1000000 AS BIGINT) AS h,
           TIMESTAMP '2025-01-01' + to_seconds(CAST(hash(i, {seed}, 4) % (90 * 86400) AS BIGINT)) AS ts
    FROM range({rows}) t(i)
  ), typed AS (
    SELECT i, c, ts, h,
      CASE WHEN r < 0.55 THEN 'page_visit' WHEN r < 0.65 THEN 'email_sent'
           WHEN r < 0.74 THEN 'email_delivered' WHEN r < 0.84 THEN 'email_open'
           WHEN r < 0.90 THEN 'email_click' WHEN r < 0.94 THEN 'form_submission'
           WHEN r < 0.96 THEN 'purchase' ELSE 'app_login' END AS type
    FROM base
  )
  SELECT 'e' || i AS id, 'c' || c AS contact, type, ts,
    CASE WHEN type = 'page_visit' THEN ['/', '/blog/a', '/blog/b', '/pricing', '/docs/start', '/docs/api'][1 + h % 6] END AS url,
    CASE WHEN type = 'form_submission' THEN ['trial', 'newsletter', 'contact-sales'][1 + h % 3] END AS form,
    CASE WHEN type LIKE 'email_%' THEN 'newsletter-' || (h % 12) END AS email,
    CASE WHEN type = 'purchase' THEN CAST(h % 500 AS INTEGER) END AS value
  FROM typed
) TO '{flat}' (FORMAT parquet)
"""


@dataclass(frozen=True)
class Size:
    """One benchmark size."""

    rows: int
    contacts: int

    @property
    def label(self) -> str:
        """E.g. 20M."""
        return f"{self.rows / 1e6:g}M" if self.rows >= 1_000_000 else f"{self.rows:,}"


@dataclass(frozen=True)
class Timing:
    """One whole-process run."""

    seconds: float
    peak_mb: float
    output: str
    cpu: float = 0.0  # user + system CPU seconds of the process (steadier under load)


def generate(size: Size, seed: int) -> tuple[Path, Path]:
    """The flat Parquet (for chDB) and the Headway import Parquet of one size."""
    DATA.mkdir(parents=True, exist_ok=True)
    stem = f"funnel-{size.rows}-{size.contacts}-{seed}"
    flat, hw = DATA / f"{stem}-flat.parquet", DATA / f"{stem}-headway.parquet"
    if not flat.exists():
        conn = duckdb.connect()
        conn.execute(GENERATE.format(seed=seed, contacts=size.contacts, rows=size.rows, flat=flat))
        # chDB reads integer seconds best: store them alongside as UInt32.
        tmp = flat.with_suffix(".tmp.parquet")
        conn.execute(
            f"COPY (SELECT contact, type, CAST(epoch(ts) AS UINTEGER) AS ts, coalesce(url, '') AS url, "
            f"coalesce(form, '') AS form, id, email, value, ts AS ts_time FROM read_parquet('{flat}')) "
            f"TO '{tmp}' (FORMAT parquet)"
        )
        tmp.replace(flat)
        conn.close()
    if not hw.exists():
        conn = duckdb.connect()
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(
            f"COPY (SELECT id, contact, type, ts_time AS ts, "
            f"to_json(json_object('url', nullif(url, ''), 'form', nullif(form, ''), 'email', email, 'value', value)) "
            f"AS properties FROM read_parquet('{flat}')) TO '{hw}' (FORMAT parquet)"
        )
        conn.close()
    return flat, hw


def store_path(size: Size, seed: int) -> Path:
    """The Headway store of one size."""
    return DATA / f"funnel-{size.rows}-{size.contacts}-{seed}.duckdb"


def replicate(size: Size, base: Size, seed: int) -> None:
    """``size``'s flat Parquet and Headway store as copies of ``base``'s (see the docstring).

    The store is a file copy of the base store with the activities and contacts copied
    ``size.rows // base.rows - 1`` more times (ids suffixed ``-k``, keys offset); the
    derived tables (catalogue, email statistics) keep the base's figures, which the funnel
    does not read."""
    copies, rest = divmod(size.rows, base.rows)
    if rest or copies < 2 or size.contacts != copies * base.contacts:
        raise SystemExit(
            f"--copies-of: {size.rows:,}:{size.contacts:,} is not a multiple of the base"
        )
    base_flat, base_hw = generate(base, seed)
    base_store = build_store(base, seed, base_hw)
    flat = DATA / f"funnel-{size.rows}-{size.contacts}-{seed}-flat.parquet"
    if not flat.exists():
        t0 = time.perf_counter()
        conn = duckdb.connect()
        tmp = flat.with_suffix(".tmp.parquet")
        conn.execute(
            f"COPY (SELECT CASE WHEN k = 0 THEN contact ELSE contact || '-' || k END AS contact, "
            f"type, ts, url, form, CASE WHEN k = 0 THEN id ELSE id || '-' || k END AS id, email, "
            f"value, ts_time FROM range({copies}) c(k), read_parquet('{base_flat}')) "
            f"TO '{tmp}' (FORMAT parquet)"
        )
        tmp.replace(flat)
        conn.close()
        print(f"  {flat.name} written in {time.perf_counter() - t0:.1f} s", flush=True)
    store = store_path(size, seed)
    if not store.exists():
        t0 = time.perf_counter()
        tmp = store.with_suffix(".tmp.duckdb")
        shutil.copyfile(base_store, tmp)
        conn = duckdb.connect(str(tmp))
        for k in range(1, copies):
            offset = k * base.contacts
            conn.execute(
                f"INSERT INTO contacts SELECT key + {offset}, id || '-{k}', email, attributes, "
                f"subscription, created_at, updated_at FROM contacts WHERE key < {base.contacts}"
            )
            columns = [r[0] for r in conn.execute("DESCRIBE activities").fetchall()]
            picks = {
                "id": f"id || '-{k}'",
                "id_hash": f"hash(id || '-{k}')",
                "contact_key": f"contact_key + {offset}",
            }
            select = ", ".join(picks.get(c, c) for c in columns)
            conn.execute(
                f"INSERT INTO activities SELECT {select} FROM activities "
                f"WHERE contact_key < {base.contacts}"
            )
        conn.execute("CHECKPOINT")
        conn.close()
        tmp.replace(store)
        print(f"  {store.name} built in {time.perf_counter() - t0:.1f} s", flush=True)


def build_store(size: Size, seed: int, hw_file: Path) -> Path:
    """A Headway store holding the generated log (built once per size)."""
    store = store_path(size, seed)
    if not store.exists():
        t0 = time.perf_counter()
        run(
            [
                str(ROOT / ".venv/bin/headway"),
                "--db",
                str(store),
                "import",
                str(hw_file),
                "--tz",
                "UTC",
            ]
        )
        print(f"  store built in {time.perf_counter() - t0:.1f} s", flush=True)
    return store


def prepared(size: Size, seed: int) -> tuple[Path, Path]:
    """The flat Parquet and the store of one size, generated and imported if not there
    (a store built by ``--copies-of`` has no import file: none is made for it)."""
    store = store_path(size, seed)
    flat = DATA / f"funnel-{size.rows}-{size.contacts}-{seed}-flat.parquet"
    if store.exists() and flat.exists():
        return flat, store
    flat, hw_file = generate(size, seed)
    return flat, build_store(size, seed, hw_file)


def run(cmd: list[str]) -> Timing:
    """Run a whole process under /usr/bin/time; wall seconds, peak RSS, stdout."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", *cmd], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}"
        )
    peak_kb, user, system = proc.stderr.strip().splitlines()[-1].split()
    return Timing(seconds, int(peak_kb) / 1024, proc.stdout, float(user) + float(system))


def headway_levels(output: str) -> dict[int, int]:
    """Contacts per furthest stage from the funnel JSON (level 0 excluded)."""
    reached = [s["reached"] for s in json.loads(output)["stages"]] + [0]
    return {
        i + 1: reached[i] - reached[i + 1]
        for i in range(len(reached) - 1)
        if reached[i] - reached[i + 1]
    }


def chdb_levels(output: str) -> dict[int, int]:
    """Contacts per windowFunnel level (level 0 excluded)."""
    rows = json.loads(output)["data"]
    return {int(level): int(n) for level, n in rows if int(level) > 0}


def bench(size: Size, seed: int, runs: int) -> dict[str, float]:
    """Time both engines on one size; medians and ratio."""
    print(f"== {size.label} activities / {size.contacts:,} contacts", flush=True)
    flat, store = prepared(size, seed)
    journey = DATA / "bench-journey.yaml"
    journey.write_text(JOURNEY)
    as_of = int(datetime.fromisoformat(AS_OF).timestamp())
    query = CHDB_QUERY.format(window=WINDOW_S, path=flat, as_of=as_of)
    hw_cmd = [
        str(ROOT / ".venv/bin/headway"),
        "--db",
        str(store),
        "funnel",
        str(journey),
        "--json",
        "--as-of",
        AS_OF,
    ]
    ch_cmd = [sys.executable, "-c", CHDB_SCRIPT, query]
    hw_runs, ch_runs = [], []
    for i in range(runs):
        hw_runs.append(run(hw_cmd))
        ch_runs.append(run(ch_cmd))
        print(
            f"  run {i + 1}: headway {hw_runs[-1].seconds:.2f} s ({hw_runs[-1].cpu:.2f} CPU-s), "
            f"chdb {ch_runs[-1].seconds:.2f} s ({ch_runs[-1].cpu:.2f} CPU-s), "
            f"load {Path('/proc/loadavg').read_text().split()[0]}",
            flush=True,
        )
    agree = headway_levels(hw_runs[0].output) == chdb_levels(ch_runs[0].output)
    hw_s = statistics.median(t.seconds for t in hw_runs)
    ch_s = statistics.median(t.seconds for t in ch_runs)
    hw_mb = max(t.peak_mb for t in hw_runs)
    ch_mb = max(t.peak_mb for t in ch_runs)
    hw_cpu = statistics.median(t.cpu for t in hw_runs)
    ch_cpu = statistics.median(t.cpu for t in ch_runs)
    print(
        f"  headway median {hw_s:.2f} s (peak {hw_mb:.0f} MiB); chdb median {ch_s:.2f} s (peak {ch_mb:.0f} MiB)"
    )
    print(f"  CPU-s medians: headway {hw_cpu:.2f}, chdb {ch_cpu:.2f} (ratio {hw_cpu / ch_cpu:.2f})")
    print(
        f"  ratio headway/chdb = {hw_s / ch_s:.2f} (goal <= 0.5); same stage counts: {'yes' if agree else 'NO'}"
    )
    if not agree:
        print(
            f"  headway {headway_levels(hw_runs[0].output)}\n  chdb    {chdb_levels(ch_runs[0].output)}"
        )
    return {
        "headway": hw_s,
        "chdb": ch_s,
        "ratio": hw_s / ch_s,
        "headway_mb": hw_mb,
        "agree": float(agree),
    }


SPLIT_CHILD = """
import sys, time
t0 = time.perf_counter()
import headway.api
from headway.backends import duckdb_partitions
from headway.engine.funnel.report import funnel_report
from headway.engine.kernel import match_kernel, matcher
from headway.store import Store
imports = time.perf_counter() - t0
t0 = time.perf_counter()
matcher.warmup()
numba_load = time.perf_counter() - t0
rows, parts = [], {"query": [], "to_numpy": [], "matcher": [], "output": []}
spans = {"query": [], "kernel": []}  # (start, end) of each query and each kernel call


def timed(key, fn):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        out = fn(*args, **kwargs)
        end = time.perf_counter()
        if not (preloading and key != "query"):  # the read-ahead thread still counts
            parts[key].append(end - t)
        if key == "query":
            rows.append(out.num_rows)
            spans["query"].append((t, end))
        return out
    return wrapper


def spanned(fn):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spans["kernel"].append((t, time.perf_counter()))
    return wrapper


match_kernel.MatchKernel.__call__ = spanned(match_kernel.MatchKernel.__call__)
preloading = False
if hasattr(match_kernel.MatchKernel, "preload"):  # its tiny warm-up matches are not timed
    real_preload = match_kernel.MatchKernel.preload

    def preload(self):
        global preloading
        preloading = True
        try:
            real_preload(self)
        finally:
            preloading = False

    match_kernel.MatchKernel.preload = preload


duckdb_partitions._read = timed("query", duckdb_partitions._read)
if hasattr(match_kernel, "_chunks"):  # the input as views, chunk by chunk
    match_kernel._chunks = timed("to_numpy", match_kernel._chunks)
    matcher.match_chunks = timed("matcher", matcher.match_chunks)
    per_part = 1
else:  # the code before #13's kernel work: one concatenated array per column
    match_kernel._matcher_array = timed("to_numpy", match_kernel._matcher_array)
    matcher.match = timed("matcher", matcher.match)
    per_part = 5
match_kernel.MatchKernel.table = timed("output", match_kernel.MatchKernel.table)
t0 = time.perf_counter()
store = Store(sys.argv[1], read_only=True)  # as the CLI opens it: nothing saved
hw = headway.api.Headway(store)
journey = hw.journey(sys.argv[2])
opened = time.perf_counter() - t0
t0 = time.perf_counter()
matched = hw.match(journey, as_of=sys.argv[3])
match_s = time.perf_counter() - t0
t0 = time.perf_counter()
report = funnel_report(matched)
report_s = time.perf_counter() - t0
print(f"  partitions: {len(rows)}, input rows: {sum(rows):,}")
n = len(rows)
for i in range(n):
    to_np = sum(parts["to_numpy"][per_part * i : per_part * (i + 1)])
    print(
        f"  partition {i + 1}: {rows[i]:,} rows; query {parts['query'][i]:.2f} s, "
        f"to NumPy {to_np:.3f} s, matcher {parts['matcher'][i]:.2f} s, "
        f"output {parts['output'][i]:.3f} s"
    )
total = {k: sum(v) for k, v in parts.items()}
# the queries read ahead in another thread (the next partition's while the kernel matches)
overlap = sum(
    max(0.0, min(q1, k1) - max(q0, k0)) for q0, q1 in spans["query"] for k0, k1 in spans["kernel"]
)
rest = match_s - sum(total.values()) + overlap
print(f"  imports          {imports:6.2f} s")
print(f"  numba load       {numba_load:6.2f} s  (warm cache: loads the compiled kernel)")
print(f"  open + journey   {opened:6.2f} s")
print(f"  input query      {total['query']:6.2f} s  (SQL to Arrow)")
print(f"  Arrow to NumPy   {total['to_numpy']:6.3f} s")
print(f"  matcher          {total['matcher']:6.2f} s")
print(f"  kernel output    {total['output']:6.3f} s")
print(f"  query during kernel {overlap:6.2f} s  (read ahead: hidden behind the kernel)")
print(f"  match, wall      {match_s:6.2f} s  (query + kernel - overlap + rest)")
print(f"  combine, rest    {rest:6.2f} s")
print(f"  report           {report_s:6.2f} s")
print(f"  reached {[s.reached for s in report.stages]}")
"""


def split(size: Size, seed: int) -> None:
    """Where one funnel's time goes, measured inside a fresh process (see the docstring)."""
    print(f"== split, {size.label} activities / {size.contacts:,} contacts", flush=True)
    store = prepared(size, seed)[1]
    journey = DATA / "bench-journey.yaml"
    journey.write_text(JOURNEY)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", SPLIT_CHILD, str(store), str(journey), AS_OF],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    print(proc.stdout, end="")
    print(f"  whole process    {time.perf_counter() - t0:6.2f} s", flush=True)


def parse_sizes(text: str) -> list[Size]:
    """``ROWS:CONTACTS,ROWS:CONTACTS``."""
    sizes = []
    for part in text.split(","):
        rows, contacts = part.split(":")
        sizes.append(Size(int(rows), int(contacts)))
    return sizes


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="20000000:1000000,100000000:5000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--prepare", action="store_true", help="Only generate the data and build the stores."
    )
    parser.add_argument(
        "--split", action="store_true", help="Print where one funnel's time goes, per size."
    )
    parser.add_argument(
        "--copies-of",
        metavar="ROWS:CONTACTS",
        help="With --prepare: build each size as copies of this smaller size (disjoint contacts).",
    )
    args = parser.parse_args()
    if args.split:
        for size in parse_sizes(args.sizes):
            split(size, args.seed)
        return
    if args.prepare:
        base = parse_sizes(args.copies_of)[0] if args.copies_of else None
        for size in parse_sizes(args.sizes):
            if base is not None:
                replicate(size, base, args.seed)
            else:
                prepared(size, args.seed)
        return
    results = {s.label: bench(s, args.seed, args.runs) for s in parse_sizes(args.sizes)}
    print("\n| size | Headway (s) | chDB (s) | Headway / chDB | Headway peak MiB | same counts |")
    print("|---|---|---|---|---|---|")
    for label, r in results.items():
        same = "yes" if r["agree"] else "no"
        print(
            f"| {label} | {r['headway']:.2f} | {r['chdb']:.2f} | {r['ratio']:.2f} | {r['headway_mb']:.0f} | {same} |"
        )
    labels = list(results)
    if len(labels) >= 2:
        growth = results[labels[-1]]["headway"] / results[labels[0]]["headway"]
        print(f"\nHeadway {labels[-1]} / {labels[0]} time: {growth:.2f}x (goal <= 5.5x)")
    if not all(r["agree"] for r in results.values()):
        raise SystemExit("stage counts differ between Headway and chDB")


if __name__ == "__main__":
    main()
