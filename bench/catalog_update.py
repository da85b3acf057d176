"""The catalogue's update per append, in CPU time: counted in Python vs DuckDB's ``json_tree``.

Builds the HTTP ingest benchmark's batches (``serve_ingest.make_batches``: 10,000 realistic
activities each), validates them as ``POST /api/v1/activities`` does, then appends each batch
to two fresh stores in turn, one taking the catalogue's increment from the Python count
(``store/catalog_counts.py``, what the append path does) and one from the SQL increment
(``catalog.record_append``, the fallback). Per batch it records the process CPU time
(``time.process_time``: every thread, DuckDB's too) of the catalogue update and of the whole
append transaction, and prints medians (the first two batches, which create every catalogue
row, apart). At the end both stores' catalogues are compared row by row (they must be equal).

    .venv/bin/python bench/catalog_update.py --batches 20
"""

from __future__ import annotations

import sys

if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]  # bench/email.py would shadow the standard library's email

import argparse
import importlib.util
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from headway.ingest.records import validate_records
from headway.store import Store, appends, catalog, catalog_counts

HERE = Path(__file__).resolve().parent
ORDER = {
    "catalog_types": "type_code",
    "catalog_type_contacts": "type_code, contact_key",
    "catalog_properties": "type_code, path",
    "catalog_values": "type_code, path, value",
}


def serve_ingest() -> Any:
    """bench/serve_ingest.py as a module (its batch maker)."""
    spec = importlib.util.spec_from_file_location("serve_ingest", HERE / "serve_ingest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["serve_ingest"] = module
    spec.loader.exec_module(module)
    return module


def timed(fn: Callable[..., Any], into: list[float]) -> Callable[..., Any]:
    """``fn``, adding its CPU time to ``into`` on each call."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            into.append(time.process_time() - started)

    return wrapper


def contents(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every catalogue table's rows, in key order."""
    return {t: store.execute(f"SELECT * FROM {t} ORDER BY {o}").rows for t, o in ORDER.items()}


def main(argv: list[str] | None = None) -> None:
    """Append the batches to both stores, print CPU medians, compare the catalogues."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=200_000)
    args = parser.parse_args(argv)
    made = serve_ingest().make_batches(args.batches, args.size, args.contacts, "cat", 1)
    tables = [validate_records(orjson.loads(b), source="api")[0] for b in made.bodies]
    python_count, sql_count = catalog_counts.record_batch, catalog.record_append
    cpu: dict[str, dict[str, list[float]]] = {
        way: {"catalogue": [], "append": []} for way in ("python", "sql")
    }
    with tempfile.TemporaryDirectory() as tmp:
        stores = {way: Store(Path(tmp) / f"{way}.duckdb") for way in cpu}
        for table in tables:
            for way, store in stores.items():
                spent = cpu[way]["catalogue"]
                if way == "python":
                    appends.catalog_counts.record_batch = timed(python_count, spent)  # type: ignore[attr-defined]
                    appends.catalog.record_append = sql_count  # type: ignore[attr-defined]
                else:
                    appends.catalog_counts.record_batch = lambda *a: False  # type: ignore[attr-defined]
                    appends.catalog.record_append = timed(sql_count, spent)  # type: ignore[attr-defined]
                started = time.process_time()
                store._append_tables([table])
                cpu[way]["append"].append(time.process_time() - started)
        same = contents(stores["python"]) == contents(stores["sql"])
        rows = stores["python"].execute("SELECT count(*) FROM activities").scalar()
        for store in stores.values():
            store.close()
    print(f"{len(tables)} batches of {args.size:,} activities; {rows:,} stored per store")
    print("| catalogue update | CPU ms per batch (median) | first two | whole append CPU ms |")
    print("|---|---:|---|---:|")
    for way, times in cpu.items():
        first = " · ".join(f"{s * 1000:.0f}" for s in times["catalogue"][:2])
        print(
            f"| {way} | {statistics.median(times['catalogue'][2:]) * 1000:.1f} | {first} "
            f"| {statistics.median(times['append'][2:]) * 1000:.1f} |"
        )
    print(f"catalogues equal: {'yes' if same else 'NO'}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
