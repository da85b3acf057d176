"""Reading and writing the live tables (state per contact, journey events) via the store."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from headway.engine.options import from_micros
from headway.live.events import JourneyEvent
from headway.live.state import ContactState
from headway.store import Store

_STATE_COLUMNS = "contact_key, reached, removed, stage_us, exit_us, status, stalled_stage"


def _keys_table(keys: Iterable[int]) -> pa.Table:
    return pa.table({"key": pa.array(np.asarray(list(keys), dtype=np.int64), pa.int64())})


def read_states(
    conn: duckdb.DuckDBPyConnection, journey: str, version: int, keys: np.ndarray | None
) -> dict[int, ContactState]:
    """The stored states of a version (only ``keys`` when given), by contact key."""
    sql = f"SELECT {_STATE_COLUMNS} FROM live_state WHERE journey = ? AND version = ?"
    if keys is None:
        rows = conn.execute(sql, [journey, version]).fetchall()
    else:
        conn.register("_hw_live_read", _keys_table(keys))
        try:
            rows = conn.execute(
                sql + " AND contact_key IN (SELECT key FROM _hw_live_read)", [journey, version]
            ).fetchall()
        finally:
            conn.unregister("_hw_live_read")
    return {int(r[0]): _state(r) for r in rows}


def _state(row: tuple[Any, ...]) -> ContactState:
    return ContactState(
        int(row[0]),
        int(row[1]),
        bool(row[2]),
        tuple(None if v is None else int(v) for v in row[3]),
        None if row[4] is None else int(row[4]),
        str(row[5]),
        None if row[6] is None else int(row[6]),
    )


def read_state_table(
    conn: duckdb.DuckDBPyConnection, journey: str, version: int, keys: np.ndarray
) -> pa.Table:
    """The stored states of ``keys`` in a version, as Arrow (``live_state`` columns)."""
    conn.register("_hw_live_read", _keys_table(keys))
    try:
        return conn.sql(
            f"SELECT {_STATE_COLUMNS} FROM live_state WHERE journey = ? AND version = ?"
            " AND contact_key IN (SELECT key FROM _hw_live_read)",
            params=[journey, version],
        ).to_arrow_table()
    finally:
        conn.unregister("_hw_live_read")


def replace_states(
    conn: duckdb.DuckDBPyConnection,
    journey: str,
    version: int,
    keys: np.ndarray | None,
    states: pa.Table,
    now: datetime,
) -> None:
    """Delete the states of ``keys`` (none when None), insert ``states`` (Arrow columns)."""
    if keys is not None and len(keys):
        conn.register("_hw_live_del", _keys_table(keys))
        try:
            conn.execute(
                "DELETE FROM live_state WHERE journey = ? AND version = ?"
                " AND contact_key IN (SELECT key FROM _hw_live_del)",
                [journey, version],
            )
        finally:
            conn.unregister("_hw_live_del")
    if states.num_rows == 0:
        return
    conn.register("_hw_live_new", states)
    try:
        conn.execute(
            f"INSERT INTO live_state (journey, version, {_STATE_COLUMNS}, updated_at)"
            f" SELECT ?, ?, {_STATE_COLUMNS}, ? FROM _hw_live_new",
            [journey, version, now],
        )
    finally:
        conn.unregister("_hw_live_new")


def _iso(column: str) -> str:
    return f"strftime({column}, '%Y-%m-%dT%H:%M:%S.%fZ')"


# The payload of each kind (docs/live.md): common fields, then the kind's own.
_DATA = f"""json_merge_patch(
    json_object('journey', journey, 'version', version, 'kind', kind, 'contact', contact,
                'attempt_at', {_iso("attempt_at")}, 'stage', stage, 'stage_name', stage_name,
                'occurred_at', {_iso("occurred_at")}),
    CASE kind
        WHEN 'stage_entered' THEN json_object('stage_number', stage + 1,
            'entered_at', {_iso("occurred_at")}, 'entry_at', {_iso("attempt_at")})
        WHEN 'converted' THEN json_object('entry_at', {_iso("attempt_at")},
            'seconds_to_convert', (occurred_us - attempt_us) / 1e6)
        WHEN 'dropped' THEN json_object('reason', reason, 'last_stage', stage,
            'last_stage_name', stage_name)
        WHEN 'stage_stalled' THEN json_object('since', {_iso("make_timestamp(since_us)")},
            'stall_after_seconds', stall_after_us / 1e6)
        ELSE json_object('kpi', kpi, 'count', count)
    END)"""

# The idempotency id, as ``events.event_id`` computes it.
_ID = """'evt_' || left(sha256(concat_ws(chr(31), journey, CAST(version AS VARCHAR),
    coalesce(CAST(contact_key AS VARCHAR), 'None'), coalesce(CAST(attempt_us AS VARCHAR), 'None'),
    kind, coalesce(CAST(stage AS VARCHAR), 'None'))), 32)"""


def record_event_columns(
    conn: duckdb.DuckDBPyConnection,
    journey: str,
    version: int,
    stage_names: Sequence[str],
    events: pa.Table,
    now: datetime,
) -> int:
    """Record events (``diff.EVENT_SCHEMA`` columns) after the last seq; ids already recorded
    are skipped. How many were offered."""
    if events.num_rows == 0:
        return 0
    conn.register("_hw_live_events", events)
    try:
        conn.execute(
            f"""INSERT INTO journey_events (seq, id, journey, version, kind, contact_key,
                contact, attempt_at, stage, stage_name, occurred_at, recorded_at, data)
            WITH raw AS (
                SELECT *, CAST(? AS VARCHAR) AS journey, CAST(? AS INTEGER) AS version,
                       row_number() OVER () AS rn
                FROM _hw_live_events
            ), hashed AS (
                SELECT *, {_ID} AS id FROM raw
            ), e AS (
                SELECT hashed.*, make_timestamp(attempt_us) AS attempt_at,
                       make_timestamp(occurred_us) AS occurred_at,
                       list_extract(CAST(? AS VARCHAR[]), CAST(stage AS INTEGER) + 1)
                           AS stage_name,
                       c.id AS contact
                FROM hashed LEFT JOIN contacts c ON c.key = hashed.contact_key
                QUALIFY row_number() OVER (PARTITION BY hashed.id ORDER BY rn) = 1
            )
            SELECT (SELECT coalesce(max(seq), 0) FROM journey_events)
                       + row_number() OVER (ORDER BY rn),
                   id, journey, version, kind, contact_key, contact, attempt_at, stage,
                   stage_name, occurred_at, CAST(? AS TIMESTAMP), {_DATA}
            FROM e
            ON CONFLICT (id) DO NOTHING""",
            [journey, version, list(stage_names), now],
        )
    finally:
        conn.unregister("_hw_live_events")
    return events.num_rows


def last_seq(store: Store) -> int:
    """The highest event sequence number recorded (0 when none)."""
    return int(store.execute("SELECT coalesce(max(seq), 0) FROM journey_events").scalar())


def read_events(
    store: Store,
    after: int = 0,
    limit: int = 1000,
    journey: str | None = None,
    kinds: Sequence[str] | None = None,
) -> list[JourneyEvent]:
    """Events with ``seq > after``, oldest first, at most ``limit``."""
    sql = (
        "SELECT seq, id, journey, version, kind, contact_key, contact, attempt_at, stage,"
        " stage_name, occurred_at, recorded_at, CAST(data AS VARCHAR) FROM journey_events"
        " WHERE seq > ?"
    )
    params: list[Any] = [after]
    if journey is not None:
        sql += " AND journey = ?"
        params.append(journey)
    if kinds:
        sql += " AND kind IN (SELECT unnest(?))"
        params.append(list(kinds))
    sql += " ORDER BY seq LIMIT ?"
    params.append(limit)
    return [
        JourneyEvent(
            int(r[0]),
            r[1],
            r[2],
            int(r[3]),
            r[4],
            None if r[5] is None else int(r[5]),
            r[6],
            r[7],
            None if r[8] is None else int(r[8]),
            r[9],
            r[10],
            r[11],
            json.loads(r[12]),
        )
        for r in store.execute(sql, params).rows
    ]


def micros_to_time(us: int | None) -> datetime | None:
    """A stored time in µs as a naive UTC datetime."""
    return None if us is None else from_micros(us)
