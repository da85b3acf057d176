"""The append path: dedupe, dictionary keys, insert — run inside one write transaction.

Input is any relation with the canonical activity columns. Duplicates are found through
``id_hash`` (a 64-bit hash of the id): only rows whose hash repeats in the batch or already
occurs in the log are compared by full id, so the common case is one cheap hash probe.

The store passes two in-memory helpers that make a commit's cost independent of the log's
size: an ``IdIndex`` (the log's hashes; without it the batch's hashes are probed against the
whole ``activities.id_hash`` column) and, on its own group commits, ``ContactKeys`` (every
contact's key; without it the batch's contacts are probed against the whole ``contacts``
table). Both only speed the answer up: a hash the index knows is still confirmed by full id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import duckdb
import numpy as np
import pyarrow as pa

from headway.store import catalog, catalog_counts, email_counts, email_rollup, property_columns
from headway.store.contact_keys import ContactKeys
from headway.store.id_index import IdIndex
from headway.store.store_types import AppendResult

CANONICAL = ("id", "contact", "type", "ts", "properties", "bot", "bot_reason", "source")

# An id derived from the content, so that re-sending an id-less activity is idempotent.
CONTENT_ID = (
    "'h' || md5(contact || chr(31) || type || chr(31) || strftime(ts, '%Y-%m-%dT%H:%M:%S.%f')"
    " || chr(31) || coalesce(CAST(properties AS VARCHAR), ''))"
)


SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("contact", pa.string()),
        ("type", pa.string()),
        ("ts", pa.timestamp("us")),
        ("properties", pa.string()),
        ("bot", pa.bool_()),
        ("bot_reason", pa.string()),
        ("source", pa.string()),
    ]
)

# The kept rows with activity_log's columns, as stored (for the email pre-aggregate).
_KEPT = """(SELECT c.key AS contact_key, t.code AS type_code, k.ts, k.properties, k.bot, k.source
    FROM _hw_keep k
    JOIN _hw_keys c ON c.contact = k.contact
    JOIN activity_types t ON t.name = k.type)"""


def append_batches(
    conn: duckdb.DuckDBPyConnection,
    tables: list[pa.Table],
    index: IdIndex | None = None,
    contacts: ContactKeys | None = None,
    touched: list[np.ndarray] | None = None,
    typed: property_columns.Known | None = None,
) -> list[AppendResult]:
    """Append several batches in one pass (group commit); one result per batch, in order.

    Batches are appended as if one after the other: an id repeated in a later batch counts
    as that batch's duplicate.
    """
    if len(tables) == 1:
        return [append_arrow(conn, tables[0], index, contacts, touched, typed)]
    parts = []
    for i, table in enumerate(tables):
        canonical = pa.table({f.name: _column(table, f) for f in SCHEMA}, schema=SCHEMA)
        parts.append(canonical.append_column("_batch", pa.array([i] * table.num_rows, pa.int32())))
    combined = pa.concat_tables(parts)
    conn.register("_hw_batch", combined)
    try:
        _prepare(conn, "_hw_batch", {*SCHEMA.names, "_batch"})
        incoming = dict(
            conn.execute("SELECT _batch, count(*) FROM _hw_in GROUP BY _batch").fetchall()
        )
        kept = _append_prepared(
            conn,
            "_hw_in",
            by_batch=True,
            index=index,
            contacts=contacts,
            rows=combined,
            touched=touched,
            typed=typed,
        )
    finally:
        conn.unregister("_hw_batch")
        conn.execute("DROP TABLE IF EXISTS _hw_in")
    assert isinstance(kept, dict)
    return [
        AppendResult(int(kept.get(i, 0)), int(incoming.get(i, 0)) - int(kept.get(i, 0)))
        for i in range(len(tables))
    ]


def _column(table: pa.Table, field: pa.Field) -> pa.Array | pa.ChunkedArray:
    if field.name not in table.column_names:
        return pa.nulls(table.num_rows, field.type)
    column = table.column(field.name)
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        column = column.cast(pa.timestamp(column.type.unit, tz="UTC"))
    return column.cast(field.type)


def append_arrow(
    conn: duckdb.DuckDBPyConnection,
    table: pa.Table,
    index: IdIndex | None = None,
    contacts: ContactKeys | None = None,
    touched: list[np.ndarray] | None = None,
    typed: property_columns.Known | None = None,
) -> AppendResult:
    """Append an Arrow batch with the canonical columns."""
    conn.register("_hw_batch", table)
    try:
        return append_relation(
            conn, "_hw_batch", index, contacts, rows=table, touched=touched, typed=typed
        )
    finally:
        conn.unregister("_hw_batch")


def append_relation(
    conn: duckdb.DuckDBPyConnection,
    relation: str,
    index: IdIndex | None = None,
    contacts: ContactKeys | None = None,
    import_id: int | None = None,
    rows: pa.Table | None = None,
    touched: list[np.ndarray] | None = None,
    members: Mapping[str, str] | None = None,
    typed: property_columns.Known | None = None,
) -> AppendResult:
    """Append every row of ``relation`` (canonical columns, optional ``_seq`` order).

    A relation that already has ``id_hash`` and ``_seq`` (the file import's checked rows:
    ids filled, columns typed, in the order of ``_hw_in``) is used as is, saving a copy.
    ``import_id`` tags the rows with the import they came from (see ``store/imports.py``).
    ``rows``: the relation's rows as Arrow, when it is one (the catalogue may count them).
    ``touched``: when given, the keys of the batch's contacts are added to it (live journeys).
    ``members``: when the relation's ``properties`` is exactly the object of its non-null
    columns ``members`` (property key -> column, raw values), the catalogue and the typed
    property columns are computed from those columns instead of parsing the JSON per row.
    """
    cols = {r[0] for r in conn.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
    if {"id_hash", "_seq"} <= cols:
        return _single(
            _append_prepared(
                conn,
                relation,
                index=index,
                contacts=contacts,
                import_id=import_id,
                rows=rows,
                touched=touched,
                members=members,
                typed=typed,
            )
        )
    _prepare(conn, relation, cols)
    try:
        return _single(
            _append_prepared(
                conn,
                "_hw_in",
                index=index,
                contacts=contacts,
                import_id=import_id,
                rows=rows,
                touched=touched,
                typed=typed,
            )
        )
    finally:
        conn.execute("DROP TABLE IF EXISTS _hw_in")


def _single(result: AppendResult | dict[int, int]) -> AppendResult:
    assert isinstance(result, AppendResult)
    return result


def _prepare(conn: duckdb.DuckDBPyConnection, relation: str, cols: set[str]) -> None:
    seq = "_seq" if "_seq" in cols else "row_number() OVER ()"
    batch = ", _batch" if "_batch" in cols else ""
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE _hw_in AS
        SELECT id, hash(id) AS id_hash, contact, type, ts, properties, bot, bot_reason, source, _seq{batch}
        FROM (
            SELECT coalesce(id, {CONTENT_ID}) AS id, contact, type, ts, properties,
                   coalesce(bot, false) AS bot, bot_reason, source, {seq} AS _seq{batch}
            FROM (SELECT contact, type, CAST(ts AS TIMESTAMP) AS ts,
                         CAST(properties AS JSON) AS properties, CAST(id AS VARCHAR) AS id,
                         CAST(bot AS BOOLEAN) AS bot, CAST(bot_reason AS VARCHAR) AS bot_reason,
                         CAST(source AS VARCHAR) AS source
                  {", _seq" if "_seq" in cols else ""}{batch}
                  FROM {relation})
        )"""
    )


