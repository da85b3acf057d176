"""Keeping live journeys current: contact updates, version rebuilds and the clock's checks.

Every function here is synchronous and runs on the store it is given; the server's worker,
scheduler and rebuild threads (``runtime.py``) call them, and so do the tests.

- ``update_contacts``: the touched contacts are matched again over all their activities (a
  query restricted to their keys), the new states are diffed against the stored ones, and
  the changed states and the transitions' events are written in one transaction.
- ``rebuild_version``: every contact of a journey version matched through the engine's
  partitioned matcher, with progress; it records state only — contacts already stalled are
  marked as such and KPIs already reached as reached, so no event describes the past.
- ``check_clock``: window closures (``dropped``) and stalls (``stage_stalled``) found by time.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from headway.backends.base import Backend
from headway.engine.options import to_micros, utc_now
from headway.errors import HeadwayError
from headway.live import records
from headway.live.diff import (
    diff,
    event_columns,
    from_arrow,
    from_result,
)
from headway.live.state import (
    IN_PROGRESS,
    ContactState,
    match_all,
    match_contacts,
    status_at,
)
from headway.model.duration import engine_micros
from headway.model.journey import Journey
from headway.store import Store
from headway.store.journeys import get_journey

BUILDING, READY, FAILED, RETIRED = "building", "ready", "failed", "retired"

_journeys: dict[tuple[str, str, int], Journey] = {}
_journeys_lock = threading.Lock()


def journey_version(store: Store, name: str, version: int) -> Journey:
    """A stored journey version, parsed once per process."""
    key = (str(store.path), name, version)
    with _journeys_lock:
        found = _journeys.get(key)
    if found is None:
        found = get_journey(store, name, version)[0]
        with _journeys_lock:
            _journeys[key] = found
    return found


def serving(store: Store) -> list[tuple[str, int]]:
    """The (journey, version) pairs whose state is kept current now."""
    rows = store.execute(
        "SELECT j.name, j.version FROM live_journeys j JOIN live_versions v"
        " ON v.journey = j.name AND v.version = j.version"
        " WHERE j.active AND v.status = 'ready' ORDER BY j.name"
    ).rows
    return [(str(r[0]), int(r[1])) for r in rows]


def building(store: Store) -> list[tuple[str, int]]:
    """The (journey, version) pairs being rebuilt now."""
    rows = store.execute(
        "SELECT journey, version FROM live_versions WHERE status = 'building'"
    ).rows
    return [(str(r[0]), int(r[1])) for r in rows]


def resolve_keys(store: Store, keys: np.ndarray) -> np.ndarray:
    """The contacts ``keys`` count for (identity merges resolved), unique and ascending."""
    if len(keys) == 0:
        return np.zeros(0, np.int64)
    cur = store.cursor()
    cur.register("_hw_live_touched", pa.table({"k": pa.array(np.asarray(keys, np.int64))}))
    try:
        found = cur.sql(
            "SELECT coalesce(r.contact_key, t.k) AS k FROM _hw_live_touched t"
            " LEFT JOIN identity_resolved r ON r.alias_key = t.k"
        ).to_arrow_table()
    finally:
        cur.unregister("_hw_live_touched")
    return np.unique(found.column("k").to_numpy().astype(np.int64))


def update_contacts(
    store: Store,
    backend: Backend,
    keys: np.ndarray,
    now: datetime | None = None,
    targets: list[tuple[str, int]] | None = None,
) -> int:
    """Bring the touched contacts' states up to date in every serving version; the number
    of events offered (ids already recorded are not recorded again).

    The matching and the diff run before the write transaction (only the live worker writes
    a served version's states, under the runtime's lock); the write replaces the changed
    states and records the events, unless the version stopped being served meanwhile.
    """
    now = now or utc_now()
    now_us = to_micros(now)
    targets = serving(store) if targets is None else targets
    if not targets or len(keys) == 0:
        return 0
    # The contacts they count for, and the keys themselves (an id merged away loses its state).
    keys = np.union1d(resolve_keys(store, keys), np.asarray(keys, dtype=np.int64))
    journeys = [journey_version(store, name, version) for name, version in targets]
    stored = records.read_state_tables(store.cursor(), targets, keys)
    plans = []
    for journey, (name, version) in zip(journeys, targets, strict=True):
        new = from_result(journey, match_contacts(backend, journey, keys), now_us)
        old = from_arrow(stored[(name, version)], len(journey.stages))
        change = diff(journey, old, new, now_us)
        if len(change.changed_keys):
            plans.append((journey, version, change))
    if not plans:
        return 0
    # The events' rows (ids, contact ids, payloads) are made before the write transaction.
    rows = records.event_rows(
        store.cursor(),
        [(j.name, v, [s.name for s in j.stages], c.events) for j, v, c in plans],
        now,
    )

    def write(conn: duckdb.DuckDBPyConnection) -> int:
        live = _served_now(conn)
        kept = [(j, v, c) for j, v, c in plans if (j.name, v) in live]
        records.replace_state_tables(
            conn,
            [(j.name, v, c.changed_keys, c.new_states.to_arrow()) for j, v, c in kept],
            now,
        )
        chosen = rows
        if len(kept) < len(plans):
            names = pa.array([f"{j.name}\x1f{v}" for j, v, _ in kept], pa.string())
            tags = pc.binary_join_element_wise(
                rows.column("journey"), pc.cast(rows.column("version"), pa.string()), "\x1f"
            )
            chosen = rows.filter(pc.is_in(tags, value_set=names))
        offered = records.insert_events(conn, chosen, now)
        kpis = [
            (j.name, v, [s.name for s in j.stages], _kpi_events(conn, j, v, now_us, record=True))
            for j, v, _ in kept
            if any(s.kpi is not None for s in j.stages)
        ]
        if any(t.num_rows for *_, t in kpis):
            offered += records.insert_events(conn, records.event_rows(conn, kpis, now), now)
        return offered

    return store.write(write, keeps_contacts=True)


def _served_now(conn: duckdb.DuckDBPyConnection) -> set[tuple[str, int]]:
    rows = conn.execute(  # fetched to the end: the connection is free again
        "SELECT name, version FROM live_journeys WHERE active AND version IS NOT NULL"
    ).fetchall()
    return {(str(r[0]), int(r[1])) for r in rows}


def _record(
    conn: duckdb.DuckDBPyConnection,
    journey: Journey,
    version: int,
    events: pa.Table,
    now: datetime,
) -> int:
    names = [s.name for s in journey.stages]
    return records.record_event_columns(conn, journey.name, version, names, events, now)


def _kpi_events(
    conn: duckdb.DuckDBPyConnection, journey: Journey, version: int, now_us: int, *, record: bool
) -> pa.Table:
    """``kpi_reached`` for each stage whose kpi the state now meets for the first time."""
    targets = [(i, s.kpi) for i, s in enumerate(journey.stages) if s.kpi is not None]
    found: list[tuple[int, int, int]] = []
    if not targets:
        return _kpi_table(found, now_us)
    rows = conn.execute(
        "SELECT kpi_reached FROM live_versions WHERE journey = ? AND version = ?",
        [journey.name, version],
    ).fetchall()
    done = set(rows[0][0]) if rows else set()
    if all(i in done for i, _ in targets):
        return _kpi_table(found, now_us)
    for i, kpi in targets:
        if i in done:
            continue
        count = _reached_count(conn, journey.name, version, i)
        if count >= kpi:
            done.add(i)
            if record:
                found.append((i, kpi, count))
    conn.execute(
        "UPDATE live_versions SET kpi_reached = ? WHERE journey = ? AND version = ?",
        [sorted(done), journey.name, version],
    )
    return _kpi_table(found, now_us)


def _kpi_table(found: list[tuple[int, int, int]], now_us: int) -> pa.Table:
    return event_columns(
        "kpi_reached", None, None, np.array([f[0] for f in found], np.int64),
        np.full(len(found), now_us, np.int64), kpi=np.array([f[1] for f in found], np.int64),
        count=np.array([f[2] for f in found], np.int64),
    )  # fmt: skip


def _reached_count(conn: duckdb.DuckDBPyConnection, name: str, version: int, stage: int) -> int:
    rows = conn.execute(
        "SELECT count(*) FROM live_state WHERE journey = ? AND version = ? AND NOT removed"
        " AND reached > ?",
        [name, version, stage],
    ).fetchall()
    return int(rows[0][0]) if rows else 0


def stall_limits(
    conn: duckdb.DuckDBPyConnection | Store, journey: Journey, version: int
) -> list[int | None]:
    """Per stage, the stall threshold in µs (the engine's: ``stall_after``, else the p90 of
    the time to the next stage over the version's state); None for the last stage."""
    n = len(journey.stages)
    out: list[int | None] = []
    for k in range(n):
        if k == n - 1:
            out.append(None)
        elif journey.stall_after_seconds is not None:
            out.append(engine_micros(journey.stall_after_seconds))
        else:
            sql = (
                "SELECT stage_us[?] - stage_us[?] FROM live_state WHERE journey = ?"
                " AND version = ? AND NOT removed AND reached >= ?"
            )
            params = [k + 2, k + 1, journey.name, version, k + 2]
            if isinstance(conn, Store):
                waits = [r[0] for r in conn.execute(sql, params).rows]
            else:
                waits = [r[0] for r in conn.execute(sql, params).fetchall()]
            out.append(int(np.percentile(np.array(waits, np.int64), 90)) if waits else None)
    return out


def check_clock(
    store: Store, now: datetime | None = None, targets: list[tuple[str, int]] | None = None
) -> int:
    """Record what time alone changed: closed windows (``dropped``) and stalls."""
    now = now or utc_now()
    now_us = to_micros(now)
    targets = serving(store) if targets is None else targets
    if not targets:
        return 0

    def write(conn: duckdb.DuckDBPyConnection) -> int:
        offered = 0
        for name, version in targets:
            journey = journey_version(store, name, version)
            events = _time_passes(conn, journey, version, now_us, now, record=True)
            offered += _record(conn, journey, version, events, now)
        return offered

    return store.write(write, keeps_contacts=True)


def _time_passes(
    conn: duckdb.DuckDBPyConnection,
    journey: Journey,
    version: int,
    now_us: int,
    now: datetime,
    *,
    record: bool,
) -> pa.Table:
    """Close the windows and mark the stalls that ``now`` brings; their events if ``record``."""
    name = journey.name
    window = engine_micros(journey.window_seconds)
    parts = []
    closed = _states_where(
        conn, name, version, "status = ? AND ? - stage_us[1] > ?", [IN_PROGRESS, now_us, window]
    )
    if closed:
        keys = np.array([s.contact_key for s in closed], np.int64)
        entry = np.array([s.entry_us for s in closed], np.int64)
        if record:
            parts.append(
                event_columns("dropped", keys, entry,
                              np.array([s.reached - 1 for s in closed], np.int64), entry + window,
                              np.array(["window"] * len(closed), dtype=object))
            )  # fmt: skip
        _set(conn, name, version, "status = 'dropped'", [], keys.tolist(), now)
    limits = stall_limits(conn, journey, version)
    stalled = _states_where(
        conn,
        name,
        version,
        "status = ? AND reached BETWEEN 1 AND ? AND stalled_stage IS DISTINCT FROM reached - 1"
        " AND ? - stage_us[reached] > CAST(? AS BIGINT[])[reached]",
        [IN_PROGRESS, len(journey.stages) - 1, now_us, limits],
    )
    if stalled:
        stage = np.array([s.reached - 1 for s in stalled], np.int64)
        since = np.array([s.stage_us[s.reached - 1] for s in stalled], np.int64)
        limit = np.array([limits[k] for k in stage.tolist()], np.int64)
        if record:
            parts.append(
                event_columns("stage_stalled", np.array([s.contact_key for s in stalled]),
                              np.array([s.entry_us for s in stalled], np.int64), stage,
                              since + limit, since=since, stall_after=limit)
            )  # fmt: skip
        for k in set(stage.tolist()):
            marked = [
                s.contact_key for s, at in zip(stalled, stage.tolist(), strict=True) if at == k
            ]
            _set(conn, name, version, "stalled_stage = ?", [k], marked, now)
    return (
        pa.concat_tables(parts)
        if parts
        else event_columns("dropped", None, None, np.zeros(0, np.int64), np.zeros(0, np.int64))
    )


def _states_where(
    conn: duckdb.DuckDBPyConnection, name: str, version: int, where: str, params: list[Any]
) -> list[ContactState]:
    rows = conn.execute(
        "SELECT contact_key, reached, removed, stage_us, exit_us, status, stalled_stage"
        f" FROM live_state WHERE journey = ? AND version = ? AND {where}",
        [name, version, *params],
    ).fetchall()
    return [records._state(r) for r in rows]


def _set(
    conn: duckdb.DuckDBPyConnection,
    name: str,
    version: int,
    assignment: str,
    values: list[Any],
    keys: list[int],
    now: datetime,
) -> None:
    if not keys:
        return
    conn.execute(
        f"UPDATE live_state SET {assignment}, updated_at = ? WHERE journey = ? AND version = ?"
        " AND contact_key IN (SELECT unnest(?))",
        [*values, now, name, version, keys],
    )


def start_version(store: Store, name: str, version: int) -> None:
    """Record that a version's state is being built (progress 0)."""

    def write(conn: duckdb.DuckDBPyConnection) -> None:
        conn.execute("DELETE FROM live_versions WHERE journey = ? AND version = ?", [name, version])
        conn.execute("DELETE FROM live_state WHERE journey = ? AND version = ?", [name, version])
        conn.execute(
            "INSERT INTO live_versions (journey, version, status, contacts_done, contacts_total,"
            " started_at) VALUES (?, ?, 'building', 0, NULL, ?)",
            [name, version, utc_now()],
        )

    store.write(write)


def rebuild_version(
    store: Store,
    backend: Backend,
    name: str,
    version: int,
    now: datetime | None = None,
) -> None:
    """Build a version's state from the whole log (state only: no events), then serve it."""
    now = now or utc_now()
    now_us = to_micros(now)
    try:
        journey = journey_version(store, name, version)
        top = int(store.execute("SELECT coalesce(max(key), -1) + 1 FROM contacts").scalar())
        store.write(
            lambda c: c.execute(
                "UPDATE live_versions SET contacts_total = ? WHERE journey = ? AND version = ?",
                [top, name, version],
            )
        )
        for result in match_all(backend, journey):
            states = from_result(journey, result, now_us).to_arrow()
            done = int(result.contact.max()) + 1 if len(result) else 0

            def write(
                conn: duckdb.DuckDBPyConnection, states: pa.Table = states, done: int = done
            ) -> None:
                records.replace_states(conn, name, version, None, states, now)
                conn.execute(
                    "UPDATE live_versions SET contacts_done = greatest(contacts_done, ?)"
                    " WHERE journey = ? AND version = ?",
                    [min(done, top), name, version],
                )

            store.write(write)
    except HeadwayError as err:
        _fail(store, name, version, err.message)
        return
    except Exception as err:  # a rebuild that fails says why on the status, never silently
        _fail(store, name, version, f"{type(err).__name__}: {err}")
        raise

    def finish(conn: duckdb.DuckDBPyConnection) -> None:
        _time_passes(conn, journey, version, now_us, now, record=False)
        _kpi_events(conn, journey, version, now_us, record=False)
        conn.execute(
            "UPDATE live_versions SET status = 'ready', contacts_done = contacts_total,"
            " finished_at = ? WHERE journey = ? AND version = ?",
            [utc_now(), name, version],
        )
        conn.execute(
            "UPDATE live_versions SET status = 'retired' WHERE journey = ? AND version <> ?"
            " AND status = 'ready'",
            [name, version],
        )
        conn.execute("DELETE FROM live_state WHERE journey = ? AND version <> ?", [name, version])
        conn.execute(
            "UPDATE live_journeys SET version = ?, changed_at = ? WHERE name = ?",
            [version, utc_now(), name],
        )

    store.write(finish)


def _fail(store: Store, name: str, version: int, message: str) -> None:
    store.write(
        lambda c: c.execute(
            "UPDATE live_versions SET status = 'failed', error = ?, finished_at = ?"
            " WHERE journey = ? AND version = ?",
            [message, utc_now(), name, version],
        )
    )


def status_now(journey: Journey, state: ContactState, now_us: int) -> str:
    """A stored state's status at ``now_us`` (its stored status may predate a closure)."""
    return status_at(journey, state.reached, state.removed, state.entry_us, state.exit_us, now_us)
