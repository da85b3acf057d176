"""The email statistics pre-aggregate: what the email reports need, kept current on every write.

Two tables, read by ``engine/email/queries.py`` when the backend offers them (the DuckDB
store does; another backend computes from the activity log):

``email_pairs``: one row per (email, contact) — the contact as ``activity_log`` resolves it
(identity merges) — with, for the all view (``a_``) and the human view (``h_``, activities
not labelled bot): a bit per email event kind the pair has (``seen``, bit 2^k for the k-th
type of ``EMAIL_TYPES``), its counts of sends, deliveries, bounces, hard bounces, opens and
clicks (weighted by tracking ``repeats``), its first delivery, send and activity, and the
greatest ``campaign`` property. Unique contacts stay exact because a pair is one row: the
uniques of an email or of any group of emails are counts over pairs, never sums of counts.
Every column merges by sum, min, max or bit-or, so an append adds its batch's pairs with one
upsert (``record_append``), whatever order activities arrive in.

``email_engagement``: one row per open and click (``kind`` 4 or 5) with its time, weight,
bot label and link, for the per-link clicks and the timing histograms (hours since the
pair's delivery, which a later activity can move, so they are computed when read).

Writes that change activities other than by appending — identity merges and their undo,
undone imports, erasure, bot relabelling — call ``refresh`` with the contacts they touched:
those contacts' rows are computed again from the log. The per-row rules (kind, weight, hard
bounce, link) are those of the statistics report; ``tests/store/test_email_rollup.py``
compares every report computed from these tables with the one computed from the log.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa
from sqlglot import exp

from headway.backends.duckdb_dialect import DUCKDB_SQL
from headway.model.activity import EMAIL_TYPES


def _prop(name: str) -> str:
    """A top-level property as text, exactly as the reports' dialect reads it."""
    return DUCKDB_SQL.json_text(exp.column("properties", "a"), (name,)).sql("duckdb")


_KIND = "CASE name {} END".format(
    " ".join(f"WHEN '{name}' THEN {i}" for i, name in enumerate(EMAIL_TYPES, start=1))
)
_KINDS = ", ".join(f"'{name}'" for name in EMAIL_TYPES)

# One row per email event of ``{src}`` (columns of activity_log, contact keys resolved).
_EVENTS = f"""
SELECT contact_key, kind, ts, bot, email, campaign,
       CASE WHEN kind IN (4, 5) AND source = 'tracking'
            THEN greatest(coalesce(TRY_CAST(repeats AS BIGINT), 1), 1) ELSE 1 END AS weight,
       kind = 3 AND lower(bounce_type) = 'hard' AS hard,
       CASE WHEN kind = 5 THEN coalesce(link, url) END AS link,
       CASE WHEN kind = 5 THEN url END AS url
FROM (
    SELECT a.contact_key, t.kind, a.ts, coalesce(a.bot, false) AS bot, a.source,
           {_prop("email")} AS email, {_prop("campaign")} AS campaign,
           {_prop("repeats")} AS repeats,
           CASE WHEN t.kind = 3 THEN {_prop("bounce_type")} END AS bounce_type,
           CASE WHEN t.kind = 5 THEN {_prop("link")} END AS link,
           CASE WHEN t.kind = 5 THEN {_prop("url")} END AS url
    FROM {{src}} a
    JOIN (SELECT code, {_KIND} AS kind FROM activity_types WHERE name IN ({_KINDS})) t
        ON t.code = a.type_code
)
WHERE email IS NOT NULL
"""

# (column, type, aggregate over the events of a view ({view}: the view's filter), merge)
_COLUMNS: list[tuple[str, str, str, str]] = [
    ("seen", "INTEGER", "coalesce(bit_or(1::INTEGER << kind) FILTER ({view}), 0)", "{0} | {1}"),
    ("sent", "BIGINT", "count(*) FILTER (kind = 1 AND {view})", "{0} + {1}"),
    ("delivered", "BIGINT", "count(*) FILTER (kind = 2 AND {view})", "{0} + {1}"),
    ("bounces", "BIGINT", "count(*) FILTER (kind = 3 AND {view})", "{0} + {1}"),
    ("hard", "BIGINT", "count(*) FILTER (hard AND {view})", "{0} + {1}"),
    ("opens", "BIGINT", "coalesce(sum(weight) FILTER (kind = 4 AND {view}), 0)", "{0} + {1}"),
    ("clicks", "BIGINT", "coalesce(sum(weight) FILTER (kind = 5 AND {view}), 0)", "{0} + {1}"),
    ("first_delivered", "TIMESTAMP", "min(ts) FILTER (kind = 2 AND {view})", "least({0}, {1})"),
    ("first_sent", "TIMESTAMP", "min(ts) FILTER (kind = 1 AND {view})", "least({0}, {1})"),
    ("first_ts", "TIMESTAMP", "min(ts) FILTER ({view})", "least({0}, {1})"),
    ("campaign", "VARCHAR", "max(campaign) FILTER ({view})", "greatest({0}, {1})"),
]
_VIEWS = {"a": "true", "h": "NOT bot"}
NAMES = [f"{v}_{c[0]}" for v in _VIEWS for c in _COLUMNS]  # email_pairs' aggregates

