"""The catalogue's increment of an Arrow batch, counted in Python rather than by ``json_tree``.

The SQL increment (``catalog.record_append``) parses every kept row's properties again with
DuckDB's ``json_tree`` and groups the nodes (~60 ms of CPU per 10,000 activities). An HTTP
batch arrives as an Arrow table whose properties are JSON text ``orjson`` wrote: ``orjson``
parses the whole column back in one call, and the objects are counted key by key, a column
of values at a time, with C-level iterators (``map``, ``zip``, ``Counter``), not node by node.

The result must be the SQL's to the byte, so Python decides only what it certainly decides
the same way; anything else falls back to the SQL increment or asks DuckDB:

- the column parses as one JSON array that ``orjson`` writes back byte for byte: no text holds
  what a Python object cannot (a repeated key, ``1E5``, white space, ``-0``), and no ``-0.0``
  appears (Python counts it as ``0.0``); otherwise the caller falls back to SQL;
- a path's text, and whether it is a path at all, comes from the SQL's own expression over
  ``json_tree``'s full key, run by DuckDB once per distinct key sequence and remembered;
- integers, booleans and strings with no character JSON escapes are written here; floats and
  other strings are written by DuckDB's ``json_tree`` (remembered).

The increment is written in the append's own transaction, like the SQL increment's.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from headway.store import catalog

_NESTS = (dict, list)
# The catalogue's count column of each kind of value.
_KIND = {str: "strings", int: "numbers", float: "numbers", bool: "booleans", type(None): "nulls",
         dict: "objects", list: "arrays"}  # fmt: skip
_SCALARS = {str: "string", int: "number", float: "number", bool: "boolean"}  # typed kinds
_COUNTS = ("strings", "numbers", "booleans", "objects", "arrays", "nulls")
# A string json_tree writes as '"' + s + '"': nothing JSON escapes (and no DEL, to be safe).
_ESCAPED = re.compile(r'[\x00-\x1f"\\\x7f]')
_CACHE_LIMIT = 100_000
_paths: dict[tuple[str, ...], str | None] = {}  # key sequence -> path text (None: no path)
_texts: dict[tuple[type, Any], str] = {}  # (type, value) -> its JSON text as json_tree writes it


class _Missing:
    """The value of a key an object does not hold."""


_MISSING = _Missing()
_ABSENT = (_Missing, _MISSING)


@dataclass
class _Column:
    """The values of one path of one type: kinds counted, scalars (and gaps) kept."""

    type_code: int
    keys: tuple[str, ...]
    kinds: Counter[type]
    values: list[Any]


def record_batch(
    conn: duckdb.DuckDBPyConnection,
    rows: pa.Table,
    pairs: catalog.TypeContacts | None,
    docs: list[Any] | None = None,
    counted: Counter[tuple[tuple[str, ...], str]] | None = None,
) -> bool:
    """Add the catalogue of ``rows`` (an append's rows, all kept; their contacts' keys in
    ``_hw_keys``); False, with nothing written, when they are not counted here.
    ``docs``: ``documents(rows)`` when the caller has it already. ``counted``: given, it
    gets the activities of each (key sequence, kind: string, number or boolean) counted."""
    docs = documents(rows) if docs is None else docs
    if docs is None:
        return False
    names = conn.sql("SELECT name, code FROM activity_types").to_arrow_table()
    codes = pc.take(names["code"], pc.index_in(rows["type"], names["name"].combine_chunks()))
    known = conn.sql("SELECT contact, key FROM _hw_keys").to_arrow_table()
    keys = pc.take(known["key"], pc.index_in(rows["contact"], known["contact"].combine_chunks()))
    if codes.null_count or keys.null_count:
        return False
    type_codes = codes.to_numpy().astype(np.int64)
    _add_types(conn, type_codes, rows["ts"])
    _add_pairs(conn, type_codes, keys.to_numpy().astype(np.int64), pairs)
    columns = _columns(type_codes, docs)
    if columns:
        _add_properties(conn, columns)
    if counted is not None:
        for column in columns:
            for kind, n in column.kinds.items():
                if kind in _SCALARS:
                    counted[(column.keys, _SCALARS[kind])] += n
    return True


def documents(rows: pa.Table) -> list[Any] | None:
    """Each row's parsed properties, or None when Python may not read them as DuckDB does."""
    wanted = {"type": pa.string(), "contact": pa.string(), "ts": pa.timestamp("us"),
              "properties": pa.string()}  # fmt: skip
    for name, kind in wanted.items():
        if name not in rows.column_names or rows.schema.field(name).type != kind:
            return None
        if name != "properties" and rows[name].null_count:
            return None
    texts = pc.fill_null(rows["properties"], "null").combine_chunks()
    lists = pa.ListArray.from_arrays(pa.array([0, len(texts)], pa.int32()), texts)
    data = f"[{pc.binary_join(lists, ',')[0].as_py()}]".encode()
    if b"-0.0" in data:
        return None
    try:
        docs = orjson.loads(data)
        same = orjson.dumps(docs) == data
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return None
    return docs if same and len(docs) == rows.num_rows else None


