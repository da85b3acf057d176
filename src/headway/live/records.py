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
from headway.live.events import JourneyEvent, NewEvent
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


def write_states(
    conn: duckdb.DuckDBPyConnection,
    journey: str,
    version: int,
    keys: np.ndarray | None,
    states: Sequence[ContactState],
    now: datetime,
) -> None:
    """Replace the states of ``keys`` (every state of the version when None) by ``states``."""
    if keys is None:
        conn.execute("DELETE FROM live_state WHERE journey = ? AND version = ?", [journey, version])
    else:
        conn.register("_hw_live_del", _keys_table(keys))
        try:
            conn.execute(
                "DELETE FROM live_state WHERE journey = ? AND version = ?"
                " AND contact_key IN (SELECT key FROM _hw_live_del)",
                [journey, version],
            )
        finally:
            conn.unregister("_hw_live_del")
    if not states:
        return
    table = pa.table(
        {
            "contact_key": pa.array([s.contact_key for s in states], pa.int32()),
            "reached": pa.array([s.reached for s in states], pa.int16()),
            "removed": pa.array([s.removed for s in states], pa.bool_()),
            "stage_us": pa.array([list(s.stage_us) for s in states], pa.list_(pa.int64())),
            "exit_us": pa.array([s.exit_us for s in states], pa.int64()),
            "status": pa.array([s.status for s in states], pa.string()),
            "stalled_stage": pa.array([s.stalled_stage for s in states], pa.int16()),
        }
    )
    conn.register("_hw_live_new", table)
    try:
        conn.execute(
            f"INSERT INTO live_state (journey, version, {_STATE_COLUMNS}, updated_at)"
            f" SELECT ?, ?, {_STATE_COLUMNS}, ? FROM _hw_live_new",
            [journey, version, now],
        )
    finally:
        conn.unregister("_hw_live_new")


def record_events(
    conn: duckdb.DuckDBPyConnection, events: Sequence[NewEvent], first_seq: int, now: datetime
) -> int:
    """Insert events (ids already recorded are skipped) from ``first_seq``; the next seq."""
    unique: dict[str, NewEvent] = {}
    for e in events:
        unique.setdefault(e.id, e)
    if not unique:
        return first_seq
    chosen = list(unique.values())
    keys = sorted({e.contact_key for e in chosen if e.contact_key is not None})
    ids = (
        dict(
            conn.execute(
                "SELECT key, id FROM contacts WHERE key IN (SELECT unnest(?))", [keys]
            ).fetchall()
        )
        if keys
        else {}
    )
    datas = []
    for e in chosen:
        data = dict(e.data)
        data["contact"] = ids.get(e.contact_key) if e.contact_key is not None else None
        datas.append(json.dumps(data))
    table = pa.table(
        {
            "seq": pa.array(range(first_seq, first_seq + len(chosen)), pa.int64()),
            "id": [e.id for e in chosen],
            "journey": [e.journey for e in chosen],
            "version": pa.array([e.version for e in chosen], pa.int32()),
            "kind": [e.kind for e in chosen],
            "contact_key": pa.array([e.contact_key for e in chosen], pa.int32()),
            "contact": pa.array(
                [ids.get(e.contact_key) if e.contact_key is not None else None for e in chosen],
                pa.string(),
            ),
            "attempt_at": pa.array(
                [None if e.attempt_us is None else e.attempt_us for e in chosen],
                pa.timestamp("us"),
            ),
            "stage": pa.array([e.stage for e in chosen], pa.int16()),
            "stage_name": pa.array([e.stage_name for e in chosen], pa.string()),
            "occurred_at": pa.array([e.occurred_us for e in chosen], pa.timestamp("us")),
            "data": pa.array(datas, pa.string()),
        }
    )
    conn.register("_hw_live_events", table)
    try:
        conn.execute(
            "INSERT INTO journey_events (seq, id, journey, version, kind, contact_key, contact,"
            " attempt_at, stage, stage_name, occurred_at, recorded_at, data)"
            " SELECT seq, id, journey, version, kind, contact_key, contact, attempt_at, stage,"
            " stage_name, occurred_at, ?, CAST(data AS JSON) FROM _hw_live_events"
            " ON CONFLICT (id) DO NOTHING",
            [now],
        )
    finally:
        conn.unregister("_hw_live_events")
    return first_seq + len(chosen)


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