_AGGREGATES = ", ".join(
    f"{agg.format(view=cond)}::{typ} AS {v}_{name}"
    for v, cond in _VIEWS.items()
    for name, typ, agg, _ in _COLUMNS
)


def _pairs(events: str) -> str:
    """One row per (email, contact) of the email events ``events`` (a query)."""
    return f"SELECT email, contact_key, {_AGGREGATES} FROM ({events}) GROUP BY email, contact_key"


def _engagement(events: str) -> str:
    """The opens and clicks of ``events`` (a query)."""
    return f"""SELECT email, contact_key, kind::TINYINT, ts, weight::BIGINT, bot, link, url
    FROM ({events}) WHERE kind IN (4, 5)"""


TABLE_NAMES = ("email_pairs", "email_engagement")
TABLES: list[str] = [
    """CREATE TABLE email_pairs (email VARCHAR NOT NULL, contact_key INTEGER NOT NULL, {cols},
    PRIMARY KEY (email, contact_key))""".format(
        cols=", ".join(f"{v}_{c[0]} {c[1]}" for v in _VIEWS for c in _COLUMNS)
    ),
    """CREATE TABLE email_engagement (
        email VARCHAR NOT NULL,
        contact_key INTEGER NOT NULL,
        kind TINYINT NOT NULL,
        ts TIMESTAMP NOT NULL,
        weight BIGINT NOT NULL,
        bot BOOLEAN NOT NULL,
        link VARCHAR,
        url VARCHAR
    )""",
]
# The pre-aggregate of a whole log (the migration that adds it, and ``rebuild``).
# In email order, so that one email's rows sit together (zone maps skip the others).
BUILD: list[str] = [
    f"INSERT INTO email_pairs {_pairs(_EVENTS.format(src='activity_log'))} ORDER BY email",
    f"INSERT INTO email_engagement {_engagement(_EVENTS.format(src='activity_log'))}"
    " ORDER BY email",
]
_UPSERT = "INSERT INTO email_pairs {pairs} ON CONFLICT (email, contact_key) DO UPDATE SET {sets}"
_SETS = ", ".join(
    f"{v}_{name} = {merge.format(f'{v}_{name}', f'EXCLUDED.{v}_{name}')}"
    for v in _VIEWS
    for name, _, _, merge in _COLUMNS
)


def upsert(pairs: str) -> str:
    """SQL: merge the rows of ``pairs`` (a query with email_pairs' columns) into the table."""
    return _UPSERT.format(pairs=pairs, sets=_SETS)


def record_append(conn: duckdb.DuckDBPyConnection, src: str) -> None:
    """Add the activities of ``src`` (activity_log's columns; keys as stored) to the tables."""
    resolved = f"""(SELECT a.* REPLACE (coalesce(r.contact_key, a.contact_key) AS contact_key)
        FROM {src} a LEFT JOIN identity_resolved r ON r.alias_key = a.contact_key)"""
    events = _EVENTS.format(src=resolved)  # a batch is small: read twice rather than copied
    conn.execute(upsert(_pairs(events)))
    conn.execute(f"INSERT INTO email_engagement {_engagement(events)}")


def refresh(conn: duckdb.DuckDBPyConnection, keys: Iterable[int]) -> None:
    """Compute again the rows of these contacts (stored keys, and the contacts they now
    resolve to) from the log: after a change that is not an append."""
    listed = sorted({int(k) for k in keys})
    if not listed:
        return
    conn.register("_hw_rollup_in", pa.table({"key": pa.array(listed, pa.int64())}))
    try:
        conn.execute(
            """CREATE OR REPLACE TEMP TABLE _hw_rollup_keys AS
            SELECT key FROM _hw_rollup_in
            UNION SELECT r.contact_key FROM _hw_rollup_in i
                  JOIN identity_resolved r ON r.alias_key = i.key"""
        )
    finally:
        conn.unregister("_hw_rollup_in")
    try:
        for table in ("email_pairs", "email_engagement"):
            conn.execute(
                f"DELETE FROM {table} WHERE contact_key IN (SELECT key FROM _hw_rollup_keys)"
            )
        src = "(SELECT * FROM activity_log WHERE contact_key IN (SELECT key FROM _hw_rollup_keys))"
        events = _EVENTS.format(src=src)
        conn.execute(f"INSERT INTO email_pairs {_pairs(events)}")
        conn.execute(f"INSERT INTO email_engagement {_engagement(events)}")
    finally:
        conn.execute("DROP TABLE IF EXISTS _hw_rollup_keys")


def rebuild(conn: duckdb.DuckDBPyConnection) -> None:
    """Compute both tables again from the whole log."""
    conn.execute("DELETE FROM email_pairs")
    conn.execute("DELETE FROM email_engagement")
    for statement in BUILD:
        conn.execute(statement)
