"""The backend contract: everything the engine may ask of the storage it runs on.

The engine builds queries as SQLGlot trees (``Query``) over two relations every backend
provides, ``activity_log`` (``id``, ``contact_key``, ``type_code``, ``ts``, ``properties``,
``source``, ``bot``) and ``contacts`` (``key``, ``id``, ``attributes``), and hands them here.
A backend renders them in its own SQL dialect and runs them where the data lives. The
journey kernel runs through ``map_contacts``: the backend splits a query's rows into
batches that each hold whole contacts, calls the kernel on each batch (in this process for
DuckDB, on the executors for Spark) and returns the kernels' small results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

import numpy as np
import pyarrow as pa

from headway.backends.query import Query
from headway.conditions.sql_dialect import SqlDialect
from headway.model.dialect import Dialect

# Runs on one batch of whole contacts (every row of a contact is in the same batch; rows are
# in no particular order) and returns a small table. It must be picklable: Spark ships it
# to its executors. A kernel may also have a ``preload()`` method (loading what its first
# call would: the matcher's compiled code), which a backend may call while it reads the
# first batch.
ContactKernel = Callable[[pa.Table], pa.Table]


class Backend(Protocol):
    """Executes the engine's query trees on some storage."""

    @property
    def name(self) -> str:
        """``duckdb`` or ``spark``: named in errors about reports a backend cannot run."""
        ...

    @property
    def dialect(self) -> Dialect:
        """How this engine checks condition values at save time (its regex dialect, ...)."""
        ...

    @property
    def sql(self) -> SqlDialect:
        """How its SQL reads JSON properties and tests text (``sql.name``: the SQLGlot
        dialect the engine's query trees are rendered in)."""
        ...

    @property
    def relations(self) -> frozenset[str]:
        """What it provides besides ``activity_log`` and ``contacts`` (the DuckDB store's
        email registry ``emails`` / ``email_links``, catalogue tables, suppression state...):
        a report that reads one the backend lacks answers ``NotOnBackend`` naming itself."""
        ...

    def arrow(self, query: Query) -> pa.Table:
        """Run a query; an Arrow table (for results that are small by construction)."""
        ...

    def arrow_batches(self, query: Query) -> pa.RecordBatchReader:
        """Run a query; its rows as a stream of Arrow record batches."""
        ...

    def arrow_with(self, query: Query, tables: Mapping[str, pa.Table]) -> pa.Table:
        """Run a query that also reads the given Arrow tables under the given names."""
        ...

    def map_contacts(
        self, query: Query, contact: str, kernel: ContactKernel, schema: pa.Schema
    ) -> Iterator[pa.Table]:
        """Run ``kernel`` on batches of whole contacts of ``query``'s rows.

        ``contact`` names the query's int64 contact-key column. Each batch holds every row of
        its contacts and is sized to the backend's memory budget; each result has ``schema``.
        """
        ...

    def type_codes(self) -> dict[str, int]:
        """The activity-type dictionary: name -> code."""
        ...

    def contact_ids(self, keys: np.ndarray) -> np.ndarray:
        """External contact ids of contact keys (same order)."""
        ...

    def contact_attributes(self, keys: np.ndarray, attribute: str) -> np.ndarray:
        """One contact attribute (text or None) per contact key (same order)."""
        ...
