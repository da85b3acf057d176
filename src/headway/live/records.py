"""Reading and writing the live tables (state per contact, journey events) via the store."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


def read_state_tables(
    conn: duckdb.DuckDBPyConnection, targets: Sequence[tuple[str, int]], keys: np.ndarray
) -> dict[tuple[str, int], pa.Table]:
    """The stored states of ``keys`` in each (journey, version) of ``targets``, as Arrow
    (``live_state`` columns), read in one query."""
    conn.register("_hw_live_read", _keys_table(keys))
    try:
        table = conn.sql(
            f"SELECT journey, version, {_STATE_COLUMNS} FROM live_state"
            " WHERE journey IN (SELECT unnest(?)) AND contact_key IN (SELECT key FROM _hw_live_read)",
            params=[sorted({name for name, _ in targets})],
        ).to_arrow_table()
    finally:
        conn.unregister("_hw_live_read")
    journeys = table.column("journey")
    versions = table.column("version")
    out = {}
    for name, version in targets:
        mask = pc.and_(pc.equal(journeys, name), pc.equal(versions, version))
        out[(name, version)] = table.filter(mask).drop_columns(["journey", "version"])
    return out


def replace_state_tables(
    conn: duckdb.DuckDBPyConnection,
    changes: Sequence[tuple[str, int, np.ndarray, pa.Table]],
    now: datetime,
) -> None:
    """For each (journey, version, changed keys, new states): the stored states of those keys
    replaced by the new ones — one delete and one insert for all of them."""
    gone = [(name, version, keys) for name, version, keys, _ in changes if len(keys)]
    if gone:
        conn.register(
            "_hw_live_del",
            pa.table({
                "journey": pa.array([n for n, _, k in gone for _ in range(len(k))], pa.string()),
                "version": pa.array(np.repeat([v for _, v, _ in gone], [len(k) for *_, k in gone])
                                    .astype(np.int32), pa.int32()),
                "key": pa.array(np.concatenate([k for *_, k in gone]).astype(np.int64)),
            }),
        )  # fmt: skip
        try:
            conn.execute(
                "DELETE FROM live_state USING _hw_live_del d WHERE live_state.journey = d.journey"
                " AND live_state.version = d.version AND live_state.contact_key = d.key"
            )
        finally:
            conn.unregister("_hw_live_del")
    parts = [
        states.add_column(0, "journey", pa.array([name] * states.num_rows, pa.string())).add_column(
            1, "version", pa.array([version] * states.num_rows, pa.int32())
        )
        for name, version, _, states in changes
        if states.num_rows
    ]
    if not parts:
        return
    conn.register("_hw_live_new", pa.concat_tables(parts))
    try:
        conn.execute(
            f"INSERT INTO live_state (journey, version, {_STATE_COLUMNS}, updated_at)"
            f" SELECT journey, version, {_STATE_COLUMNS}, ? FROM _hw_live_new",
            [now],
        )
    finally:
        conn.unregister("_hw_live_new")


def replace_states(
    conn: duckdb.DuckDBPyConnection,
    journey: str,
    version: int,
    keys: np.ndarray | None,
    states: pa.Table,
    now: datetime,
) -> None:
    """Delete the states of ``keys`` (none when None), insert ``states`` (Arrow columns)."""
    changed = np.zeros(0, np.int64) if keys is None else np.asarray(keys, np.int64)
    replace_state_tables(conn, [(journey, version, changed, states)], now)


def _iso(column: str) -> str:
    return f"strftime({column}, '%Y-%m-%dT%H:%M:%S.%fZ')"


# What ``data`` stores of a new event: only what its columns do not hold (the kind's own
# values); the payload is completed from the columns when read (``PAYLOAD``).
_DATA = f"""CASE kind
        WHEN 'dropped' THEN json_object('reason', reason)
        WHEN 'stage_stalled' THEN json_object('since', {_iso("make_timestamp(since_us)")},
            'stall_after_seconds', stall_after_us / 1e6)
        WHEN 'kpi_reached' THEN json_object('kpi', kpi, 'count', count)
        ELSE '{{}}'::JSON
    END"""

# The payload of an event (docs/live.md: common fields, then the kind's own), from the
# columns of ``journey_events`` and its ``data``. Events recorded before payloads were
# completed when read keep their whole payload in ``data`` (it has ``journey``).
PAYLOAD = f"""CASE WHEN json_exists(data, '$.journey') THEN data ELSE json_merge_patch(
    json_object('journey', journey, 'version', version, 'kind', kind, 'contact', contact,
                'attempt_at', {_iso("attempt_at")}, 'stage', stage, 'stage_name', stage_name,
                'occurred_at', {_iso("occurred_at")}),
    CASE kind
        WHEN 'stage_entered' THEN json_object('stage_number', stage + 1,
            'entered_at', {_iso("occurred_at")}, 'entry_at', {_iso("attempt_at")})
        WHEN 'converted' THEN json_object('entry_at', {_iso("attempt_at")},
            'seconds_to_convert', (epoch_us(occurred_at) - epoch_us(attempt_at)) / 1e6)
        WHEN 'dropped' THEN json_object('reason', data->>'reason', 'last_stage', stage,
            'last_stage_name', stage_name)
        WHEN 'stage_stalled' THEN json_object('since', data->>'since',
            'stall_after_seconds', data->'stall_after_seconds')
        ELSE json_object('kpi', data->'kpi', 'count', data->'count')
    END) END"""

# The idempotency id, as ``events.event_id`` computes it.
_ID = """'evt_' || left(sha256(concat_ws(chr(31), journey, CAST(version AS VARCHAR),
    coalesce(CAST(contact_key AS VARCHAR), 'None'), coalesce(CAST(attempt_us AS VARCHAR), 'None'),
    kind, coalesce(CAST(stage AS VARCHAR), 'None'))), 32)"""


def event_rows(
    conn: duckdb.DuckDBPyConnection,
    parts: Sequence[tuple[str, int, Sequence[str], pa.Table]],
    now: datetime,
) -> pa.Table:
    """The rows of ``journey_events`` but ``seq`` for the events of each (journey, version,
    stage names, ``diff.EVENT_SCHEMA`` columns): ids, contact ids, times, payloads — made in
    one query, outside the write transaction; an id repeated among them is kept once."""
    tables = []
    for journey, version, names, events in parts:
        if events.num_rows == 0:
            continue
        stages = events.column("stage").to_numpy(zero_copy_only=False)
        tables.append(
            events.append_column("journey", pa.array([journey] * events.num_rows, pa.string()))
            .append_column("version", pa.array(np.full(events.num_rows, version, np.int32)))
            .append_column("stage_name", pa.array(np.asarray(names, dtype=object)[stages]))
        )
    if not tables:
        return _EMPTY_ROWS
    table = pa.concat_tables(tables)
    table = table.append_column("rn", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    conn.register("_hw_live_events", table)
    try:
        return conn.sql(
            f"""WITH hashed AS (
                SELECT *, {_ID} AS id FROM _hw_live_events
            ), e AS (
                SELECT hashed.*, make_timestamp(attempt_us) AS attempt_at,
                       make_timestamp(occurred_us) AS occurred_at, c.id AS contact
                FROM hashed LEFT JOIN contacts c ON c.key = hashed.contact_key
                QUALIFY row_number() OVER (PARTITION BY hashed.id ORDER BY rn) = 1
            )
            SELECT rn, id, journey, version, kind, CAST(contact_key AS INTEGER) AS contact_key,
                   contact, attempt_at, CAST(stage AS SMALLINT) AS stage, stage_name,
                   occurred_at, CAST({_DATA} AS VARCHAR) AS data
            FROM e ORDER BY rn""",
        ).to_arrow_table()
    finally:
        conn.unregister("_hw_live_events")


# from_batches: Schema.empty_table() would import pandas at start-up.
_EMPTY_ROWS = pa.Table.from_batches(
    [],
    schema=pa.schema(
        [
            ("rn", pa.int64()),
            ("id", pa.string()),
            ("journey", pa.string()),
            ("version", pa.int32()),
            ("kind", pa.string()),
            ("contact_key", pa.int32()),
            ("contact", pa.string()),
            ("attempt_at", pa.timestamp("us")),
            ("stage", pa.int16()),
            ("stage_name", pa.string()),
            ("occurred_at", pa.timestamp("us")),
            ("data", pa.string()),
        ]
    ),
)


def insert_events(conn: duckdb.DuckDBPyConnection, rows: pa.Table, now: datetime) -> int:
    """Record prepared event rows (``event_rows``) after the last seq, in their order; ids
    already recorded are skipped. How many were offered."""
    if rows.num_rows == 0:
        return 0
    conn.register("_hw_live_rows", rows)
    try:
        conn.execute(
            """INSERT INTO journey_events (seq, id, journey, version, kind, contact_key,
                contact, attempt_at, stage, stage_name, occurred_at, recorded_at, data)
            SELECT (SELECT coalesce(max(seq), 0) FROM journey_events)
                       + row_number() OVER (ORDER BY rn),
                   id, journey, version, kind, contact_key, contact, attempt_at, stage,
                   stage_name, occurred_at, CAST(? AS TIMESTAMP), data
            FROM _hw_live_rows
            ON CONFLICT (id) DO NOTHING""",
            [now],
        )
    finally:
        conn.unregister("_hw_live_rows")
    return rows.num_rows


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
    return insert_events(
        conn, event_rows(conn, [(journey, version, stage_names, events)], now), now
    )


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
        f" stage_name, occurred_at, recorded_at, CAST({PAYLOAD} AS VARCHAR) FROM journey_events"
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
