"""What a report needs of a backend beyond the contract's two relations, checked up front.

A report that reads one of the DuckDB store's own relations (the email registry, the
catalogue, suppression state) on a backend without it answers ``NotOnBackend`` naming the
report and the backend, before any query runs: never a silent difference, never a traceback.
The activity-type dictionary every backend has (``type_codes``) is offered to queries as the
relation ``hw_types`` (``code``, ``name``): ``arrow_typed`` writes it into the tree as an inline
``VALUES`` table, which every dialect renders.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
from sqlglot import exp

from headway.backends.base import Backend
from headway.backends.query import Query
from headway.errors import NotOnBackend

TYPES = "hw_types"


def require(backend: Backend, report: str, *relations: str) -> None:
    """Raise ``NotOnBackend`` unless ``backend`` provides every relation ``report`` reads."""
    missing = tuple(r for r in relations if r not in backend.relations)
    if missing:
        raise NotOnBackend(report, backend.name, missing)


def types_relation(codes: Mapping[str, int], alias: str = TYPES) -> exp.Expr:
    """The type dictionary as an inline table ``alias(code, name)`` (one typed empty row
    that joins nothing when there are no types)."""
    rows = [
        exp.tuple_(exp.Literal.number(code), exp.Literal.string(name))
        for name, code in sorted(codes.items(), key=lambda item: item[1])
    ]
    if not rows:
        rows = [exp.tuple_(exp.cast(exp.null(), "INT"), exp.cast(exp.null(), "VARCHAR"))]
    return exp.values(rows, alias=alias, columns=["code", "name"])


def with_types(query: Query, codes: Mapping[str, int]) -> Query:
    """``query`` with every reference to ``hw_types`` replaced by the type dictionary."""

    def inline(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and node.name == TYPES and not node.db:
            return types_relation(codes, node.alias or TYPES)
        return node

    return Query(query.tree.transform(inline), query.params)


def arrow_typed(
    backend: Backend, query: Query, tables: Mapping[str, pa.Table] | None = None
) -> pa.Table:
    """Run a query that joins ``hw_types`` (and reads any other given Arrow tables)."""
    typed = with_types(query, backend.type_codes())
    return backend.arrow_with(typed, tables) if tables else backend.arrow(typed)
