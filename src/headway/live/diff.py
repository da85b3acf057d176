"""States and their transitions as columns: the live worker's hot path, vectorised.

``StateColumns`` holds the states of many contacts (one row each, contact keys ascending):
what ``state.states_from`` gives one by one, as NumPy arrays. ``diff`` aligns the stored and
the new states of the touched contacts and yields the changed rows and the events of their
transitions as columns (the same rules as ``events.transitions``: each stage newly reached,
conversion, the end of an attempt by exit, window or exclusion). The event payloads and ids
are made in SQL when they are recorded (``records.record_event_columns``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from headway.engine.kernel.match_types import NOT_REACHED, MatchResult
from headway.model.duration import engine_micros
from headway.model.journey import Journey

STATUSES = ("in_progress", "converted", "dropped", "removed")
IN_PROGRESS, CONVERTED, DROPPED, REMOVED = 0, 1, 2, 3
NO_STALL = -1


@dataclass(frozen=True)
class StateColumns:
    """States of several contacts as columns (times in µs; ``NOT_REACHED`` where none)."""

    key: np.ndarray  # int64, ascending
    reached: np.ndarray  # int64
    removed: np.ndarray  # bool
    stage: np.ndarray  # int64 [rows, n_stages]
    exit: np.ndarray  # int64
    status: np.ndarray  # int8 (STATUSES index)
    stalled: np.ndarray  # int64 (NO_STALL: none)

    def __len__(self) -> int:
        return len(self.key)

    def take(self, rows: np.ndarray) -> StateColumns:
        """The given rows."""
        return StateColumns(
            self.key[rows], self.reached[rows], self.removed[rows], self.stage[rows],
            self.exit[rows], self.status[rows], self.stalled[rows],
        )  # fmt: skip

    def to_arrow(self) -> pa.Table:
        """The rows in the ``live_state`` column layout (without journey, version, time)."""
        n = self.stage.shape[1] if self.stage.ndim == 2 else 0
        flat = self.stage.ravel()
        values = pa.array(flat, pa.int64(), mask=flat == NOT_REACHED)
        offsets = pa.array(np.arange(0, len(flat) + 1, max(n, 1), dtype=np.int32)[: len(self) + 1])
        names = np.array(STATUSES, dtype=object)
        return pa.table(
            {
                "contact_key": pa.array(self.key.astype(np.int32), pa.int32()),
                "reached": pa.array(self.reached.astype(np.int16), pa.int16()),
                "removed": pa.array(self.removed, pa.bool_()),
                "stage_us": pa.ListArray.from_arrays(offsets, values),
                "exit_us": pa.array(self.exit, pa.int64(), mask=self.exit == NOT_REACHED),
                "status": pa.array(names[self.status.astype(np.int64)], pa.string()),
                "stalled_stage": pa.array(
                    self.stalled.astype(np.int16), pa.int16(), mask=self.stalled == NO_STALL
                ),
            }
        )


def empty_columns(n_stages: int) -> StateColumns:
    """No states."""
    return StateColumns(
        np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.bool_),
        np.zeros((0, n_stages), np.int64), np.zeros(0, np.int64), np.zeros(0, np.int8),
        np.zeros(0, np.int64),
    )  # fmt: skip


def statuses(journey: Journey, cols: StateColumns, now_us: int) -> np.ndarray:
    """Each state's status at ``now_us`` (DESIGN §5 outcomes)."""
    n = len(journey.stages)
    window = engine_micros(journey.window_seconds)
    out = np.full(len(cols), IN_PROGRESS, np.int8)
    entry = cols.stage[:, 0] if n else np.zeros(len(cols), np.int64)
    closed = (cols.exit != NOT_REACHED) | ((now_us - entry) > window)
    out[closed] = DROPPED
    out[cols.reached >= n] = CONVERTED
    out[cols.removed] = REMOVED
    return out


def from_result(journey: Journey, result: MatchResult, now_us: int) -> StateColumns:
    """The counted contacts of a match result (reached a stage, or removed) as columns."""
    keep = (result.reached > 0) | result.removed
    cols = StateColumns(
        result.contact[keep].astype(np.int64),
        result.reached[keep].astype(np.int64),
        result.removed[keep].astype(np.bool_),
        result.stage_ts[keep].astype(np.int64),
        result.exit_ts[keep].astype(np.int64),
        np.zeros(int(keep.sum()), np.int8),
        np.full(int(keep.sum()), NO_STALL, np.int64),
    )
    return StateColumns(
        cols.key, cols.reached, cols.removed, cols.stage, cols.exit,
        statuses(journey, cols, now_us), cols.stalled,
    )  # fmt: skip


def from_arrow(table: pa.Table, n_stages: int) -> StateColumns:
    """Stored states (``live_state`` columns) as columns, contact keys ascending."""
    if table.num_rows == 0:
        return empty_columns(n_stages)
    table = table.sort_by("contact_key")
    flat = table.column("stage_us").combine_chunks().flatten().fill_null(NOT_REACHED)
    codes = pc.index_in(table.column("status"), value_set=pa.array(STATUSES))
    status = codes.to_numpy().astype(np.int8)
    return StateColumns(
        table.column("contact_key").to_numpy().astype(np.int64),
        table.column("reached").to_numpy().astype(np.int64),
        table.column("removed").to_numpy(zero_copy_only=False).astype(np.bool_),
        flat.to_numpy().astype(np.int64).reshape(table.num_rows, n_stages),
        table.column("exit_us").fill_null(NOT_REACHED).to_numpy().astype(np.int64),
        status,
        table.column("stalled_stage").fill_null(NO_STALL).to_numpy().astype(np.int64),
    )


