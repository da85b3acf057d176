"""Typed property columns of the activity log: common property paths shredded at ingest.

For each (property path, JSON kind) the catalogue has seen in at least ``MIN_ACTIVITIES``
activities, ``activities`` gets a column (at most ``MAX_COLUMNS``): ``VARCHAR`` for strings,
``DOUBLE`` for numbers, ``BOOLEAN`` for booleans, holding the row's value at that path when it
has that kind and NULL otherwise. Conditions then read the column instead of parsing the JSON
(conditions/typed.py); ``properties`` keeps the full object for everything else.

``property_columns`` lists them (``path`` is the JSON array of keys, as in the catalogue).
Every append fills them in its ``INSERT`` (``insert_columns``), then ``grow`` adds the columns
for paths that have just become common and backfills them over the whole log; opening a
database read-write does the same, so an existing log is shredded once when it migrates.
The values come from one ``json_extract`` of all the paths per row, and are the same
expressions the JSON conditions evaluate (``TRY_CAST`` of the value's JSON text for
numbers, the unescaped text of JSON strings, ``true``/``false``), so both agree row by row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import duckdb
from sqlglot import exp

from headway.conditions.typed import KINDS, Keys, TypedColumns

MIN_ACTIVITIES = 1000  # a (path, kind) seen this often gets its own column
MAX_COLUMNS = 32  # typed columns at most: each costs a little on every append
SQL_TYPES = {"string": "VARCHAR", "number": "DOUBLE", "boolean": "BOOLEAN"}
_SUFFIX = {"string": "s", "number": "n", "boolean": "b"}
_COUNTS = {"string": "strings", "number": "numbers", "boolean": "booleans"}

CREATE = [
    """CREATE TABLE property_columns (
        path VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        name VARCHAR NOT NULL UNIQUE,
        added_at TIMESTAMP NOT NULL,
        PRIMARY KEY (path, kind)
    )""",
]


@dataclass
class Known:
    """The typed columns as the last append read them, kept for the next appends (the Store
    holds one, valid for one generation of the database like ``ContactKeys``), so that an
    append reads neither ``property_columns`` nor the catalogue for them.

    ``counts``: each (keys, kind) without a column and its count of activities, as the
    catalogue held them when last asked plus what appends counted since (``grow``'s
    ``counted``): the catalogue is asked again only once one may have become common.
    """

    generation: int = -1
    columns: list[tuple[Keys, str, str]] | None = None
    counts: dict[tuple[Keys, str], int] | None = None

    def sync(self, generation: int) -> None:
        """Before an append of the database at ``generation``: forget a stale reading."""
        if generation != self.generation:
            self.columns = self.counts = None

    def committed(self, generation: int) -> None:
        """The append's transaction committed: what it read holds at ``generation``."""
        self.generation = generation

    def forget(self) -> None:
        """The append's transaction rolled back (it may have added columns)."""
        self.columns = self.counts = None
        self.generation = -1


def load(conn: duckdb.DuckDBPyConnection) -> TypedColumns:
    """The typed columns of the log (none before the table exists)."""
    try:
        rows = conn.execute("SELECT path, kind, name FROM property_columns").fetchall()
    except duckdb.CatalogException:
        return TypedColumns()
    return TypedColumns({(_keys(path), kind): name for path, kind, name in rows})


def insert_columns(
    conn: duckdb.DuckDBPyConnection, properties: str, known: Known | None = None
) -> tuple[list[str], str]:
    """The typed column names and their SQL values over the JSON column ``properties``
    (``", <values>"``, empty when there are none), for an ``INSERT ... SELECT``."""
    columns = columns_of(conn, known)
    if not columns:
        return [], ""
    return [name for _, _, name in columns], _insert_values(tuple(columns), properties)


@lru_cache(maxsize=64)
def _insert_values(columns: tuple[tuple[Keys, str, str], ...], properties: str) -> str:
    """``", <values>"`` of ``insert_columns`` (rendered once per set of columns)."""
    return ", " + ", ".join(_values(list(columns), properties))


