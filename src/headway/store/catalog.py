"""The catalogue: what the activity log holds, kept current on every append.

Per activity type: how many activities, first and last seen, and (through the
``catalog_type_contacts`` pairs) exactly how many distinct contacts. Per type and property
path: how many activities carry it, the JSON types seen, and — while a path has at most
``VALUE_CAP`` distinct scalar values — every value with its count (beyond that the path is
marked high-cardinality and its values are dropped, for good: values only grow on append).

Appends add the increment of their kept rows (``_hw_keep``) inside their own write
transaction (``record_append``; an Arrow batch kept whole, the HTTP path's, is counted in
Python by ``catalog_counts.record_batch`` instead), so reading the catalogue never scans the log. Erasure takes
the erased rows' share out again (``record_removal``); import undo calls ``rebuild``, a full
recompute from the log.

Paths are stored as the JSON array of their keys (``["context","page.url"]``), derived in
SQL from DuckDB's ``json_tree`` full keys; array elements are not paths (the journey
language cannot address them), so nodes inside arrays are left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import duckdb
import numpy as np
import pyarrow as pa

from headway.model.catalog_shape import VALUE_CAP
from headway.store.id_index import merged

# A json_tree full key made only of object steps: "$", then ".bare" or ."quoted" steps.
OBJECT_STEPS = r"""'^\$(\.("([^"\\]|\\.)*"|[^."\[\]]+))+$'"""
# The JSON array of a full key's keys: quoted steps are already JSON strings.
KEYS = (
    "'[' || array_to_string(list_transform("
    r"""regexp_extract_all(j.fullkey, '\.("(?:[^"\\]|\\.)*"|[^."\[\]]+)', 1), """
    "lambda s: CASE WHEN starts_with(s, '\"') THEN s ELSE to_json(s)::VARCHAR END), ',') || ']'"
)
_KIND = """CASE j.type WHEN 'VARCHAR' THEN 'string' WHEN 'BOOLEAN' THEN 'boolean'
    WHEN 'NULL' THEN 'null' WHEN 'OBJECT' THEN 'object' WHEN 'ARRAY' THEN 'array'
    ELSE 'number' END"""

TABLES = ("catalog_types", "catalog_type_contacts", "catalog_properties", "catalog_values")

CREATE = [
    """CREATE TABLE catalog_types (
        type_code SMALLINT PRIMARY KEY,
        activities BIGINT NOT NULL,
        first_seen TIMESTAMP NOT NULL,
        last_seen TIMESTAMP NOT NULL
    )""",
    # One row per (type, contact) seen: exact distinct contacts per type, cheap to count.
    """CREATE TABLE catalog_type_contacts (
        type_code SMALLINT NOT NULL,
        contact_key INTEGER NOT NULL
    )""",
    """CREATE TABLE catalog_properties (
        type_code SMALLINT NOT NULL,
        path VARCHAR NOT NULL,
        activities BIGINT NOT NULL,
        strings BIGINT NOT NULL, numbers BIGINT NOT NULL, booleans BIGINT NOT NULL,
        objects BIGINT NOT NULL, arrays BIGINT NOT NULL, nulls BIGINT NOT NULL,
        high_cardinality BOOLEAN NOT NULL DEFAULT false,
        PRIMARY KEY (type_code, path)
    )""",
    # value: the JSON text of a scalar (string, number or boolean).
    """CREATE TABLE catalog_values (
        type_code SMALLINT NOT NULL,
        path VARCHAR NOT NULL,
        value VARCHAR NOT NULL,
        activities BIGINT NOT NULL,
        PRIMARY KEY (type_code, path, value)
    )""",
]


def _nodes(rows: str, *, by_value: bool, only: str = "", weight: str = "count(*)") -> str:
    """SQL: counts per (type_code, path, kind[, value]) of the property nodes of ``rows``
    (columns ``type_code`` and ``properties``); without ``by_value``, an approximate count
    of distinct scalar values instead. ``only``: an extra condition on ``r`` and ``path``;
    ``weight``: how many activities a row of ``rows`` stands for (by value only).

    Nodes are grouped by their raw full key first, so the path is derived once per key."""
    value = "CASE WHEN j.type NOT IN ('NULL', 'OBJECT', 'ARRAY') THEN j.value::VARCHAR END"
    column = f"{value} AS value" if by_value else f"approx_count_distinct({value}) AS distincts"
    return f"""SELECT type_code, {KEYS} AS path, {_KIND} AS kind,
               {"value" if by_value else "distincts"}, n, fullkey
        FROM (SELECT r.type_code, j.fullkey, j.type, {column}, {weight} AS n
              FROM {rows} r, json_tree(r.properties) j
              WHERE j.fullkey <> '$' {only}
              GROUP BY {"ALL" if by_value else "1, 2, 3"}) j
        WHERE regexp_full_match(j.fullkey, {OBJECT_STEPS})"""


_PROPERTY_ROWS = """SELECT type_code, path, sum(n) AS activities,
        coalesce(sum(n) FILTER (kind = 'string'), 0) AS strings,
        coalesce(sum(n) FILTER (kind = 'number'), 0) AS numbers,
        coalesce(sum(n) FILTER (kind = 'boolean'), 0) AS booleans,
        coalesce(sum(n) FILTER (kind = 'object'), 0) AS objects,
        coalesce(sum(n) FILTER (kind = 'array'), 0) AS arrays,
        coalesce(sum(n) FILTER (kind = 'null'), 0) AS nulls,
        false AS high_cardinality
    FROM _hw_cat_nodes GROUP BY type_code, path"""


class TypeContacts:
    """Every (type, contact) pair of ``catalog_type_contacts`` in memory, as sorted codes.

    Finding a batch's new pairs in SQL scans the whole pair table each commit (~150 ms at
    6M pairs); this answers from memory. Like ``ContactKeys``, which holds it and reloads it,
    it is trusted only while no other write has happened since the append that last
    updated it.
    """

    def __init__(self) -> None:
        self.levels: list[np.ndarray] = []

    def load(self, conn: duckdb.DuckDBPyConnection) -> None:
        """Read every pair from the catalogue."""
        codes = conn.execute(f"SELECT {_PAIR_CODE} AS code FROM catalog_type_contacts")
        self.levels = [np.sort(codes.fetchnumpy()["code"].astype(np.int64))]

    def fresh(self, codes: np.ndarray) -> np.ndarray:
        """The ``codes`` (distinct) not held yet; they are added."""
        new = np.ones(len(codes), dtype=bool)
        for level in self.levels:
            if len(level):
                pos = np.searchsorted(level, codes).clip(max=len(level) - 1)
                new &= level[pos] != codes
        out = np.sort(codes[new])
        self.levels.append(out)
        while len(self.levels) > 1 and 2 * len(self.levels[-1]) >= len(self.levels[-2]):
            last = self.levels.pop()
            self.levels[-1] = merged(self.levels[-1], last)
        return out


# A pair as one number: the type code above the contact key (keys are non-negative).
_PAIR_CODE = "(type_code::BIGINT << 32) | contact_key::BIGINT"


def record_append(
    conn: duckdb.DuckDBPyConnection,
    keep: str,
    keys: str,
    pairs: TypeContacts | None = None,
) -> None:
    """Add the rows of ``keep`` (an append's kept rows; contact keys in ``keys``); with
    ``pairs`` (current), new (type, contact) pairs are found in memory."""
    # A subquery rather than a table: materialising the rows costs more than three scans.
    rows = f"""(SELECT t.code AS type_code, c.key AS contact_key, k.ts, k.properties
        FROM {keep} k
        JOIN {keys} c ON c.contact = k.contact
        JOIN activity_types t ON t.name = k.type)"""
    try:
        _merge(conn, rows, pairs)
    finally:
        conn.execute("DROP TABLE IF EXISTS _hw_cat_nodes")


def record_members(
    conn: duckdb.DuckDBPyConnection,
    keep: str,
    keys: str,
    members: Mapping[str, str],
    pairs: TypeContacts | None = None,
) -> None:
    """``record_append`` for rows whose properties are the object of their non-null columns
    ``members`` (property key -> column of ``keep``, raw values, as a tabular file's are).

    The property nodes of such an object are those of its members one by one, so each
    member's distinct JSON texts are grouped first and only those small objects
    (``{"key": value}``, the same text the properties hold) go through ``json_tree``."""
    rows = f"""(SELECT t.code AS type_code, c.key AS contact_key, k.ts
        FROM {keep} k
        JOIN {keys} c ON c.contact = k.contact
        JOIN activity_types t ON t.name = k.type)"""
    objects = " UNION ALL ".join(
        f"""SELECT t.code AS type_code, {_text(json.dumps(key) + ":")} || m.value || '}}' AS properties,
                  m.n
        FROM (SELECT type, CAST(to_json({column}) AS VARCHAR) AS value, count(*) AS n
              FROM {keep} WHERE {column} IS NOT NULL GROUP BY ALL) m
        JOIN activity_types t ON t.name = m.type"""
        for key, column in members.items()
    )
    try:
        _merge(conn, rows, pairs, _nodes(f"({objects})", by_value=True, weight="sum(r.n)"))
    finally:
        conn.execute("DROP TABLE IF EXISTS _hw_cat_nodes")


def _text(text: str) -> str:
    """A SQL string literal of ``'{' + text`` (constant keys of this process, quoted)."""
    return "'{" + text.replace("'", "''") + "'"


def _add_pairs(conn: duckdb.DuckDBPyConnection, rows: str, pairs: TypeContacts | None) -> None:
    if pairs is None:
        conn.execute(
            f"""INSERT INTO catalog_type_contacts
            SELECT DISTINCT type_code, contact_key FROM {rows} n
            WHERE NOT EXISTS (SELECT 1 FROM catalog_type_contacts p
                              WHERE p.type_code = n.type_code
                                AND p.contact_key = n.contact_key)"""
        )
        return
    codes = conn.execute(f"SELECT DISTINCT {_PAIR_CODE} AS code FROM {rows}").fetchnumpy()
    new = pairs.fresh(codes["code"].astype(np.int64))
    if len(new) == 0:
        return
    conn.register("_hw_cat_pairs", pa.table({"code": pa.array(new, pa.int64())}))
    try:
        conn.execute(
            """INSERT INTO catalog_type_contacts
            SELECT (code >> 32)::SMALLINT, (code & 4294967295)::INTEGER FROM _hw_cat_pairs"""
        )
    finally:
        conn.unregister("_hw_cat_pairs")


def _merge(
    conn: duckdb.DuckDBPyConnection, rows: str, pairs: TypeContacts | None, nodes: str = ""
) -> None:
    """Add the catalogue of ``rows`` (type_code, contact_key, ts, properties) to the tables
    (``nodes``: the SQL of their property nodes, when not read from ``rows``)."""
    conn.execute(
        f"""INSERT INTO catalog_types
        SELECT type_code, count(*), min(ts), max(ts) FROM {rows} GROUP BY type_code
        ON CONFLICT (type_code) DO UPDATE SET
            activities = activities + excluded.activities,
            first_seen = least(first_seen, excluded.first_seen),
            last_seen = greatest(last_seen, excluded.last_seen)"""
    )
    _add_pairs(conn, rows, pairs)
    nodes = nodes or _nodes(rows, by_value=True)
    conn.execute(f"CREATE OR REPLACE TEMP TABLE _hw_cat_nodes AS {nodes}")
    conn.execute(
        f"""INSERT INTO catalog_properties {_PROPERTY_ROWS}
        ON CONFLICT (type_code, path) DO UPDATE SET
            activities = activities + excluded.activities,
            strings = strings + excluded.strings, numbers = numbers + excluded.numbers,
            booleans = booleans + excluded.booleans, objects = objects + excluded.objects,
            arrays = arrays + excluded.arrays, nulls = nulls + excluded.nulls"""
    )
    conn.execute(
        """INSERT INTO catalog_values
        SELECT n.type_code, n.path, n.value, sum(n.n) FROM _hw_cat_nodes n
        JOIN catalog_properties p USING (type_code, path)
        WHERE n.value IS NOT NULL AND NOT p.high_cardinality
        GROUP BY ALL
        ON CONFLICT (type_code, path, value) DO UPDATE SET
            activities = activities + excluded.activities"""
    )
    # Usually no path crosses the cap: one read then spares the statements that mark it.
    crossed = conn.execute(
        f"""SELECT count(*) FROM (SELECT 1 FROM catalog_values
            SEMI JOIN (SELECT DISTINCT type_code, path FROM _hw_cat_nodes) p
                USING (type_code, path)
            GROUP BY type_code, path HAVING count(*) > {VALUE_CAP})"""
    ).fetchall()
    if crossed[0][0]:
        for statement in _MARK_HIGH:
            conn.execute(statement)


# Paths of _hw_cat_nodes now holding more than VALUE_CAP values: flagged, their values dropped.
_MARK_HIGH = [
    f"""CREATE OR REPLACE TEMP TABLE _hw_cat_over AS
    SELECT type_code, path FROM catalog_values
    SEMI JOIN (SELECT DISTINCT type_code, path FROM _hw_cat_nodes) p USING (type_code, path)
    GROUP BY ALL HAVING count(*) > {VALUE_CAP}""",
    """UPDATE catalog_properties p SET high_cardinality = true FROM _hw_cat_over o
    WHERE p.type_code = o.type_code AND p.path = o.path""",
    """DELETE FROM catalog_values v USING _hw_cat_over o
    WHERE v.type_code = o.type_code AND v.path = o.path""",
    "DROP TABLE _hw_cat_over",
]


def record_removal(conn: duckdb.DuckDBPyConnection, gone: str, keys: list[int]) -> dict[str, int]:
    """Take out of the catalogue the rows of ``gone`` (a table of removed activities: type_code,
    ts, properties) of the contacts ``keys``; catalogue rows left with nothing are deleted
    (how many, per table). A path once high-cardinality stays so (its values were dropped)."""
    removed = {"catalog_type_contacts": _count(
        conn, "DELETE FROM catalog_type_contacts WHERE contact_key IN (SELECT unnest(?))", [keys]
    )}  # fmt: skip
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE _hw_cat_gone_types AS
        SELECT type_code, count(*) AS n, min(ts) AS lo, max(ts) AS hi FROM {gone} GROUP BY 1"""
    )
    conn.execute(
        """UPDATE catalog_types t SET activities = t.activities - g.n FROM _hw_cat_gone_types g
        WHERE t.type_code = g.type_code"""
    )
    removed["catalog_types"] = _count(conn, "DELETE FROM catalog_types WHERE activities <= 0")
    # First and last seen move only where a removed row held them: those types are re-read.
    conn.execute(
        """UPDATE catalog_types t SET first_seen = s.lo, last_seen = s.hi
        FROM (SELECT a.type_code, min(a.ts) AS lo, max(a.ts) AS hi FROM activities a
              SEMI JOIN (SELECT g.type_code FROM _hw_cat_gone_types g JOIN catalog_types c
                         USING (type_code) WHERE g.lo <= c.first_seen OR g.hi >= c.last_seen) x
              USING (type_code) GROUP BY 1) s
        WHERE t.type_code = s.type_code"""
    )
    conn.execute(f"CREATE OR REPLACE TEMP TABLE _hw_cat_nodes AS {_nodes(gone, by_value=True)}")
    conn.execute(
        f"""UPDATE catalog_properties p SET activities = p.activities - d.activities,
            strings = p.strings - d.strings, numbers = p.numbers - d.numbers,
            booleans = p.booleans - d.booleans, objects = p.objects - d.objects,
            arrays = p.arrays - d.arrays, nulls = p.nulls - d.nulls
        FROM ({_PROPERTY_ROWS}) d WHERE p.type_code = d.type_code AND p.path = d.path"""
    )
    conn.execute(
        """UPDATE catalog_values v SET activities = v.activities - d.n
        FROM (SELECT type_code, path, value, sum(n) AS n FROM _hw_cat_nodes
              WHERE value IS NOT NULL GROUP BY ALL) d
        WHERE v.type_code = d.type_code AND v.path = d.path AND v.value = d.value"""
    )
    removed["catalog_properties"] = _count(
        conn, "DELETE FROM catalog_properties WHERE activities <= 0"
    )
    removed["catalog_values"] = _count(
        conn,
        """DELETE FROM catalog_values v WHERE v.activities <= 0
        OR NOT EXISTS (SELECT 1 FROM catalog_properties p
                       WHERE p.type_code = v.type_code AND p.path = v.path)""",
    )
    conn.execute("DROP TABLE _hw_cat_nodes")
    conn.execute("DROP TABLE _hw_cat_gone_types")
    return removed


def _count(conn: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> int:
    row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def rebuild(conn: duckdb.DuckDBPyConnection) -> None:
    """Recompute the whole catalogue from the activity log (after deletions)."""
    for statement in REBUILD:
        conn.execute(statement)


_LOW = """AND EXISTS (SELECT 1 FROM _hw_cat_low l
    WHERE l.type_code = r.type_code AND l.fullkey = j.fullkey)"""

# Two passes over the log: kinds and approximate distinct counts per path, then exact values
# only for the paths that may have at most VALUE_CAP of them (a wide margin over the sketch's
# error), so high-cardinality paths never make a group per value.
REBUILD = [
    *(f"DELETE FROM {table}" for table in TABLES),
    """INSERT INTO catalog_types
    SELECT type_code, count(*), min(ts), max(ts) FROM activities GROUP BY type_code""",
    """INSERT INTO catalog_type_contacts SELECT DISTINCT type_code, contact_key FROM activities""",
    f"CREATE OR REPLACE TEMP TABLE _hw_cat_nodes AS {_nodes('activities', by_value=False)}",
    f"INSERT INTO catalog_properties {_PROPERTY_ROWS}",
    f"""CREATE OR REPLACE TEMP TABLE _hw_cat_low AS
    SELECT DISTINCT n.type_code, n.fullkey FROM _hw_cat_nodes n
    JOIN (SELECT type_code, path FROM _hw_cat_nodes GROUP BY ALL
          HAVING sum(distincts) <= {2 * VALUE_CAP}) l USING (type_code, path)""",
    """UPDATE catalog_properties p SET high_cardinality = true
    WHERE NOT EXISTS (SELECT 1 FROM _hw_cat_nodes n
                      SEMI JOIN _hw_cat_low l USING (type_code, fullkey)
                      WHERE n.type_code = p.type_code AND n.path = p.path)""",
    f"""INSERT INTO catalog_values
    SELECT type_code, path, value, sum(n) FROM ({_nodes("activities", by_value=True, only=_LOW)})
    WHERE value IS NOT NULL GROUP BY ALL""",
    *_MARK_HIGH,
    "DROP TABLE _hw_cat_low",
    "DROP TABLE _hw_cat_nodes",
]
