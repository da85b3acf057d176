"""Email statistics benchmark: all-email statistics over a seeded, marketing-shaped store.

Builds (once) a Headway store of about ``--activities`` activities: sends of 200 emails to
contacts, with deliveries, bounces, opens (some from Apple's proxy), clicks (some by link
scanners), unsubscribes and complaints, plus page visits and forms (about half of the log).
Then alternately runs, as whole processes:

- ``headway --db X emails stats --json`` (every §6 metric of every email, all view) and the
  same with ``--human``;
- the reference: chDB (ClickHouse) computing the same per-email counts from a Parquet export
  of the email events, as its experts would (only the needed columns, one GROUP BY);

and prints medians, peak RSS and the ratio. Also times ``headway emails relabel`` once.

    .venv/bin/python bench/email.py --activities 5000000 --runs 5
"""

from __future__ import annotations

import sys

# This script is named email.py: keep its folder off the path so that the standard library's
# ``email`` package (used by importlib.metadata, hence by duckdb) is the one imported.
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("/bench") and p != "bench"]

import argparse  # noqa: E402 (after the path fix above)
import os  # noqa: E402 (after the path fix above)
import statistics  # noqa: E402 (after the path fix above)
import subprocess  # noqa: E402 (after the path fix above)
import tempfile  # noqa: E402 (after the path fix above)
import time  # noqa: E402 (after the path fix above)
from pathlib import Path  # noqa: E402 (after the path fix above)

ROOT = Path(__file__).resolve().parent.parent
HEADWAY = ROOT / ".venv" / "bin" / "headway"
sys.path.insert(0, str(ROOT / "src"))

EMAILS = 200
# Per (contact, email) send: share of the outcomes below (hash-driven, seeded, reproducible).
_PAIRS = """
CREATE OR REPLACE TEMP TABLE _pairs AS
SELECT p, 'c' || (hash(p, $seed, 1) % $contacts) AS contact,
       'e' || lpad(((hash(p, $seed, 2) % {emails}))::VARCHAR, 3, '0') AS email,
       TIMESTAMP '2025-01-01' + to_days((hash(p, $seed, 2) % {emails})::INTEGER * 365 // {emails})
           + to_seconds((hash(p, $seed, 3) % 3600)::BIGINT) AS sent_at,
       (hash(p, $seed, 4) % 10000) / 10000.0 AS u
FROM range($pairs) r(p)
"""
_EVENTS = """
CREATE OR REPLACE TEMP TABLE _gen AS
WITH e AS (
    SELECT contact, 'email_sent' AS type, sent_at AS ts, email, NULL AS link, NULL AS ua,
           NULL AS ip, NULL AS bounce_type, p, 0 AS k FROM _pairs
    UNION ALL SELECT contact, 'email_delivered', sent_at + INTERVAL 2 SECOND, email, NULL, NULL,
           NULL, NULL, p, 1 FROM _pairs WHERE u >= 0.03
    UNION ALL SELECT contact, 'email_bounce', sent_at + INTERVAL 3 SECOND, email, NULL, NULL, NULL,
           CASE WHEN u < 0.02 THEN 'hard' ELSE 'soft' END, p, 2 FROM _pairs WHERE u < 0.03
    -- Apple MPP prefetch for a third of recipients, within two minutes
    UNION ALL SELECT contact, 'email_open', sent_at + to_seconds(5 + (p % 100)::BIGINT), email,
           NULL, 'Mozilla/5.0', '17.' || (p % 250) || '.0.1', NULL, p, 3
           FROM _pairs WHERE u >= 0.03 AND u < 0.36
    -- people: opens hours later, some clicks a minute after
    UNION ALL SELECT contact, 'email_open', sent_at + to_seconds(600 + (p % 86400)::BIGINT), email,
           NULL, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/125.0',
           '81.2.' || (p % 250) || '.9', NULL, p, 4 FROM _pairs WHERE u >= 0.30 AND u < 0.62
    UNION ALL SELECT contact, 'email_click', sent_at + to_seconds(660 + (p % 86400)::BIGINT), email,
           'l' || (p % 4), 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/125.0',
           '81.2.' || (p % 250) || '.9', NULL, p, 5 FROM _pairs WHERE u >= 0.50 AND u < 0.62
    -- link scanners: every link within a second of delivery
    UNION ALL SELECT contact, 'email_click', sent_at + INTERVAL 3 SECOND + to_milliseconds(l * 200),
           email, 'l' || l, 'Mozilla/5.0 (compatible; Mimecast-URL-Protect/1.0)',
           '205.139.110.' || (p % 250), NULL, p, 6 + l
           FROM _pairs, range(4) t(l) WHERE u >= 0.62 AND u < 0.70
    UNION ALL SELECT contact, 'email_unsubscribe', sent_at + INTERVAL 2 HOUR, email, NULL, NULL,
           NULL, NULL, p, 10 FROM _pairs WHERE u >= 0.90 AND u < 0.903
    UNION ALL SELECT contact, 'email_spam_report', sent_at + INTERVAL 3 HOUR, email, NULL, NULL,
           NULL, NULL, p, 11 FROM _pairs WHERE u >= 0.95 AND u < 0.9508
)
SELECT 'x' || p || '-' || k AS id, contact, type, ts,
       json_object('email', email, 'link', link, 'user_agent', ua, 'ip', ip,
                   'bounce_type', bounce_type)::VARCHAR AS properties,
       false AS bot, NULL::VARCHAR AS bot_reason, 'bench' AS source
FROM e
"""
_VISITS = """
INSERT INTO _gen
SELECT 'v' || i, 'c' || (hash(i, $seed, 9) % $contacts),
       CASE WHEN i % 10 = 0 THEN 'form_submission' ELSE 'page_visit' END,
       TIMESTAMP '2025-01-01' + to_seconds((hash(i, $seed, 8) % 31536000)::BIGINT),
       json_object('url', '/page/' || (i % 50))::VARCHAR, false, NULL, 'bench'
FROM range($visits) r(i)
"""