def _add_types(conn: duckdb.DuckDBPyConnection, codes: np.ndarray, ts: pa.ChunkedArray) -> None:
    per_type = (
        pa.table({"code": codes, "ts": ts})
        .group_by("code")
        .aggregate([("ts", "count"), ("ts", "min"), ("ts", "max")])
    )
    conn.execute(
        """INSERT INTO catalog_types
        SELECT unnest(?::SMALLINT[]), unnest(?::BIGINT[]), unnest(?::TIMESTAMP[]),
               unnest(?::TIMESTAMP[])
        ON CONFLICT (type_code) DO UPDATE SET
            activities = activities + excluded.activities,
            first_seen = least(first_seen, excluded.first_seen),
            last_seen = greatest(last_seen, excluded.last_seen)""",
        [per_type[c].to_pylist() for c in ("code", "ts_count", "ts_min", "ts_max")],
    )


def _add_pairs(
    conn: duckdb.DuckDBPyConnection,
    codes: np.ndarray,
    keys: np.ndarray,
    pairs: catalog.TypeContacts | None,
) -> None:
    """New (type, contact) pairs: found in memory with ``pairs``, else against the table."""
    distinct = np.unique((codes << 32) | keys)
    new = pairs.fresh(distinct) if pairs is not None else distinct
    if len(new) == 0:
        return
    unseen = "" if pairs is not None else "WHERE NOT EXISTS (SELECT 1 FROM catalog_type_contacts p"
    unseen += "" if pairs is not None else " WHERE p.type_code = t AND p.contact_key = c)"
    conn.register("_hw_cat_pairs", pa.table({"code": pa.array(new, pa.int64())}))
    try:
        conn.execute(
            f"""INSERT INTO catalog_type_contacts
            SELECT t, c FROM (SELECT (code >> 32)::SMALLINT AS t,
                                     (code & 4294967295)::INTEGER AS c FROM _hw_cat_pairs)
            {unseen}"""
        )
    finally:
        conn.unregister("_hw_cat_pairs")


def _columns(codes: np.ndarray, docs: list[Any]) -> list[_Column]:
    """Every (type, path) column of the objects in ``docs`` (``codes``: each row's type)."""
    order = np.argsort(codes, kind="stable")
    out: list[_Column] = []
    for part in np.split(order, np.flatnonzero(np.diff(codes[order])) + 1):
        group = list(map(docs.__getitem__, part.tolist()))
        if set(map(type, group)) != {dict}:
            group = [d for d in group if type(d) is dict]  # no properties, or not an object
        _gather(int(codes[part[0]]), (), group, out)
    return out


def _gather(code: int, prefix: tuple[str, ...], objects: list[Any], out: list[_Column]) -> None:
    """Append to ``out`` the columns of ``objects`` (dicts at path ``prefix``), nested too."""
    held = Counter(chain.from_iterable(objects))  # key -> how many objects hold it
    if not held:
        return
    if len(held) * len(objects) <= 4 * sum(held.values()) + 64:
        columns = {  # keys most objects hold: a column is one C-level pass per key
            key: list(map(dict.__getitem__, objects, repeat(key)))
            if n == len(objects)
            else list(map(dict.get, objects, repeat(key), repeat(_MISSING)))
            for key, n in held.items()
        }
    else:  # sparse keys: one pass over the nodes instead
        columns = {key: [] for key in held}
        for obj in objects:
            for key, value in obj.items():
                columns[key].append(value)
    for key, values in columns.items():
        keys = (*prefix, key)
        kinds = Counter(map(type, values))
        kinds.pop(_Missing, None)
        if dict in kinds or list in kinds:
            _gather(code, keys, [v for v in values if type(v) is dict], out)
            values = [v for v in values if type(v) not in _NESTS]
        out.append(_Column(code, keys, kinds, values))