def _append_prepared(
    conn: duckdb.DuckDBPyConnection,
    src: str,
    *,
    by_batch: bool = False,
    index: IdIndex | None = None,
    contacts: ContactKeys | None = None,
    import_id: int | None = None,
    rows: pa.Table | None = None,
    touched: list[np.ndarray] | None = None,
    members: Mapping[str, str] | None = None,
    typed: property_columns.Known | None = None,
) -> AppendResult | dict[int, int]:
    hashes = conn.execute(f"SELECT id_hash FROM {src}").fetchnumpy()["id_hash"]
    incoming = len(hashes)
    if incoming == 0:
        return {} if by_batch else AppendResult(0, 0)
    # Usually nothing repeats: then every row is kept without probing an empty set.
    no_dups = not _find_candidates(conn, src, hashes, index)
    conn.execute(
        f"CREATE OR REPLACE TEMP VIEW _hw_keep AS SELECT * FROM {src}"
        if no_dups
        else f"""CREATE OR REPLACE TEMP VIEW _hw_keep AS
        SELECT * FROM {src} WHERE id_hash NOT IN (SELECT id_hash FROM _hw_dup)
        UNION ALL
        SELECT * FROM (
            SELECT * FROM {src} WHERE id_hash IN (SELECT id_hash FROM _hw_dup)
            QUALIFY row_number() OVER (PARTITION BY id ORDER BY _seq) = 1
        ) d
        WHERE NOT EXISTS (SELECT 1 FROM activities a WHERE a.id_hash = d.id_hash AND a.id = d.id)"""
    )
    types = _add_types(conn, src)
    _add_contacts(conn, src, contacts)
    kept = (
        dict(conn.execute("SELECT _batch, count(*) FROM _hw_keep GROUP BY _batch").fetchall())
        if by_batch
        else {}
    )
    # Before the insert: after it, the view's duplicate check would hide the kept rows.
    # Every row kept and at hand in Arrow: counted in Python (catalog_counts.py), else in SQL;
    # its properties parsed once, for the catalogue and the email pre-aggregate.
    pairs = contacts.type_contacts if contacts is not None else None
    docs = catalog_counts.documents(rows) if no_dups and rows is not None and not members else None
    counted: Counter[tuple[tuple[str, ...], str]] | None = Counter()
    if members:
        catalog.record_members(conn, "_hw_keep", "_hw_keys", members, pairs)
        counted = None
    elif not (
        no_dups
        and rows is not None
        and catalog_counts.record_batch(conn, rows, pairs, docs, counted)
    ):
        catalog.record_append(conn, "_hw_keep", "_hw_keys", pairs)
        counted = None
    # Paths that have just become common get their column (and the log's rows their values)
    # before the insert, which then fills it for the new rows.
    property_columns.grow(conn, known=typed, counted=counted)
    names, values, source = _typed_values(conn, members, typed)
    # Before the insert, like the catalogue; only for a batch with email events.
    if email_counts.has_email(types) and not (
        docs is not None and email_counts.record_batch(conn, rows, docs)
    ):
        email_rollup.record_append(conn, _KEPT)
    row = conn.execute(
        f"""INSERT INTO activities (id, id_hash, contact_key, type_code, ts, properties, bot,
                                   bot_reason, source, import_id{"".join(", " + n for n in names)})
        SELECT k.id, k.id_hash, c.key, t.code, k.ts, k.properties, k.bot, k.bot_reason, k.source,
               CAST(? AS INTEGER){values}
        FROM {source} k
        JOIN _hw_keys c ON c.contact = k.contact
        JOIN activity_types t ON t.name = k.type""",
        [import_id],
    ).fetchone()
    accepted = int(row[0]) if row else 0
    if index is not None:
        index.add(hashes, accepted)
    if touched is not None and accepted:
        touched.append(conn.execute("SELECT key FROM _hw_keys").fetchnumpy()["key"])
    conn.execute("DROP VIEW _hw_keep")
    conn.execute("DROP TABLE IF EXISTS _hw_dup")
    conn.execute("DROP TABLE _hw_keys")
    return kept if by_batch else AppendResult(accepted, incoming - accepted)


