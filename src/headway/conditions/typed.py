"""Typed property columns: a property path's values of one JSON type, stored beside the JSON.

A store may keep, for a commonly used property path, one column per JSON type seen there
(``string`` text, ``number`` DOUBLE, ``boolean``), each holding the row's value at that path
when it has that JSON type and NULL otherwise (absent, JSON null, another type). A predicate
whose value has that type reads the column instead of parsing the ``properties`` JSON: the
column is exact for its own type whatever else the path holds (docs/properties.md).
``TypedColumns`` tells the compiler which columns exist; the backend's ``SqlDialect`` carries
them (``sql.typed``), and ``Scope.typed`` hands them to the predicates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Keys = tuple[str, ...]
KINDS = ("string", "number", "boolean")


@dataclass(frozen=True)
class TypedColumns:
    """The typed columns of a relation: (property keys, JSON kind) -> column name."""

    columns: Mapping[tuple[Keys, str], str] = field(default_factory=dict)
    source: str = "properties"  # the JSON column they shred

    def column(self, keys: Keys, kind: str) -> str | None:
        """The column holding the ``kind`` values at ``keys``, or None."""
        return self.columns.get((keys, kind))

    def __bool__(self) -> bool:
        return bool(self.columns)


NO_TYPED = TypedColumns()


def kind_of(value: Any) -> str | None:
    """The JSON kind of a condition value (``True`` is a boolean, not a number); None else."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None