def _add_properties(conn: duckdb.DuckDBPyConnection, columns: list[_Column]) -> None:
    paths = _path_texts(conn, {c.keys for c in columns})
    counted = [(c, paths[c.keys]) for c in columns if paths[c.keys] is not None]
    rows: dict[tuple[int, str], dict[str, int]] = {}
    for column, path in counted:
        counts = rows.setdefault((column.type_code, str(path)), dict.fromkeys(_COUNTS, 0))
        for kind, n in column.kinds.items():
            counts[_KIND[kind]] += n
    if not rows:
        return
    stored = _stored(conn, list(rows))
    conn.execute(
        f"""INSERT INTO catalog_properties
        SELECT unnest(?::SMALLINT[]), unnest(?::VARCHAR[]), unnest(?::BIGINT[]),
               {", ".join("unnest(?::BIGINT[])" for _ in _COUNTS)}, false
        ON CONFLICT (type_code, path) DO UPDATE SET
            activities = activities + excluded.activities,
            strings = strings + excluded.strings, numbers = numbers + excluded.numbers,
            booleans = booleans + excluded.booleans, objects = objects + excluded.objects,
            arrays = arrays + excluded.arrays, nulls = nulls + excluded.nulls""",
        [
            [t for t, _ in rows],
            [p for _, p in rows],
            [sum(c.values()) for c in rows.values()],
            *([c[kind] for c in rows.values()] for kind in _COUNTS),
        ],
    )
    _add_values(conn, counted, stored)


def _stored(
    conn: duckdb.DuckDBPyConnection, paths: list[tuple[int, str]]
) -> dict[tuple[int, str], tuple[bool, int]]:
    """Of the stored ``paths``: whether high-cardinality, and how many values are kept."""
    got = conn.execute(
        """SELECT p.type_code, p.path, any_value(p.high_cardinality), count(v.value)
        FROM (SELECT * FROM catalog_properties
              SEMI JOIN (SELECT unnest(?::SMALLINT[]) AS type_code,
                                unnest(?::VARCHAR[]) AS path) b USING (type_code, path)) p
        LEFT JOIN catalog_values v USING (type_code, path)
        GROUP BY ALL""",
        [[t for t, _ in paths], [p for _, p in paths]],
    ).fetchall()
    return {(t, p): (high, n) for t, p, high, n in got}


def _add_values(
    conn: duckdb.DuckDBPyConnection,
    counted: list[tuple[_Column, str | None]],
    stored: dict[tuple[int, str], tuple[bool, int]],
) -> None:
    """Upsert the values of the paths not high-cardinality; mark the paths that cross."""
    found: dict[tuple[int, str], Counter[tuple[type, Any]]] = {}
    for column, path in counted:
        key = (column.type_code, str(path))
        if stored.get(key, (False, 0))[0] or not column.values:
            continue
        values = Counter(zip(map(type, column.values), column.values, strict=True))
        values.pop(_ABSENT, None)
        values.pop((type(None), None), None)
        if values:
            found.setdefault(key, Counter()).update(values)
    # More distinct values than the cap in this batch alone: the path crosses it for sure.
    over = [key for key, values in found.items() if len(values) > catalog.VALUE_CAP]
    entries = [(key, value, n) for key, values in found.items() if key not in over
               for value, n in values.items()]  # fmt: skip
    if entries:
        conn.execute(
            """INSERT INTO catalog_values
            SELECT unnest(?::SMALLINT[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),
                   unnest(?::BIGINT[])
            ON CONFLICT (type_code, path, value) DO UPDATE SET
                activities = activities + excluded.activities""",
            [
                [t for (t, _), _, _ in entries],
                [p for (_, p), _, _ in entries],
                _value_texts(conn, [value for _, value, _ in entries]),
                [n for _, _, n in entries],
            ],
        )
    # Only a path whose kept values plus this batch's could pass the cap needs counting.
    maybe = [key for key, values in found.items() if key not in over
             and stored.get(key, (False, 0))[1] + len(values) > catalog.VALUE_CAP]  # fmt: skip
    if maybe:
        over += conn.execute(
            f"""SELECT type_code, path FROM catalog_values
            SEMI JOIN (SELECT unnest(?::SMALLINT[]) AS type_code,
                              unnest(?::VARCHAR[]) AS path) b USING (type_code, path)
            GROUP BY ALL HAVING count(*) > {catalog.VALUE_CAP}""",
            [[t for t, _ in maybe], [p for _, p in maybe]],
        ).fetchall()
    if over:
        _mark_high(conn, over)


