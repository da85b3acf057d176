"""The funnel's input query alone: JSON properties vs typed property columns, same store.

Builds the matcher-input query of bench/funnel.py's journey (engine/kernel/inputs.py) twice —
once with every property read out of the ``properties`` JSON (the dialect without typed
columns, as before #13), once with the store's typed columns — runs each to Arrow, checks both
give the same rows, and prints the median wall time of each and their ratio.

    .venv/bin/python bench/input_query.py bench/data/funnel-20000000-1000000-42.duckdb --runs 3
"""

from __future__ import annotations

import sys

if sys.path and sys.path[0] == __file__.rsplit("/", 1)[0]:
    del sys.path[0]

import argparse
import importlib.util
import os
import statistics
import time
from datetime import datetime
from pathlib import Path
from types import ModuleType

import pyarrow as pa

from headway.backends.duckdb import DuckDBBackend
from headway.backends.duckdb_dialect import DUCKDB_SQL
from headway.conditions.sql_dialect import SqlDialect
from headway.engine.kernel.inputs import match_query
from headway.engine.options import ReportOptions
from headway.model.journey import parse_journey
from headway.store import Store


def _funnel_bench() -> ModuleType:
    """bench/funnel.py (its journey and as-of), loaded by path: a sibling module named
    ``email`` would shadow the standard library's on ``sys.path``."""
    spec = importlib.util.spec_from_file_location(
        "funnel_bench", Path(__file__).parent / "funnel.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


_FUNNEL = _funnel_bench()
AS_OF, JOURNEY = _FUNNEL.AS_OF, _FUNNEL.JOURNEY


def run(store: Store, sql: SqlDialect, runs: int) -> tuple[float, pa.Table, str]:
    """Median seconds to Arrow, the rows (sorted), and the SQL text."""
    backend = DuckDBBackend(store)
    options = ReportOptions(as_of=datetime.fromisoformat(AS_OF.replace("Z", "")))
    query = match_query(parse_journey(JOURNEY), backend.type_codes(), options, sql=sql)
    times, table = [], None
    for _ in range(runs):
        start = time.perf_counter()
        table = backend.arrow(query)
        times.append(time.perf_counter() - start)
    assert table is not None
    rows = table.sort_by([(c, "ascending") for c in table.column_names])
    return statistics.median(times), rows, query.sql("duckdb")


def main() -> None:
    """Time both queries on one store."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--show-sql", action="store_true")
    args = parser.parse_args()
    with Store(args.store, read_only=True) as store:
        typed_sql = DuckDBBackend(store).sql
        print(f"typed columns: {sorted(typed_sql.typed.columns.values())}")
        json_s, json_rows, json_text = run(store, DUCKDB_SQL, args.runs)
        typed_s, typed_rows, typed_text = run(store, typed_sql, args.runs)
    if args.show_sql:
        print(json_text, "\n\n", typed_text)
    assert json_rows.equals(typed_rows), "typed columns changed the matcher input"
    print(f"rows: {json_rows.num_rows:,}  load: {os.getloadavg()[0]:.2f}")
    print(f"input query, JSON properties : {json_s:.3f} s (median of {args.runs})")
    print(f"input query, typed columns   : {typed_s:.3f} s")
    print(f"ratio typed / JSON           : {typed_s / json_s:.3f}")


if __name__ == "__main__":
    main()