def insert_extracted(
    conn: duckdb.DuckDBPyConnection, known: Known | None = None
) -> tuple[list[str], str, str]:
    """``insert_columns`` with the paths' JSON texts extracted once per row in a subquery:
    the names, the list to select as ``EXTRACTED`` from a relation with ``properties``
    (empty when there are no columns), and ``", <values>"`` over it."""
    columns = columns_of(conn, known)
    if not columns:
        return [], "", ""
    return [name for _, _, name in columns], *_extracted_sql(tuple(columns))


EXTRACTED = "_hw_typed"


@lru_cache(maxsize=64)
def _extracted_sql(columns: tuple[tuple[Keys, str, str], ...]) -> tuple[str, str]:
    extract, _ = _extract(list(columns), "properties")
    return extract, ", " + ", ".join(_values(list(columns), "", f"k.{EXTRACTED}"))


def columns_of(
    conn: duckdb.DuckDBPyConnection, known: Known | None = None
) -> list[tuple[Keys, str, str]]:
    """The typed columns as (keys, kind, name), in the order they were added."""
    if known is not None and known.columns is not None:
        return known.columns
    columns = _columns(conn)
    if known is not None:
        known.columns, known.counts = columns, None
    return columns


def grow(
    conn: duckdb.DuckDBPyConnection,
    min_activities: int = MIN_ACTIVITIES,
    known: Known | None = None,
    counted: Mapping[tuple[Keys, str], int] | None = None,
) -> list[str]:
    """Add (and backfill) a column for every newly common (path, kind); their names.

    ``known``: the append path's reading of the columns; ``counted``: the activities per
    (keys, kind) the append has just added to the catalogue (None: not known). With both,
    the catalogue is asked only when some (path, kind) may have become common."""
    existing = columns_of(conn, known)
    room = MAX_COLUMNS - len(existing)
    if room <= 0:
        return []
    if known is not None:
        cached = counted is not None and known.counts is not None
        if cached and not _nearing(known.counts or {}, existing, counted or {}, min_activities):
            return []
        known.counts = _counts(conn, existing)
    wanted = _common(conn, min_activities, room)
    if not wanted:
        return []
    taken = {name for _, _, name in existing} | {
        str(r[0]).lower()
        for r in conn.execute("SELECT name FROM pragma_table_info('activities')").fetchall()
    }
    added: list[tuple[Keys, str, str]] = []
    now = datetime.now(UTC).replace(tzinfo=None)
    for path, kind in wanted:
        keys = _keys(path)
        name = _name(keys, kind, taken)
        taken.add(name)
        added.append((keys, kind, name))
        conn.execute(f'ALTER TABLE activities ADD COLUMN "{name}" {SQL_TYPES[kind]}')
        conn.execute("INSERT INTO property_columns VALUES (?, ?, ?, ?)", [path, kind, name, now])
    sets = ", ".join(
        f'"{name}" = {value}'
        for (_, _, name), value in zip(added, _values(added, "properties"), strict=True)
    )
    conn.execute(f"UPDATE activities SET {sets} WHERE properties IS NOT NULL")
    if known is not None:
        known.columns = existing + added
    return [name for _, _, name in added]


