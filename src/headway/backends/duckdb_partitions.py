"""Bounded memory on DuckDB: a query's rows split into partitions of whole contacts.

``map_contacts`` runs the query once per partition, with every ``activity_log`` it reads
replaced by ``(SELECT * FROM activity_log WHERE contact_key >= lo AND contact_key < hi)``.
Ranges of the dense contact key, not a hash: DuckDB pushes a range into the table scan (zone
maps, and the other columns are fetched only for the rows that pass), while it evaluates
``contact_key % N`` in a filter above the scan, after reading and decompressing every column
(``properties`` included) of every row, once per partition. The filter keeps each contact's
rows in the log's order (ties at one instant are broken by row order). How many partitions:

* the budget (``headway.memory_budget``) less what the process holds anyway (``BASE_BYTES``)
  and DuckDB's own share (``duckdb_share``, applied with ``Store.limit_memory``) is what one
  partition's rows may take in the kernel, ``BYTES_PER_ROW`` each (Arrow input plus the
  matcher's working arrays, measured on the 20M benchmark), plus ``AHEAD_BYTES_PER_ROW`` for
  the next partition's input, read meanwhile;
* the key range is cut into ``fine`` ranges sized as if every row of the log were selected;
  the first range measures how many rows the query really selects per range, and the
  others are then joined so that each later partition fills the budget.

With more than one partition, one thread reads ahead: the next partition's query runs
while the kernel matches the current one, and the first one's while the kernel loads (a kernel's optional ``preload()``:
the matcher's compiled code from numba's cache). DuckDB and the numba matcher both release
the GIL, so on two cores the serial parts of each (the matcher's grouping passes, DuckDB's
single-threaded phases) leave the other core to the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyarrow as pa
from sqlglot import exp

from headway.backends.base import ContactKernel
from headway.backends.query import Query
from headway.store import Store

MIB = 1024**2
BASE_BYTES = 400 * MIB  # interpreter, pyarrow, numba, DuckDB, the CLI: before any data
BYTES_PER_ROW = 160  # Arrow input (33 B) + the matcher's grouping and sorting copies
AHEAD_BYTES_PER_ROW = 48  # the next partition's Arrow input, read while this one is matched
EXTRA_BYTES_PER_ROW = 48  # an extra text column: its Arrow values and offsets
MIN_PARTITION_ROWS = 100_000
MAX_PARTITIONS = 4096
SINGLE_CHUNK_ROWS = 1 << 40  # one Arrow chunk per column: the kernel takes it without a copy


@dataclass(frozen=True)
class Plan:
    """How a budget is spent: DuckDB's cap and the rows one partition may hold."""

    duckdb_bytes: int
    partition_rows: int


def plan(budget: int, extras: int = 0) -> Plan:
    """DuckDB's share of ``budget`` and the rows per partition the rest allows."""
    duckdb_bytes = duckdb_share(budget)
    per_row = BYTES_PER_ROW + AHEAD_BYTES_PER_ROW + EXTRA_BYTES_PER_ROW * extras
    if budget < BASE_BYTES:  # below any real budget (tests): that many bytes of rows
        return Plan(duckdb_bytes, max(budget // per_row, 1))
    rows = (budget - BASE_BYTES - duckdb_bytes) // per_row
    return Plan(duckdb_bytes, max(int(rows), MIN_PARTITION_ROWS))


def duckdb_share(budget: int) -> int:
    """DuckDB's cap: an eighth of the budget, at least 128 MiB (the input query needs little
    working memory; most of what DuckDB holds is cached column blocks)."""
    return max(budget // 8, 128 * MIB)


def map_contacts(
    store: Store,
    query: Query,
    kernel: ContactKernel,
    schema: pa.Schema,
    budget: int,
) -> Iterator[pa.Table]:
    """Run ``kernel`` on each partition of the query's rows (see the module docstring)."""
    chosen = plan(budget, max(len(schema) - 5, 0))
    store.limit_memory(chosen.duckdb_bytes)
    fine = fine_partitions(log_rows(store), chosen.partition_rows)
    if fine == 1:  # one query: nothing to read ahead of
        yield _checked(kernel(_read(store, query, None, None)), schema)
        return
    top = int(store.execute("SELECT coalesce(max(key), 0) + 1 FROM contacts").scalar())
    bounds: list[int | None] = [None, *(top * i // fine for i in range(1, fine)), None]
    # read ahead (see the module docstring)
    with ThreadPoolExecutor(1, thread_name_prefix="headway-read-ahead") as reader:
        ahead = reader.submit(_read, store, query, bounds[0], bounds[1])
        preload = getattr(kernel, "preload", None)
        if preload is not None:
            preload()
        batch = ahead.result()
        group = max(1, chosen.partition_rows // max(batch.num_rows, 1))
        for i in range(1, fine, group):
            ahead = reader.submit(_read, store, query, bounds[i], bounds[min(i + group, fine)])
            out = kernel(batch)
            del batch
            yield _checked(out, schema)
            batch = ahead.result()
        yield _checked(kernel(batch), schema)


def fine_partitions(rows: int, partition_rows: int) -> int:
    """Partitions enough for ``rows`` rows (every row of the log selected), at most 4096."""
    return min(max(1, -(-rows // partition_rows)), MAX_PARTITIONS)


def log_rows(store: Store) -> int:
    """The activity log's row count from DuckDB's metadata (no scan)."""
    found = store.execute(
        "SELECT sum(estimated_size) FROM duckdb_tables() "
        "WHERE table_name = 'activities' AND schema_name = 'main' AND NOT temporary"
    ).scalar()
    return int(found or 0)


def partition_query(query: Query, lo: int | None, hi: int | None) -> Query:
    """``query`` reading only the contacts with ``lo <= key < hi`` (None: unbounded)."""
    tree = query.tree.copy()
    tests: list[exp.Expr] = []
    if lo is not None:
        tests.append(exp.GTE(this=exp.column("contact_key"), expression=exp.Literal.number(lo)))
    if hi is not None:
        tests.append(exp.LT(this=exp.column("contact_key"), expression=exp.Literal.number(hi)))
    if not tests:
        return query
    for table in list(tree.find_all(exp.Table)):
        if table.name != "activity_log" or table.args.get("db"):
            continue
        keep = exp.and_(*[t.copy() for t in tests])
        part = exp.select("*").from_(exp.table_("activity_log")).where(keep)
        table.replace(part.subquery(table.alias or "activity_log"))
    return Query(tree, query.params)


def _read(store: Store, query: Query, lo: int | None, hi: int | None) -> pa.Table:
    query = partition_query(query, lo, hi)
    return store.arrow(query.sql("duckdb"), query.params or None, rows=SINGLE_CHUNK_ROWS)


def _checked(out: pa.Table, schema: pa.Schema) -> pa.Table:
    if not out.schema.equals(schema):
        raise ValueError("map_contacts: the kernel's result does not have the schema given")
    return out
