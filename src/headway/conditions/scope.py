"""Where a compiled condition finds its columns, and where its values go.

``Scope`` names the column expressions of one activity row (so the same condition compiles
against the ``activities`` table, an alias of it, or any relation of the same shape), the
typed property columns beside it, and the backend's ``SqlDialect`` that renders its JSON tests.
``Params`` hands out named placeholders (``$p0`` in DuckDB, ``:p0`` in Spark) and keeps
their values: no value from a definition ever becomes SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from headway.conditions.sql_dialect import SqlDialect
from headway.conditions.typed import NO_TYPED, TypedColumns


@dataclass(frozen=True)
class Scope:
    """Column expressions of an activity row, the activity-type dictionary, the SQL dialect."""

    type_codes: Mapping[str, int]
    sql: SqlDialect = field(kw_only=True)  # the backend's (``Backend.sql``)
    properties: exp.Expr = field(default_factory=lambda: exp.column("properties"))
    type_code: exp.Expr = field(default_factory=lambda: exp.column("type_code"))
    source: exp.Expr = field(default_factory=lambda: exp.column("source"))
    bot: exp.Expr = field(default_factory=lambda: exp.column("bot"))
    contact: exp.Expr = field(default_factory=lambda: exp.column("contact"))
    # Typed columns beside ``properties`` (conditions/typed.py); used only while
    # ``properties`` is the column they shred.
    typed: TypedColumns = field(default=NO_TYPED, kw_only=True)


class Params:
    """Named placeholders and their values, shared by every condition of one query."""

    def __init__(self, prefix: str = "p") -> None:
        self.prefix = prefix
        self.values: dict[str, Any] = {}
        self._names: dict[tuple[type, Any], str] = {}

    def add(self, value: Any) -> exp.Placeholder:
        """A placeholder bound to ``value`` (equal values share one placeholder)."""
        key = (type(value), value)
        name = self._names.get(key)
        if name is None:
            name = f"{self.prefix}{len(self.values)}"
            self.values[name] = value
            self._names[key] = name
        return exp.Placeholder(this=name)

    def __len__(self) -> int:
        return len(self.values)
