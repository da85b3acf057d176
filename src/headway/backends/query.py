"""A query as the engine hands it to a backend: a SQLGlot tree plus its bound parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp


@dataclass(frozen=True)
class Query:
    """A SQL tree and the values of its named placeholders."""

    tree: exp.Expr
    params: dict[str, Any] = field(default_factory=dict)

    def sql(self, dialect: str = "duckdb") -> str:
        """The SQL text in a dialect (values stay placeholders)."""
        return self.tree.sql(dialect=dialect)
