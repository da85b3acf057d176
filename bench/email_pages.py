"""Email list and email page: the service calls behind them, from the pre-aggregate and the log.

Times, in-process and warm (median of ``--runs``), what each surface asks the service for:

- the Emails list (dashboard ``/emails``: both views, every email and the total);
- the REST list (``GET /api/v1/emails``: one view, with links and timing of every email);
- one email's page (dashboard ``/emails/{id}``: both views of that email, links, timing);

each from the store's email pre-aggregate (``store/email_rollup.py``, what the DuckDB store
answers from) and from the activity log (the same report computed as before it existed), and
checks that both give the same reports. Opening a store made before the pre-aggregate
migrates it (built once from the log); that time is printed too.

    .venv/bin/python bench/email_pages.py --db /tmp/b20m.duckdb   # a bench/email.py store
"""

from __future__ import annotations

import sys

sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("/bench") and p != "bench"]

import argparse  # noqa: E402 (after the path fix above: the stdlib email package)
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

GOAL_S = 1.0


def median_time(fn: Callable[[], object], runs: int) -> float:
    """Median wall seconds of ``runs`` calls (after one untimed call)."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Open (and migrate) the store, time each surface's calls both ways, print a table."""
    from headway.backends.duckdb import STORE_RELATIONS, DuckDBBackend
    from headway.engine.email.queries import PRE_AGGREGATE, StatsQuery
    from headway.engine.email.stats import email_stats
    from headway.store import Store

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="a store made by bench/email.py")
    ap.add_argument("--email", default="e100", help="the email of the email page")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    start = time.perf_counter()
    store = Store(args.db)
    print(f"open (migrating if needed): {time.perf_counter() - start:.1f} s")

    class LogBackend(DuckDBBackend):
        relations = STORE_RELATIONS - set(PRE_AGGREGATE)

    surfaces = {
        "email list (both views)": [StatsQuery(human=True), StatsQuery()],
        "REST email list (one view)": [StatsQuery()],
        "email page (both views)": [
            StatsQuery(human=True, email=args.email),
            StatsQuery(email=args.email),
        ],
    }
    print(f"{'surface':<30}{'pre-aggregate':>15}{'log':>10}{'goal':>8}  same")
    for name, queries in surfaces.items():
        row = []
        for backend in (DuckDBBackend(store), LogBackend(store)):
            row.append(
                median_time(
                    lambda b=backend, qs=queries: [email_stats(b, q) for q in qs], args.runs
                )
            )
        same = all(
            email_stats(DuckDBBackend(store), q).to_dict()
            == email_stats(LogBackend(store), q).to_dict()
            for q in queries
        )
        print(f"{name:<30}{row[0]:>14.3f}s{row[1]:>9.3f}s{GOAL_S:>7.1f}s  {same}")
    store.close()


if __name__ == "__main__":
    main()