def build(db: Path, activities: int, seed: int) -> int:
    """Generate the store (about ``activities`` rows); rows appended."""
    from headway.store import Store

    pairs = activities // 8  # ~3 email events per send: ~40 % email events, the rest visits
    params = {"seed": seed, "contacts": max(activities // 20, 1), "pairs": pairs}
    with Store(db) as store:

        def gen(conn):  # type: ignore[no-untyped-def]
            conn.execute(_PAIRS.format(emails=EMAILS), params)
            conn.execute(_EVENTS)
            made = conn.execute("SELECT count(*) FROM _gen").fetchone()[0]
            rest = max(activities - made, 0)
            conn.execute(_VISITS, {"seed": seed, "contacts": params["contacts"], "visits": rest})
            return store.append_relation(conn, "_gen").accepted

        return int(store.write(gen))


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of a whole process."""
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {proc.stderr[-2000:]}")
    return seconds, int(proc.stderr.strip().splitlines()[-1])


_REFERENCE = r'''
import sys, chdb
sql = """
SELECT email,
  countIf(type = 'email_sent') AS sent, uniqExactIf(contact, type = 'email_sent') AS recipients,
  countIf(type = 'email_delivered') AS delivered, countIf(type = 'email_bounce') AS bounces,
  countIf(type = 'email_bounce' AND bounce_type = 'hard') AS hard,
  countIf(type = 'email_open') AS opens,
  uniqExactIf(contact, type IN ('email_open', 'email_click')) AS unique_opens,
  countIf(type = 'email_click') AS clicks, uniqExactIf(contact, type = 'email_click') AS uc,
  uniqExactIf(contact, type = 'email_unsubscribe') AS unsub,
  uniqExactIf(contact, type = 'email_spam_report') AS complaints
FROM file('PATH', Parquet)
GROUP BY email ORDER BY email
SETTINGS schema_inference_make_columns_nullable = 0
"""
print(len(chdb.query(sql.replace('PATH', sys.argv[1]), 'CSV').bytes()))
'''


def export_parquet(db: Path, target: Path) -> None:
    """The email events with the columns the reference needs, as Parquet."""
    from headway.store import Store

    with Store(db, read_only=True) as store:
        store.cursor().execute(
            f"""COPY (SELECT a.contact_key AS contact, t.name AS type,
                      coalesce(a.properties->>'email', '') AS email,
                      coalesce(a.properties->>'bounce_type', '') AS bounce_type
               FROM activities a JOIN activity_types t ON t.code = a.type_code
               WHERE t.name LIKE 'email_%') TO '{target}' (FORMAT parquet)"""
        )


def main() -> None:
    """Build the store if needed, run the comparisons, print medians."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--activities", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--db", type=Path, default=None, help="reuse or keep this store")
    ap.add_argument("--no-reference", action="store_true", help="skip the chDB reference")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hw-email-bench-"))
    db = args.db or workdir / "email.duckdb"
    if not db.exists():
        started = time.perf_counter()
        rows = build(db, args.activities, args.seed)
        print(f"built {rows:,} activities in {time.perf_counter() - started:.1f} s -> {db}")
    env = {**os.environ, "HEADWAY_DB": str(db)}
    os.environ.update(env)
    seconds, rss = timed([str(HEADWAY), "--db", str(db), "emails", "relabel"])
    print(f"relabel (whole process, once): {seconds:.2f} s, peak RSS {rss / 1024:.0f} MiB")
    runs: dict[str, list[tuple[float, int]]] = {"all": [], "human": [], "chdb": []}
    parquet = workdir / "email_events.parquet"
    if not args.no_reference:
        export_parquet(db, parquet)
    stats = [str(HEADWAY), "--db", str(db), "emails", "stats", "--json"]
    for _ in range(args.runs):
        runs["all"].append(timed(stats))
        runs["human"].append(timed([*stats, "--human"]))
        if not args.no_reference:
            runs["chdb"].append(timed([sys.executable, "-c", _REFERENCE, str(parquet)]))
    report(runs)


def report(runs: dict[str, list[tuple[float, int]]]) -> None:
    """Print the table of medians and the ratio to the reference."""
    print(f"{'run':<28}{'median s':>10}{'peak MiB':>10}")
    medians = {}
    for name, label in (
        ("all", "headway emails stats"),
        ("human", "headway emails stats --human"),
        ("chdb", "chDB reference (Parquet)"),
    ):
        if runs[name]:
            medians[name] = statistics.median(s for s, _ in runs[name])
            rss = statistics.median(r for _, r in runs[name]) / 1024
            print(f"{label:<28}{medians[name]:>10.2f}{rss:>10.0f}")
    if "chdb" in medians:
        print(f"ratio headway/chDB: {medians['all'] / medians['chdb']:.2f}")


if __name__ == "__main__":
    main()