def _typed_values(
    conn: duckdb.DuckDBPyConnection,
    members: Mapping[str, str] | None,
    known: property_columns.Known | None,
) -> tuple[list[str], str, str]:
    """The typed property columns, their values for the insert and the relation it reads:
    the kept rows with one parse of each row's properties (its paths' JSON texts, selected
    once), or, when every column's path is one of ``members``, the kept rows and values from
    the member columns (the same JSON text the properties hold, without parsing the object)."""
    typed = property_columns.columns_of(conn, known)
    if not members or not all(len(keys) == 1 and keys[0] in members for keys, _, _ in typed):
        names, extract, values = property_columns.insert_extracted(conn, known)
        if not names:
            return [], "", "_hw_keep"
        return names, values, f"(SELECT *, {extract} AS {property_columns.EXTRACTED} FROM _hw_keep)"
    names = [name for _, _, name in typed]
    values = "".join(
        ", " + property_columns.value_sql(f"CAST(to_json(k.{members[keys[0]]}) AS VARCHAR)", kind)
        for (keys, kind, _) in typed
    )
    return names, values, "_hw_keep"


def _find_candidates(
    conn: duckdb.DuckDBPyConnection, src: str, hashes: np.ndarray, index: IdIndex | None
) -> bool:
    """Whether any hash repeats in the batch or may be stored already; if so ``_hw_dup``
    holds those hashes (a superset of the true duplicates' hashes)."""
    if index is None:
        stored = (
            "UNION SELECT a.id_hash FROM activities a SEMI JOIN {src} i ON a.id_hash = i.id_hash"
        )
        conn.execute(
            f"""CREATE OR REPLACE TEMP TABLE _hw_dup AS
            SELECT id_hash FROM {src} GROUP BY id_hash HAVING count(*) > 1 {stored.format(src=src)}"""
        )
        return _count(conn, "SELECT count(*) FROM (SELECT 1 FROM _hw_dup LIMIT 1)") > 0
    index.sync(conn)
    values, counts = np.unique(hashes, return_counts=True)
    candidates = np.union1d(values[counts > 1], hashes[index.candidates(hashes)])
    if len(candidates) == 0:
        return False
    conn.register("_hw_dup_arrow", pa.table({"id_hash": pa.array(candidates, pa.uint64())}))
    try:
        conn.execute("CREATE OR REPLACE TEMP TABLE _hw_dup AS SELECT * FROM _hw_dup_arrow")
    finally:
        conn.unregister("_hw_dup_arrow")
    return True


