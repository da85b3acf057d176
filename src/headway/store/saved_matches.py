"""Saved matches: journey match results kept in the file so that a restart does not match again.

``SAVED_MATCH_TABLES`` is one schema migration (never edit it once applied):

``saved_matches``: one row per saved match — ``key`` (a digest of the matcher-input query, its
parameters and the match spec: a journey edit or another date range is another key), the
journey's name, and ``seq``: the data version its rows are current for.
``saved_match_rows``: the match's per-contact figures (the matcher's result minus
``stage_row``, which follows from ``reached``; times in µs, -1 where not reached).
``match_journal``: the contacts each committed write touched (appended activities, identity
merges and their undo, undone imports), numbered by ``seq``; kept only while a match is saved,
and pruned up to the oldest saved match's ``seq``.
``match_data_version``: one row: the last journal ``seq``, and ``epoch``, bumped by ``clear``
(erasure, bot relabelling, ``headway matches clear``): a save begun before a clear is dropped.

A saved match at ``seq`` plus matching again the contacts journaled after ``seq`` is the match
of the current data: a contact's match depends only on its own activities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SAVED_MATCH_TABLES: list[str] = [
    """CREATE TABLE saved_matches (
        id INTEGER PRIMARY KEY,
        key VARCHAR NOT NULL UNIQUE,
        journey VARCHAR NOT NULL,
        seq BIGINT NOT NULL,
        contacts BIGINT NOT NULL,
        saved_at TIMESTAMP NOT NULL,
        used_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE saved_match_rows (
        match_id INTEGER NOT NULL,
        contact_key BIGINT NOT NULL,
        reached SMALLINT NOT NULL,
        removed BOOLEAN NOT NULL,
        stage_ts BIGINT[] NOT NULL,
        exit_ts BIGINT NOT NULL
    )""",
    "CREATE TABLE match_journal (seq BIGINT NOT NULL, contact_key BIGINT NOT NULL)",
    "CREATE TABLE match_data_version (seq BIGINT NOT NULL, epoch BIGINT NOT NULL)",
    "INSERT INTO match_data_version VALUES (0, 0)",
]

# For erasure's check that every table is known (store/erase.py): which name contacts.
PER_CONTACT = ("saved_match_rows", "match_journal")
SHARED = ("saved_matches", "match_data_version")

# Saved matches kept per journey name (other date ranges, earlier versions): the least
# recently used beyond these are dropped when one is saved.
PER_JOURNEY = 4
# A journal longer than this is dropped with every saved match (a match saved once and never
# viewed again must not make every later append pay for it forever).
JOURNAL_LIMIT = 5_000_000


@dataclass(frozen=True)
class Version:
    """The data version: the journal's last ``seq`` and the clear ``epoch``."""

    seq: int
    epoch: int


@dataclass(frozen=True)
class SavedRows:
    """A saved match's per-contact figures (contact keys ascending) and its ``seq``."""

    match_id: int
    seq: int
    contact: np.ndarray  # int64
    reached: np.ndarray  # int16
    removed: np.ndarray  # bool
    stage_ts: np.ndarray  # int64 [n, n_stages]
    exit_ts: np.ndarray  # int64


@dataclass(frozen=True)
class SavedMatch:
    """One saved match: its journey, how many contacts it holds, when it was last saved."""

    journey: str
    contacts: int
    seq: int
    saved_at: datetime


def listing(conn: Any) -> list[SavedMatch]:
    """Every saved match, by journey then most recent first."""
    rows = conn.execute(
        "SELECT journey, contacts, seq, saved_at FROM saved_matches ORDER BY journey, used_at DESC"
    ).fetchall()
    return [SavedMatch(str(r[0]), int(r[1]), int(r[2]), r[3]) for r in rows]


def recent(conn: Any, limit: int) -> list[tuple[str, str, int, int]]:
    """The (journey, key, contacts, contacts journaled since) of the ``limit`` most recently
    saved matches."""
    rows = conn.execute(
        "SELECT journey, key, contacts, (SELECT count(DISTINCT j.contact_key) FROM match_journal j"
        " WHERE j.seq > m.seq) FROM saved_matches m ORDER BY used_at DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [(str(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rows]


def any_saved(conn: Any) -> bool:
    """Whether any match is saved (writes then journal the contacts they touch)."""
    rows = conn.execute("SELECT count(*) FROM saved_matches").fetchall()
    return bool(rows and rows[0][0])


def version(conn: Any) -> Version:
    """The current data version."""
    row = conn.execute("SELECT seq, epoch FROM match_data_version").fetchall()[0]
    return Version(int(row[0]), int(row[1]))


def journal(conn: duckdb.DuckDBPyConnection, touched: list[np.ndarray]) -> None:
    """Inside the write that touched them: record the contacts under the next ``seq``."""
    keys = np.unique(np.concatenate(touched).astype(np.int64))
    if not len(keys):
        return
    conn.execute("UPDATE match_data_version SET seq = seq + 1")
    seq = version(conn).seq
    conn.register("_hw_journal", pa.table({"k": pa.array(keys, pa.int64())}))
    try:
        conn.execute("INSERT INTO match_journal SELECT ?, k FROM _hw_journal", [seq])
    finally:
        conn.unregister("_hw_journal")
    if seq % 64 == 0:  # now and then: a journal no saved match needs, or one grown too long
        if not any_saved(conn):
            conn.execute("DELETE FROM match_journal")
        elif conn.execute("SELECT count(*) FROM match_journal").fetchall()[0][0] > JOURNAL_LIMIT:
            clear(conn)


def clear(conn: duckdb.DuckDBPyConnection) -> None:
    """Inside a write: drop every saved match and the journal (a change the journal cannot
    follow, such as an erasure or a bot relabelling, or a user's request)."""
    conn.execute("DELETE FROM saved_match_rows")
    conn.execute("DELETE FROM saved_matches")
    conn.execute("DELETE FROM match_journal")
    conn.execute("UPDATE match_data_version SET epoch = epoch + 1")


def read(conn: duckdb.DuckDBPyConnection, key: str, n_stages: int) -> SavedRows | None:
    """The saved match of ``key`` (read in one transaction), or None."""
    conn.execute("BEGIN TRANSACTION")
    try:
        meta = conn.execute("SELECT id, seq FROM saved_matches WHERE key = ?", [key]).fetchall()
        if not meta:
            return None
        match_id, seq = int(meta[0][0]), int(meta[0][1])
        table: pa.Table = conn.sql(
            "SELECT contact_key, reached, removed, stage_ts, exit_ts FROM saved_match_rows"
            " WHERE match_id = $1",  # in insertion order: sorted unless extended (below)
            params=[match_id],
        ).to_arrow_table()
    finally:
        conn.execute("COMMIT")
    n = table.num_rows
    flat = pc.list_flatten(table.column("stage_ts"))
    rows = SavedRows(
        match_id,
        seq,
        _numpy(table.column("contact_key"), np.int64),
        _numpy(table.column("reached"), np.int16),
        _numpy(table.column("removed"), np.bool_),
        _numpy(flat, np.int64).reshape(n, n_stages),
        _numpy(table.column("exit_ts"), np.int64),
    )
    if n > 1 and np.any(rows.contact[1:] < rows.contact[:-1]):
        order = np.argsort(rows.contact, kind="stable")  # a few extended rows at the end
        rows = SavedRows(
            match_id,
            seq,
            rows.contact[order],
            rows.reached[order],
            rows.removed[order],
            rows.stage_ts[order],
            rows.exit_ts[order],
        )
    return rows


def touched_since(conn: Any, seq: int) -> np.ndarray:
    """The contacts journaled after ``seq``, ascending."""
    found = conn.execute(
        "SELECT DISTINCT contact_key FROM match_journal WHERE seq > ?", [seq]
    ).fetchnumpy()["contact_key"]
    return np.sort(np.asarray(found, dtype=np.int64))


def save(
    conn: duckdb.DuckDBPyConnection,
    key: str,
    journey: str,
    seq: int,
    rows: SavedRows,
    replace_keys: np.ndarray | None = None,
) -> None:
    """Inside a write: save ``rows`` under ``key`` as current for ``seq``.

    With ``replace_keys`` only those contacts' rows are replaced (``rows`` holds their new
    figures); otherwise every row of ``key`` is.
    """
    now = datetime.now()
    found = conn.execute("SELECT id FROM saved_matches WHERE key = ?", [key]).fetchall()
    if found:
        match_id = int(found[0][0])
        if replace_keys is None:
            conn.execute("DELETE FROM saved_match_rows WHERE match_id = ?", [match_id])
        else:
            conn.register("_hw_replaced", pa.table({"k": pa.array(replace_keys, pa.int64())}))
            try:
                conn.execute(
                    "DELETE FROM saved_match_rows WHERE match_id = ?"
                    " AND contact_key IN (SELECT k FROM _hw_replaced)",
                    [match_id],
                )
            finally:
                conn.unregister("_hw_replaced")
    else:
        match_id = int(
            conn.execute("SELECT coalesce(max(id), 0) + 1 FROM saved_matches").fetchall()[0][0]
        )
        conn.execute(
            "INSERT INTO saved_matches VALUES (?, ?, ?, ?, 0, ?, ?)",
            [match_id, key, journey, seq, now, now],
        )
    n, k = rows.stage_ts.shape
    table = pa.table(
        {
            "match_id": pa.array(np.full(n, match_id, np.int32)),
            "contact_key": pa.array(rows.contact.astype(np.int64)),
            "reached": pa.array(rows.reached.astype(np.int16)),
            "removed": pa.array(rows.removed.astype(np.bool_)),
            "stage_ts": pa.FixedSizeListArray.from_arrays(
                pa.array(np.ascontiguousarray(rows.stage_ts, np.int64).ravel()), k
            ).cast(pa.list_(pa.int64())),
            "exit_ts": pa.array(rows.exit_ts.astype(np.int64)),
        }
    )
    conn.register("_hw_saved", table)
    try:
        conn.execute("INSERT INTO saved_match_rows SELECT * FROM _hw_saved")
    finally:
        conn.unregister("_hw_saved")
    conn.execute(
        "UPDATE saved_matches SET seq = ?, used_at = ?, saved_at = ?, contacts ="
        " (SELECT count(*) FROM saved_match_rows WHERE match_id = ?) WHERE id = ?",
        [seq, now, now, match_id, match_id],
    )
    _prune(conn, journey)


def _prune(conn: duckdb.DuckDBPyConnection, journey: str) -> None:
    """Drop a journey's least recently used matches beyond ``PER_JOURNEY``, the matches of
    journeys no longer stored, and the journal no saved match needs."""
    conn.execute(
        "DELETE FROM saved_matches WHERE id IN (SELECT id FROM saved_matches WHERE journey = ?"
        " ORDER BY used_at DESC, id DESC OFFSET ?)"
        " OR journey NOT IN (SELECT name FROM journeys WHERE NOT deleted)",
        [journey, PER_JOURNEY],
    )
    conn.execute(
        "DELETE FROM saved_match_rows WHERE match_id NOT IN (SELECT id FROM saved_matches)"
    )
    conn.execute(
        "DELETE FROM match_journal WHERE seq <= (SELECT coalesce(min(seq), 9223372036854775807)"
        " FROM saved_matches)"
    )


def _numpy(column: pa.ChunkedArray | pa.Array, dtype: type) -> np.ndarray:
    return np.asarray(column.to_numpy(), dtype=dtype)
