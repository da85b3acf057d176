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
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import duckdb
import numpy as np

from headway.backends.base import Backend
from headway.engine.options import to_micros, utc_now
from headway.errors import HeadwayError
from headway.live import records
from headway.live.events import (
    KPI_REACHED,
    STAGE_STALLED,
    NewEvent,
    dropped,
    make_event,
    transitions,
)
from headway.live.state import (
    DROPPED,
    IN_PROGRESS,
    ContactState,
    match_all,
    match_contacts,
    states_from,
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
    rows = store.execute(
        "SELECT DISTINCT coalesce(r.contact_key, k) FROM (SELECT unnest(?) AS k) t"
        " LEFT JOIN identity_resolved r ON r.alias_key = t.k",
        [[int(k) for k in keys]],
    ).rows
    return np.unique(np.array([int(r[0]) for r in rows], dtype=np.int64))


def next_seq(conn: duckdb.DuckDBPyConnection) -> int:
    """The next event sequence number (inside the write transaction that records events)."""
    row = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM journey_events").fetchone()
    return int(row[0]) if row else 1


@dataclass(frozen=True)
class _Plan:
    journey: Journey
    version: int
    states: dict[int, ContactState]


def update_contacts(
    store: Store,
    backend: Backend,
    keys: np.ndarray,
    now: datetime | None = None,
    targets: list[tuple[str, int]] | None = None,
) -> list[NewEvent]:
    """Bring the touched contacts' states up to date in every serving version; the events."""
    now = now or utc_now()
    now_us = to_micros(now)
    targets = serving(store) if targets is None else targets
    if not targets or len(keys) == 0:
        return []
    keys = resolve_keys(store, keys)
    plans = []
    for name, version in targets:
        journey = journey_version(store, name, version)
        result = match_contacts(backend, journey, keys)
        states = {s.contact_key: s for s in states_from(journey, result, now_us)}
        plans.append(_Plan(journey, version, states))

    def write(conn: duckdb.DuckDBPyConnection) -> list[NewEvent]:
        events: list[NewEvent] = []
        for plan in plans:
            name = plan.journey.name
            old = records.read_states(conn, name, plan.version, keys)
            changed_keys: list[int] = []
            changed: list[ContactState] = []
            for key in keys.tolist():
                before, after = old.get(key), plan.states.get(key)
                if after is not None and before is not None:
                    after = _carry_stall(before, after)
                if before == after:
                    continue
                events += transitions(plan.journey, plan.version, before, after, now_us)
                changed_keys.append(key)
                if after is not None:
                    changed.append(after)
            if changed_keys:
                records.write_states(
                    conn, name, plan.version, np.array(changed_keys, np.int64), changed, now
                )
                events += _kpi_events(conn, plan.journey, plan.version, now_us, record=True)
        records.record_events(conn, events, next_seq(conn), now)
        return events

    return store.write(write)


def _carry_stall(before: ContactState, after: ContactState) -> ContactState:
    """Keep the stall mark while the contact still sits at the stage it stalled at."""
    same = before.entry_us == after.entry_us and before.reached == after.reached
    return replace(after, stalled_stage=before.stalled_stage if same else None)


def _kpi_events(
    conn: duckdb.DuckDBPyConnection, journey: Journey, version: int, now_us: int, *, record: bool
) -> list[NewEvent]:
    """``kpi_reached`` for each stage whose kpi the state now meets for the first time."""
    targets = [(i, s.kpi) for i, s in enumerate(journey.stages) if s.kpi is not None]
    if not targets:
        return []
    row = conn.execute(
        "SELECT kpi_reached FROM live_versions WHERE journey = ? AND version = ?",
        [journey.name, version],
    ).fetchone()
    done = set(row[0]) if row else set()
    out: list[NewEvent] = []
    for i, kpi in targets:
        if i in done:
            continue
        count = _reached_count(conn, journey.name, version, i)
        if count >= kpi:
            done.add(i)
            if record:
                extra = {"kpi": kpi, "count": count}
                out.append(make_event(journey, version, KPI_REACHED, None, None, i, now_us, extra))
    conn.execute(
        "UPDATE live_versions SET kpi_reached = ? WHERE journey = ? AND version = ?",
        [sorted(done), journey.name, version],
    )
    return out


def _reached_count(conn: duckdb.DuckDBPyConnection, name: str, version: int, stage: int) -> int:
    row = conn.execute(
        "SELECT count(*) FROM live_state WHERE journey = ? AND version = ? AND NOT removed"
        " AND reached > ?",
        [name, version, stage],
    ).fetchone()
    return int(row[0]) if row else 0


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
) -> list[NewEvent]:
    """Record what time alone changed: closed windows (``dropped``) and stalls."""
    now = now or utc_now()
    now_us = to_micros(now)
    targets = serving(store) if targets is None else targets
    if not targets:
        return []

    def write(conn: duckdb.DuckDBPyConnection) -> list[NewEvent]:
        events: list[NewEvent] = []
        for name, version in targets:
            journey = journey_version(store, name, version)
            events += _time_passes(conn, journey, version, now_us, now, record=True)
        records.record_events(conn, events, next_seq(conn), now)
        return events

    return store.write(write)


def _time_passes(
    conn: duckdb.DuckDBPyConnection,
    journey: Journey,
    version: int,
    now_us: int,
    now: datetime,
    *,
    record: bool,
) -> list[NewEvent]:
    """Close the windows and mark the stalls that ``now`` brings; their events if ``record``."""
    name = journey.name
    window = engine_micros(journey.window_seconds)
    events: list[NewEvent] = []
    closed = [
        s
        for s in _states_where(
            conn, name, version, "status = ? AND ? - stage_us[1] > ?", [IN_PROGRESS, now_us, window]
        )
    ]
    if closed:
        ended = [replace(s, status=DROPPED) for s in closed]
        if record:
            events += [dropped(journey, version, s, now_us) for s in ended]
        _set(conn, name, version, "status = ?", [DROPPED], [s.contact_key for s in ended], now)
    limits = stall_limits(conn, journey, version)
    stalled = _states_where(
        conn,
        name,
        version,
        "status = ? AND reached BETWEEN 1 AND ? AND stalled_stage IS DISTINCT FROM reached - 1"
        " AND ? - stage_us[reached] > CAST(? AS BIGINT[])[reached]",
        [IN_PROGRESS, len(journey.stages) - 1, now_us, limits],
    )
    for s in stalled:
        k = s.reached - 1
        limit, since = limits[k], s.stage_us[k]
        assert limit is not None and since is not None
        if record:
            extra = {
                "since": records.micros_to_time(since).isoformat() + "Z",  # type: ignore[union-attr]
                "stall_after_seconds": limit / 1e6,
            }
            events.append(
                make_event(
                    journey,
                    version,
                    STAGE_STALLED,
                    s.contact_key,
                    s.entry_us,
                    k,
                    since + limit,
                    extra,
                )
            )
    for k in {s.reached - 1 for s in stalled}:
        keys = [s.contact_key for s in stalled if s.reached - 1 == k]
        _set(conn, name, version, "stalled_stage = ?", [k], keys, now)
    return events


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
            states = list(states_from(journey, result, now_us))
            done = int(result.contact.max()) + 1 if len(result) else 0

            def write(
                conn: duckdb.DuckDBPyConnection,
                states: list[ContactState] = states,
                done: int = done,
            ) -> None:
                records.write_states(conn, name, version, np.zeros(0, np.int64), states, now)
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