def _add_types(conn: duckdb.DuckDBPyConnection, src: str) -> list[str]:
    """Add the batch's new activity types; the batch's type names."""
    # Usually every type is known: one cheap read then spares the insert.
    names = conn.execute(
        f"""SELECT n.type, t.name IS NULL FROM (SELECT DISTINCT type FROM {src}) n
        LEFT JOIN activity_types t ON t.name = n.type"""
    ).fetchall()
    if not any(new for _, new in names):
        return [str(name) for name, _ in names]
    conn.execute(
        f"""INSERT INTO activity_types
        SELECT (SELECT coalesce(max(code), 0) FROM activity_types)
                   + row_number() OVER (ORDER BY type),
               type
        FROM (SELECT DISTINCT type FROM {src}) n
        WHERE NOT EXISTS (SELECT 1 FROM activity_types t WHERE t.name = n.type)"""
    )
    return [str(name) for name, _ in names]


def _add_contacts(
    conn: duckdb.DuckDBPyConnection, src: str, known: ContactKeys | None = None
) -> None:
    """``_hw_keys``: the key of every contact of the batch, new contacts inserted.

    Keys come from ``known`` (every contact's key in memory) when given, else from one probe
    of ``contacts``; new contacts get the next dense keys in order of their ids.
    """
    if known is not None:
        _keys_from_memory(conn, src, known)
    else:
        _keys_from_table(conn, src)
    conn.execute(
        """INSERT INTO contacts (key, id, email, attributes, created_at, updated_at)
        SELECT key, contact, CASE WHEN contact LIKE '%_@_%' THEN contact END,
               NULL, now()::TIMESTAMP, now()::TIMESTAMP
        FROM _hw_keys WHERE new"""
    )


def _keys_from_memory(conn: duckdb.DuckDBPyConnection, src: str, known: ContactKeys) -> None:
    contacts = [r[0] for r in conn.execute(f"SELECT DISTINCT contact FROM {src}").fetchall()]
    keys, new = known.resolve(contacts)
    table = pa.table(
        {
            "contact": pa.array(contacts, pa.string()),
            "key": pa.array(keys, pa.int32()),
            "new": pa.array(new, pa.bool_()),
        }
    )
    conn.register("_hw_keys_arrow", table)
    try:
        conn.execute("CREATE OR REPLACE TEMP TABLE _hw_keys AS SELECT * FROM _hw_keys_arrow")
    finally:
        conn.unregister("_hw_keys_arrow")


def _keys_from_table(conn: duckdb.DuckDBPyConnection, src: str) -> None:
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE _hw_keys AS
        WITH m AS (
            SELECT n.contact, c.key
            FROM (SELECT DISTINCT contact FROM {src}) n
            LEFT JOIN contacts c ON c.id = n.contact
        )
        SELECT contact, key, false AS new FROM m WHERE key IS NOT NULL
        UNION ALL
        SELECT contact,
               (SELECT coalesce(max(key), -1) FROM contacts) + row_number() OVER (ORDER BY contact),
               true
        FROM m WHERE key IS NULL"""
    )


def _count(conn: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = conn.execute(sql).fetchall()  # fetched to the end: the connection is free again
    return int(rows[0][0]) if rows else 0