def _mark_high(conn: duckdb.DuckDBPyConnection, paths: list[tuple[int, str]]) -> None:
    """Flag ``paths`` high-cardinality and drop their values."""
    params = [[t for t, _ in paths], [p for _, p in paths]]
    over = "(SELECT unnest(?::SMALLINT[]) AS type_code, unnest(?::VARCHAR[]) AS path)"
    conn.execute(
        f"""UPDATE catalog_properties p SET high_cardinality = true FROM {over} o
        WHERE p.type_code = o.type_code AND p.path = o.path""",
        params,
    )
    conn.execute(
        f"""DELETE FROM catalog_values v USING {over} o
        WHERE v.type_code = o.type_code AND v.path = o.path""",
        params,
    )


def _path_texts(
    conn: duckdb.DuckDBPyConnection, sequences: set[tuple[str, ...]]
) -> dict[tuple[str, ...], str | None]:
    """The catalogue's path text of each key sequence (None: the SQL counts no such path)."""
    missing = [keys for keys in sequences if keys not in _paths]
    if missing:
        if len(_paths) > _CACHE_LIMIT:
            _paths.clear()
        docs = []
        for keys in missing:
            doc: Any = 0
            for key in reversed(keys):
                doc = {key: doc}
            docs.append(orjson.dumps(doc).decode())
        got = conn.execute(
            f"""SELECT d.i, CASE WHEN regexp_full_match(j.fullkey, {catalog.OBJECT_STEPS})
                                 THEN {catalog.KEYS} END
            FROM (SELECT unnest(?::VARCHAR[]) AS doc, unnest(range(?)) AS i) d,
                 json_tree(d.doc::JSON) j
            WHERE j.type = 'UBIGINT'""",
            [docs, len(docs)],
        ).fetchall()
        for i, text in got:
            _paths[missing[i]] = text
    return {keys: _paths[keys] for keys in sequences}


def _value_texts(conn: duckdb.DuckDBPyConnection, values: list[tuple[type, Any]]) -> list[str]:
    """Each scalar's JSON text as ``json_tree`` writes it."""
    out: list[str | None] = []
    ask: dict[tuple[type, Any], None] = {}  # an ordered set
    for kind, v in values:
        if kind is int:
            out.append(str(v))
        elif kind is bool:
            out.append("true" if v else "false")
        elif kind is str and _ESCAPED.search(v) is None:
            out.append(f'"{v}"')
        else:
            text = _texts.get((kind, v))
            if text is None:
                ask[(kind, v)] = None
            out.append(text)
    if ask:
        _ask_texts(conn, list(ask))
    return [
        _texts[value] if text is None else text for value, text in zip(values, out, strict=True)
    ]


def _ask_texts(conn: duckdb.DuckDBPyConnection, values: list[tuple[type, Any]]) -> None:
    """Have ``json_tree`` write ``values`` (floats, strings with escapes); remember the texts."""
    if len(_texts) > _CACHE_LIMIT:
        _texts.clear()
    got = conn.execute(
        "SELECT j.key, j.value::VARCHAR FROM json_tree(?::JSON) j WHERE j.fullkey <> '$'",
        [orjson.dumps([v for _, v in values]).decode()],
    ).fetchall()
    for key, text in got:
        _texts[values[int(key)]] = text
