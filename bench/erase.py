"""Erasure benchmark: one contact erased from a copy of a database, phase by phase.

Copies ``--db`` (optionally only the contacts with key < ``--keys``, for a smaller log), then
erases the contact with the most activities and prints: the rows transaction (deletes,
catalogue decrement, salted digests), the file rewrite (copy into a fresh file and swap) and,
for comparison, what the full catalogue rebuild that erasure used to run costs on the same log.

    .venv/bin/python bench/erase.py --db bench/data/cat20m.duckdb
    .venv/bin/python bench/erase.py --db bench/data/cat20m.duckdb --keys 50000
"""

from __future__ import annotations

import sys

if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]  # bench/email.py would shadow the standard library's email

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from headway.store import Store, property_columns
from headway.store.catalog import rebuild
from headway.store.erase import _erase

TABLES = ("activity_types", "contacts", "activities")


def subset(source: Path, target: Path, keys: int) -> None:
    """A Headway database of the contacts with key < ``keys`` of ``source`` and their log."""
    with Store(target) as store:

        def fill(conn: duckdb.DuckDBPyConnection) -> None:
            conn.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
            conn.execute("INSERT INTO activity_types SELECT * FROM src.activity_types")
            conn.execute("INSERT INTO contacts SELECT * FROM src.contacts WHERE key < ?", [keys])
            # The typed property columns are the target's own: added and filled by grow.
            conn.execute(
                "INSERT INTO activities BY NAME SELECT COLUMNS(lambda c: c NOT LIKE 'hw_p_%')"
                " FROM src.activities WHERE contact_key < ?",
                [keys],
            )
            rebuild(conn)
            property_columns.grow(conn)

        store.write(fill)
        store.cursor().execute("DETACH src")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--keys", type=int, default=None, help="keep contacts with key < KEYS")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.db.parent) as tmp:
        db = Path(tmp) / "erase.duckdb"
        if args.keys is None:
            shutil.copy(args.db, db)
        else:
            subset(args.db.resolve(), db, args.keys)
        with Store(db) as store:
            rows = store.execute("SELECT count(*) FROM activities").scalar()
            contact, n = store.execute(
                "SELECT c.id, count(*) FROM activities a JOIN contacts c ON c.key = a.contact_key"
                " GROUP BY c.id ORDER BY 2 DESC, 1 LIMIT 1"
            ).rows[0]
            size = db.stat().st_size

            def timed_rebuild(conn: duckdb.DuckDBPyConnection) -> float:
                start = time.perf_counter()
                rebuild(conn)
                raise _Done(time.perf_counter() - start)  # rolled back: nothing changes

            try:
                store.write(timed_rebuild)
            except _Done as done:
                old = done.seconds
            start = time.perf_counter()
            report = store.write(lambda conn: _erase(conn, contact))
            rows_s = time.perf_counter() - start
            start = time.perf_counter()
            store.rewrite_file()
            rewrite_s = time.perf_counter() - start
        print(f"log: {rows:,} activities, file {size / 2**20:,.0f} MiB")
        print(f"erased {contact!r}: {n} activities; removed {report.removed}")
        print(f"rows transaction (deletes, catalogue decrement, digests): {rows_s:.2f} s")
        print(f"file rewrite (fresh copy + atomic swap): {rewrite_s:.2f} s")
        print(f"total erase: {rows_s + rewrite_s:.2f} s")
        print(f"for comparison, the full catalogue rebuild erase used to run: {old:.2f} s")


class _Done(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds


if __name__ == "__main__":
    main()
