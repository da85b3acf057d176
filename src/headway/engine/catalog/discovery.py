"""Discovery: what the activity log holds, read from the catalogue (``store/catalog.py``).

``activity_types`` lists every type with its activities, distinct contacts and first/last
seen; ``properties`` lists every property path per type with its fill rate, JSON types and
top values. ``catalog_for`` gathers what the journey warnings need (``journey_warnings.py``).
None of them scans the log: the catalogue is kept current on append by the DuckDB store; a
backend without it (Spark, for now) answers ``NotOnBackend``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import sqlglot

from headway.backends.base import Backend
from headway.backends.query import Query
from headway.engine.results import iso
from headway.engine.support import arrow_typed, require
from headway.model.catalog_shape import KINDS, VALUE_CAP
from headway.model.property_paths import format_path

DEFAULT_TOP = 10


@dataclass(frozen=True)
class TypeSummary:
    """One activity type: how many activities and contacts, first and last seen (UTC)."""

    name: str
    activities: int
    contacts: int
    first_seen: datetime
    last_seen: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times in ISO 8601 UTC)."""
        out = asdict(self)
        out["first_seen"], out["last_seen"] = iso(self.first_seen), iso(self.last_seen)
        return out


@dataclass(frozen=True)
class ValueCount:
    """A scalar value of a property (as decoded from JSON) and how many activities hold it."""

    value: str | int | float | bool
    activities: int


@dataclass(frozen=True)
class PropertySummary:
    """One property path of one type: fill rate, JSON types seen, top values.

    ``activities`` carry the path (with any value, null too); ``fill_rate`` is the share of
    the type's activities where it holds a value other than null.

    ``distinct_values`` is exact up to ``VALUE_CAP``; beyond it the path is
    ``high_cardinality`` and neither it nor ``top_values`` is known (None, empty).
    """

    type: str
    path: str
    keys: tuple[str, ...]
    activities: int
    fill_rate: float
    json_types: dict[str, int]
    high_cardinality: bool
    distinct_values: int | None
    top_values: tuple[ValueCount, ...] = field(default=())

    def values_text(self) -> str:
        """Top values (as JSON) with counts, or why there are none: for tables."""
        if self.high_cardinality:
            return f"(more than {VALUE_CAP} distinct values)"
        shown = [
            f"{json.dumps(v.value, ensure_ascii=False)} ({v.activities:,})" for v in self.top_values
        ]
        more = (self.distinct_values or 0) - len(self.top_values)
        return ", ".join(shown) + (f", … {more:,} more" if more > 0 else "")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = asdict(self)
        out["keys"] = list(self.keys)
        out["top_values"] = [asdict(v) for v in self.top_values]
        return out


# The catalogue's tables (store/catalog.py) joined to the type dictionary ``hw_types``.
_TYPES_SQL = """SELECT t.name, c.activities, coalesce(p.contacts, 0) AS contacts, c.first_seen,
       c.last_seen
FROM catalog_types c
JOIN hw_types t ON t.code = c.type_code
LEFT JOIN (SELECT type_code, count(*) AS contacts FROM {pairs}
           GROUP BY type_code) p ON p.type_code = c.type_code
ORDER BY c.activities DESC, t.name"""
_TYPES = sqlglot.parse_one(_TYPES_SQL.format(pairs="catalog_type_contacts"), read="duckdb")
_TYPES_ONLY = sqlglot.parse_one(
    _TYPES_SQL.format(pairs="(SELECT 0 AS type_code LIMIT 0)"), read="duckdb"
)
_PROPERTIES = sqlglot.parse_one(
    """SELECT t.name, p.path, p.activities, c.activities AS type_activities, p.strings,
       p.numbers, p.booleans, p.objects, p.arrays, p.nulls, p.high_cardinality,
       v.distinct_values, v.top_values
FROM catalog_properties p
JOIN hw_types t ON t.code = p.type_code
JOIN catalog_types c ON c.type_code = p.type_code
LEFT JOIN (
    SELECT type_code, path, count(*) AS distinct_values,
           list([value, activities::VARCHAR] ORDER BY activities DESC, value)[:$top]
               AS top_values
    FROM catalog_values GROUP BY type_code, path
) v ON v.type_code = p.type_code AND v.path = p.path
WHERE CAST($type AS VARCHAR) IS NULL OR t.name = $type""",
    read="duckdb",
)
_PATHS = sqlglot.parse_one(
    "SELECT t.name, p.path FROM catalog_properties p JOIN hw_types t ON t.code = p.type_code",
    read="duckdb",
)
_VALUES = sqlglot.parse_one(
    """SELECT t.name, v.path, v.value FROM catalog_values v
JOIN hw_types t ON t.code = v.type_code
WHERE v.path IN (SELECT unnest(CAST($paths AS VARCHAR[])))""",
    read="duckdb",
)
_CATALOG = ("catalog_types", "catalog_properties", "catalog_values")