@dataclass(frozen=True)
class Diff:
    """What changed among the touched contacts: rows to delete, states to insert, events."""

    changed_keys: np.ndarray
    new_states: StateColumns
    events: pa.Table  # EVENT_SCHEMA columns


EVENT_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("contact_key", pa.int64()),
        ("attempt_us", pa.int64()),
        ("stage", pa.int64()),
        ("occurred_us", pa.int64()),
        ("reason", pa.string()),
        ("since_us", pa.int64()),
        ("stall_after_us", pa.int64()),
        ("kpi", pa.int64()),
        ("count", pa.int64()),
    ]
)


def event_columns(
    kind: str,
    key: np.ndarray | None,
    attempt: np.ndarray | None,
    stage: np.ndarray,
    occurred: np.ndarray,
    reason: np.ndarray | None = None,
    since: np.ndarray | None = None,
    stall_after: np.ndarray | None = None,
    kpi: np.ndarray | None = None,
    count: np.ndarray | None = None,
) -> pa.Table:
    """Events of one kind as an ``EVENT_SCHEMA`` table (None: a null column)."""
    rows = len(stage)

    def col(values: np.ndarray | None, type_: pa.DataType) -> pa.Array:
        return pa.nulls(rows, type_) if values is None else pa.array(values, type_)

    return pa.table(
        [
            pa.array([kind] * rows, pa.string()),
            col(key, pa.int64()),
            col(attempt, pa.int64()),
            col(stage, pa.int64()),
            col(occurred, pa.int64()),
            col(reason, pa.string()),
            col(since, pa.int64()),
            col(stall_after, pa.int64()),
            col(kpi, pa.int64()),
            col(count, pa.int64()),
        ],
        schema=EVENT_SCHEMA,
    )


def _aligned(cols: StateColumns, keys: np.ndarray) -> tuple[StateColumns, np.ndarray]:
    """``cols`` spread over ``keys`` (a superset, ascending): missing rows get defaults."""
    n = cols.stage.shape[1]
    present = np.isin(keys, cols.key)
    at = np.searchsorted(cols.key, keys)
    at = np.where(present, at, 0)
    out = StateColumns(
        keys,
        np.where(present, cols.reached[at] if len(cols) else 0, 0),
        np.where(present, cols.removed[at] if len(cols) else False, False),
        np.where(present[:, None], cols.stage[at] if len(cols) else NOT_REACHED, NOT_REACHED)
        if len(keys)
        else np.zeros((0, n), np.int64),
        np.where(present, cols.exit[at] if len(cols) else NOT_REACHED, NOT_REACHED),
        np.where(present, cols.status[at] if len(cols) else -1, -1).astype(np.int8),
        np.where(present, cols.stalled[at] if len(cols) else NO_STALL, NO_STALL),
    )
    return out, present


def diff(journey: Journey, old: StateColumns, new: StateColumns, now_us: int) -> Diff:
    """The changed states and the events between ``old`` and ``new`` (same contacts asked)."""
    n = len(journey.stages)
    keys = np.union1d(old.key, new.key)
    o, had = _aligned(old, keys)
    w, has = _aligned(new, keys)
    # The stall mark stays while the contact sits at the stage it stalled at, same attempt.
    same_spot = had & has & (o.stage[:, 0] == w.stage[:, 0]) & (o.reached == w.reached)
    w = StateColumns(w.key, w.reached, w.removed, w.stage, w.exit, w.status,
                     np.where(same_spot, o.stalled, NO_STALL))  # fmt: skip
    changed = (
        (had != has)
        | (o.reached != w.reached)
        | (o.removed != w.removed)
        | np.any(o.stage != w.stage, axis=1)
        | (o.exit != w.exit)
        | (o.status != w.status)
        | (o.stalled != w.stalled)
    )
    was = np.where(had & ~o.removed, o.reached, 0)
    now = np.where(has & ~w.removed, w.reached, 0)
    parts = []
    for i in range(n):
        hit = has & (was <= i) & (now > i)
        if hit.any():
            parts.append(
                event_columns("stage_entered", keys[hit], w.stage[hit, 0],
                              np.full(int(hit.sum()), i), w.stage[hit, i])
            )  # fmt: skip
    conv = has & (now == n) & (was < n)
    if conv.any():
        parts.append(
            event_columns("converted", keys[conv], w.stage[conv, 0],
                          np.full(int(conv.sum()), n - 1), w.stage[conv, n - 1])
        )  # fmt: skip
    ended_before = had & ((o.status == DROPPED) | (o.status == REMOVED))
    drop = has & (w.status == DROPPED) & ~ended_before
    if drop.any():
        exited = w.exit[drop] != NOT_REACHED
        entry = w.stage[drop, 0]
        at = np.where(exited, w.exit[drop], entry + engine_micros(journey.window_seconds))
        reason = np.where(exited, "exit", "window").astype(object)
        parts.append(event_columns("dropped", keys[drop], entry, w.reached[drop] - 1, at, reason))
    voided = has & w.removed & had & (was > 0) & ~drop
    if voided.any():
        count = int(voided.sum())
        parts.append(
            event_columns("dropped", keys[voided], o.stage[voided, 0], o.reached[voided] - 1,
                          np.full(count, now_us), np.array(["excluded"] * count, dtype=object))
        )  # fmt: skip
    events = pa.concat_tables(parts) if parts else EVENT_SCHEMA.empty_table()
    keep = changed & has
    return Diff(keys[changed], w.take(np.flatnonzero(keep)), events)