def _columns(conn: duckdb.DuckDBPyConnection) -> list[tuple[Keys, str, str]]:
    try:
        rows = conn.execute(
            "SELECT path, kind, name FROM property_columns ORDER BY added_at, name"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [(_keys(path), kind, name) for path, kind, name in rows]


def _common(
    conn: duckdb.DuckDBPyConnection, min_activities: int, limit: int
) -> list[tuple[str, str]]:
    """The (path, kind) pairs seen at least ``min_activities`` times without a column yet,
    the most frequent first (paths spelt as the catalogue spells them)."""
    try:
        rows = conn.execute(
            f"""SELECT path, kind, n FROM (
                SELECT path, unnest(['string', 'number', 'boolean']) AS kind,
                       unnest([sum(strings), sum(numbers), sum(booleans)]) AS n
                FROM catalog_properties GROUP BY path) p
            WHERE n >= ? AND NOT EXISTS (
                SELECT 1 FROM property_columns c WHERE c.path = p.path AND c.kind = p.kind)
            ORDER BY n DESC, path, kind LIMIT {int(limit)}""",
            [min_activities],
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [(str(path), str(kind)) for path, kind, _ in rows if kind in KINDS]


def _nearing(
    counts: dict[tuple[Keys, str], int],
    existing: list[tuple[Keys, str, str]],
    counted: Mapping[tuple[Keys, str], int],
    min_activities: int,
) -> bool:
    """Add ``counted`` to ``counts``; whether a (keys, kind) without a column may now be
    common: one reaches ``min_activities``, or one is not in ``counts`` (the catalogue has
    not been asked about it: it may spell the path otherwise, or not count it)."""
    covered = {(keys, kind) for keys, kind, _ in existing}
    nearing = False
    for key, n in counted.items():
        if key in covered:
            continue
        if key not in counts:
            return True
        counts[key] += n
        nearing = nearing or counts[key] >= min_activities
    return nearing


def _counts(
    conn: duckdb.DuckDBPyConnection, existing: list[tuple[Keys, str, str]]
) -> dict[tuple[Keys, str], int]:
    """The catalogue's count of activities of every (keys, kind) without a column."""
    covered = {(keys, kind) for keys, kind, _ in existing}
    try:
        rows = conn.execute(
            """SELECT path, kind, n FROM (
                SELECT path, unnest(['string', 'number', 'boolean']) AS kind,
                       unnest([sum(strings), sum(numbers), sum(booleans)]) AS n
                FROM catalog_properties GROUP BY path) WHERE n > 0"""
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    counts: dict[tuple[Keys, str], int] = {}
    for path, kind, n in rows:
        try:  # a path the catalogue spells with raw control characters: left out (asked)
            keys = tuple(str(k) for k in json.loads(path))
        except ValueError:
            continue
        if (keys, kind) not in covered:
            counts[(keys, str(kind))] = int(n)
    return counts


def _extract(columns: list[tuple[Keys, str, str]], properties: str) -> tuple[str, list[Keys]]:
    """SQL: the JSON text of every column's path, one ``json_extract`` per row; the paths."""
    paths = list(dict.fromkeys(keys for keys, _, _ in columns))
    pointers = exp.Array(expressions=[exp.Literal.string(_pointer(k)) for k in paths])
    return f"CAST(json_extract({properties}, {pointers.sql('duckdb')}) AS VARCHAR[])", paths


def _values(
    columns: list[tuple[Keys, str, str]], properties: str, extracted: str | None = None
) -> list[str]:
    """SQL per column: its kind's value out of one ``json_extract`` of every path per row
    (``extracted``: that list, already selected under this name)."""
    extract, paths = _extract(columns, properties)
    out = []
    for keys, kind, _ in columns:
        raw = f"{extracted or extract}[{paths.index(keys) + 1}]"
        out.append(value_sql(raw, kind))
    return out


def value_sql(raw: str, kind: str) -> str:
    """SQL: the ``kind`` value of a property from its JSON text ``raw`` (NULL if another kind).

    The same reading as the JSON conditions (backends/duckdb_dialect.py): a number is the
    JSON text cast to DOUBLE (a string's text keeps its quotes, so it never casts), a string
    is the unescaped text of a JSON string, a boolean is ``true``/``false``."""
    if kind == "number":
        return f"TRY_CAST({raw} AS DOUBLE)"
    if kind == "string":
        return f"CASE WHEN starts_with({raw}, '\"') THEN json_extract_string({raw}, '$') END"
    if kind == "boolean":
        return f"CASE {raw} WHEN 'true' THEN true WHEN 'false' THEN false END"
    raise ValueError(f"unknown kind {kind!r}")


def _pointer(keys: Keys) -> str:
    """RFC 6901 (as conditions address properties in DuckDB)."""
    return "".join("/" + k.replace("~", "~0").replace("/", "~1") for k in keys)


def _keys(path: str) -> Keys:
    return tuple(str(k) for k in json.loads(path))


def _name(keys: Keys, kind: str, taken: set[str]) -> str:
    """``hw_p_<slug>_<s|n|b>``, made unique against ``taken`` (names in lower case)."""
    slug = re.sub(r"[^a-z0-9_]", "_", "__".join(keys).lower())[:40]
    base = f"hw_p_{slug}_{_SUFFIX[kind]}"
    name, i = base, 2
    while name.lower() in taken:
        name, i = f"{base}_{i}", i + 1
    return name
