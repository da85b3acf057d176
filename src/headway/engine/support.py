"""What a report needs of a backend beyond the contract's two relations, checked up front.

A report that reads one of the DuckDB store's own relations (the email registry, the
catalogue, suppression state) on a backend without it answers ``NotOnBackend`` naming the
report and the backend, before any query runs: never a silent difference, never a traceback.
The activity-type dictionary every backend has (``type_codes``) is offered to queries as the
small relation ``hw_types`` (``code``, ``name``), registered with ``arrow_with``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from headway.backends.base import Backend
from headway.backends.query import Query
from headway.errors import NotOnBackend

TYPES = "hw_types"


def require(backend: Backend, report: str, *relations: str) -> None:
    """Raise ``NotOnBackend`` unless ``backend`` provides every relation ``report`` reads."""
    missing = tuple(r for r in relations if r not in backend.relations)
    if missing:
        raise NotOnBackend(report, backend.name, missing)


def types_table(backend: Backend) -> pa.Table:
    """The activity-type dictionary as a relation: ``code`` (int16), ``name``."""
    codes = backend.type_codes()
    return pa.table(
        {
            "code": pa.array(list(codes.values()), pa.int16()),
            "name": pa.array(list(codes), pa.string()),
        }
    )


def arrow_typed(
    backend: Backend, query: Query, tables: Mapping[str, pa.Table] | None = None
) -> pa.Table:
    """Run a query that joins ``hw_types`` (and reads any other given Arrow tables)."""
    return backend.arrow_with(query, {TYPES: types_table(backend), **(tables or {})})
