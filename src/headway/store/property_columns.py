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
from datetime import UTC, datetime

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


def load(conn: duckdb.DuckDBPyConnection) -> TypedColumns:
    """The typed columns of the log (none before the table exists)."""
    try:
        rows = conn.execute("SELECT path, kind, name FROM property_columns").fetchall()
    except duckdb.CatalogException:
        return TypedColumns()
    return TypedColumns({(_keys(path), kind): name for path, kind, name in rows})


def insert_columns(conn: duckdb.DuckDBPyConnection, properties: str) -> tuple[list[str], str]:
    """The typed column names and their SQL values over the JSON column ``properties``
    (``", <values>"``, empty when there are none), for an ``INSERT ... SELECT``."""
    columns = _columns(conn)
    if not columns:
        return [], ""
    return [name for _, _, name in columns], ", " + ", ".join(_values(columns, properties))


def grow(conn: duckdb.DuckDBPyConnection, min_activities: int = MIN_ACTIVITIES) -> list[str]:
    """Add (and backfill) a column for every newly common (path, kind); their names."""
    existing = _columns(conn)
    room = MAX_COLUMNS - len(existing)
    if room <= 0:
        return []
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


def _values(columns: list[tuple[Keys, str, str]], properties: str) -> list[str]:
    """SQL per column: its kind's value out of one ``json_extract`` of every path per row."""
    paths = list(dict.fromkeys(keys for keys, _, _ in columns))
    pointers = exp.Array(expressions=[exp.Literal.string(_pointer(k)) for k in paths])
    extract = f"CAST(json_extract({properties}, {pointers.sql('duckdb')}) AS VARCHAR[])"
    out = []
    for keys, kind, _ in columns:
        raw = f"{extract}[{paths.index(keys) + 1}]"
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
