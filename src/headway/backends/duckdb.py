"""The embedded default backend: the engine's queries run on the Headway DuckDB store."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pyarrow as pa

from headway import memory_budget
from headway.backends import duckdb_partitions
from headway.backends.base import ContactKernel
from headway.backends.duckdb_dialect import DUCKDB_DIALECT, DUCKDB_SQL, DuckDBSql
from headway.backends.query import Query
from headway.conditions.sql_dialect import SqlDialect
from headway.model.dialect import Dialect
from headway.store import Store

# The store's relations beyond the contract's two that reports read: the email registry,
# the catalogue kept on append, suppression state (contacts' subscription, e-mail address and
# update time; erased contacts), the email statistics pre-aggregate (store/email_rollup.py).
STORE_RELATIONS = frozenset(
    {
        "emails",
        "email_links",
        "email_pairs",
        "email_engagement",
        "catalog_types",
        "catalog_type_contacts",
        "catalog_properties",
        "catalog_values",
        "contacts.subscription",
        "erased_contacts",
    }
)


class DuckDBBackend:
    """Runs query trees through the store (the one owner of the connection)."""

    name = "duckdb"
    relations = STORE_RELATIONS
    dialect: Dialect = DUCKDB_DIALECT  # conditions are checked in RE2, as DuckDB runs them

    def __init__(self, store: Store, memory_budget: int | None = None) -> None:
        self.store = store
        self.memory_budget = memory_budget  # None: the process's (headway.memory_budget)

    @property
    def sql(self) -> SqlDialect:
        """JSON pointers, json_type, to_json equality; and the store's typed columns."""
        typed = self.store.typed_columns()
        return DuckDBSql(typed) if typed else DUCKDB_SQL

    def arrow(self, query: Query) -> pa.Table:
        """Run a query tree with its bound parameters."""
        return self.store.arrow(query.sql("duckdb"), query.params or None)

    def arrow_batches(self, query: Query) -> pa.RecordBatchReader:
        """Run a query tree; its rows as a stream of Arrow record batches."""
        return self.store.arrow_batches(query.sql("duckdb"), query.params or None)

    def arrow_with(self, query: Query, tables: Mapping[str, pa.Table]) -> pa.Table:
        """Run a query that reads Arrow tables registered under the given names."""
        cur = self.store.cursor()
        for name, table in tables.items():
            cur.register(name, table)
        try:
            return cur.sql(query.sql("duckdb"), params=query.params or None).to_arrow_table()
        finally:
            for name in tables:
                cur.unregister(name)

    def map_contacts(
        self, query: Query, contact: str, kernel: ContactKernel, schema: pa.Schema
    ) -> Iterator[pa.Table]:
        """Run ``kernel`` on the query's rows, one partition of contacts at a time."""
        budget = self.memory_budget or memory_budget.current()
        del contact  # partitions are ranges of the log's contact_key
        yield from duckdb_partitions.map_contacts(self.store, query, kernel, schema, budget)

    def type_codes(self) -> dict[str, int]:
        """The activity-type dictionary."""
        return {
            str(n): int(c) for n, c in self.store.execute("SELECT name, code FROM activity_types")
        }

    def contact_ids(self, keys: np.ndarray) -> np.ndarray:
        """External ids of dense contact keys, in the order given."""
        return self._per_key(keys, "c.id", [])

    def contact_attributes(self, keys: np.ndarray, attribute: str) -> np.ndarray:
        """One attribute (as text) of each contact, in the order given."""
        path = "$." + ".".join(f'"{part}"' for part in attribute.split("."))
        return self._per_key(keys, "json_extract_string(c.attributes, ?)", [path])

    def _per_key(self, keys: np.ndarray, column: str, params: list[str]) -> np.ndarray:
        if len(keys) == 0:
            return np.zeros(0, dtype=object)
        table = pa.table({"k": pa.array(np.asarray(keys, dtype=np.int64))})
        cur = self.store.cursor()
        cur.register("_hw_keys", table)
        try:
            rows = cur.sql(
                f"SELECT {column} FROM (SELECT k, row_number() OVER () AS i FROM _hw_keys) q "
                "LEFT JOIN contacts c ON c.key = q.k ORDER BY q.i",
                params=params,
            ).to_arrow_table()
        finally:
            cur.unregister("_hw_keys")
        return np.asarray(rows.column(0).to_pylist(), dtype=object)