def _rows(backend: Backend, query: Query) -> list[tuple[Any, ...]]:
    table = arrow_typed(backend, query)
    return list(zip(*(c.to_pylist() for c in table.columns), strict=True))


def activity_types(backend: Backend, *, contacts: bool = True) -> list[TypeSummary]:
    """Every activity type seen, most activities first (``contacts=False``: contacts 0,
    sparing the count of the (type, contact) pairs)."""
    pairs = ("catalog_type_contacts",) if contacts else ()
    require(backend, "discovery of activity types", *_CATALOG, *pairs)
    rows = _rows(backend, Query(_TYPES if contacts else _TYPES_ONLY))
    return [TypeSummary(r[0], int(r[1]), int(r[2]), r[3], r[4]) for r in rows]


def properties(
    backend: Backend, type: str | None = None, *, top: int = DEFAULT_TOP
) -> list[PropertySummary]:
    """Every property path seen (of ``type``, or of every type), by type then path."""
    require(backend, "discovery of properties", *_CATALOG)
    rows = _rows(backend, Query(_PROPERTIES, {"top": top, "type": type}))
    out = [_property(r) for r in rows]
    return sorted(out, key=lambda p: (p.type, p.keys))


def _property(r: tuple[Any, ...]) -> PropertySummary:
    keys = tuple(json.loads(r[1], strict=False))
    kinds = {k: int(n) for k, n in zip(KINDS, r[4:10], strict=True) if n}
    high = bool(r[10])
    values = tuple(ValueCount(json.loads(v, strict=False), int(n)) for v, n in r[12] or ())
    return PropertySummary(
        type=r[0],
        path=format_path(keys),
        keys=keys,
        activities=int(r[2]),
        fill_rate=(int(r[2]) - int(r[9])) / int(r[3]) if r[3] else 0.0,
        json_types=kinds,
        high_cardinality=high,
        distinct_values=None if high else int(r[11] or 0),
        top_values=values,
    )


@dataclass(frozen=True)
class Catalog:
    """What the journey warnings need: types, paths per type, values of some paths.

    ``values[(type, keys)]`` holds every value seen (at most ``VALUE_CAP``) of the
    low-cardinality paths asked for; a path absent from it is high-cardinality or unasked.
    """

    types: dict[str, TypeSummary]
    paths: dict[str, frozenset[tuple[str, ...]]]
    values: dict[tuple[str, tuple[str, ...]], tuple[Any, ...]]

    @property
    def first_seen(self) -> datetime | None:
        """When the data starts (None: no data)."""
        return min((t.first_seen for t in self.types.values()), default=None)

    @property
    def last_seen(self) -> datetime | None:
        """When the data ends (None: no data)."""
        return max((t.last_seen for t in self.types.values()), default=None)


def catalog_for(backend: Backend, paths: Iterable[tuple[str, ...]] = ()) -> Catalog:
    """The catalogue, with every value of the low-cardinality ``paths`` (of any type)."""
    require(backend, "the catalogue behind journey warnings", *_CATALOG)
    types = {t.name: t for t in activity_types(backend, contacts=False)}
    found: dict[str, set[tuple[str, ...]]] = {}
    for name, path in _rows(backend, Query(_PATHS)):
        found.setdefault(name, set()).add(tuple(json.loads(path, strict=False)))
    wanted = sorted({json.dumps(list(p), ensure_ascii=False, separators=(",", ":")) for p in paths})
    values: dict[tuple[str, tuple[str, ...]], list[Any]] = {}
    if wanted:
        rows = _rows(backend, Query(_VALUES, {"paths": wanted}))
        for name, path, value in rows:
            keys = tuple(json.loads(path, strict=False))
            values.setdefault((name, keys), []).append(json.loads(value, strict=False))
    return Catalog(
        types=types,
        paths={k: frozenset(v) for k, v in found.items()},
        values={k: tuple(v) for k, v in values.items()},
    )


__all__ = [
    "VALUE_CAP",
    "Catalog",
    "PropertySummary",
    "TypeSummary",
    "ValueCount",
    "activity_types",
    "catalog_for",
    "properties",
]
