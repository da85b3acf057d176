"""Fan-out: each new journey event becomes one delivery per matching subscription.

The events are read after the last sequence number fanned out (``action_cursor``); the
deliveries, the holdout records and the new cursor are written in one transaction, so an
event is queued exactly once even across restarts. A held-out contact gets no delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import orjson

from headway.actions.holdouts import held_out
from headway.actions.subscriptions import Subscription, active
from headway.live.records import PAYLOAD
from headway.store import Store

CURSOR = "subscriptions"
BATCH = 1000


@dataclass(frozen=True)
class EventRecord:
    """One journey event as the actions see it (``stage`` 1-based; None for none)."""

    seq: int
    id: str
    journey: str
    kind: str
    contact: str | None
    stage: int | None
    stage_name: str | None
    recorded_at: datetime
    data: dict[str, Any]


def payload(event: EventRecord) -> bytes:
    """The JSON body of a delivery: Standard Webhooks' ``type``/``timestamp``/``data``."""
    data = {**event.data, "id": event.id, "seq": event.seq}
    return orjson.dumps({
        "type": f"journey.{event.kind}",
        "timestamp": event.recorded_at.isoformat(timespec="microseconds") + "Z",
        "data": data,
    })  # fmt: skip


def cursor(store: Store) -> int:
    """The last event sequence number fanned out (0: none yet)."""
    row = store.execute("SELECT seq FROM action_cursor WHERE name = ?", [CURSOR]).first()
    return int(row[0]) if row else 0


def new_events(store: Store, after: int, limit: int = BATCH) -> list[EventRecord]:
    """The journey events with ``seq > after``, oldest first."""
    rows = store.execute(
        f"""SELECT seq, id, journey, kind, contact, stage, stage_name, recorded_at, {PAYLOAD}
        FROM journey_events WHERE seq > ? ORDER BY seq LIMIT ?""",
        [after, limit],
    ).rows
    return [
        EventRecord(int(r[0]), r[1], r[2], r[3], r[4], None if r[5] is None else int(r[5]) + 1,
                    r[6], r[7], orjson.loads(r[8]))
        for r in rows
    ]  # fmt: skip


def matches(sub: Subscription, event: EventRecord) -> bool:
    """Whether ``sub`` wants ``event`` (its journey, one of its kinds, its stage if set)."""
    if sub.journey != event.journey or event.kind not in sub.kinds:
        return False
    if event.recorded_at < sub.created_at:  # recorded before the subscription existed
        return False
    return sub.stage is None or sub.stage in (event.stage_name, str(event.stage))


def fan_out(store: Store, now: datetime) -> int:
    """Queue the deliveries of every event not fanned out yet; how many were queued."""
    queued = 0
    while True:
        after = cursor(store)
        # Read before the subscriptions: an event up to ``last`` was recorded before a
        # subscription made after that read, so none of those would want it.
        last = int(store.execute("SELECT coalesce(max(seq), 0) FROM journey_events").scalar())
        if last <= after:
            return queued
        subs = active(store)
        if not subs:  # no one to deliver to: the cursor moves on without reading the events
            store.write(partial(_record, [], [], last), keeps_contacts=True)
            return queued
        events = new_events(store, after)
        if not events:
            return queued
        deliveries: list[list[object]] = []
        holdouts: list[list[object]] = []
        for event in events:
            for sub in subs:
                if not matches(sub, event):
                    continue
                if event.contact is not None and event.stage is not None:
                    out = held_out(sub.id, event.contact, sub.holdout)
                    holdouts.append([sub.id, sub.journey, event.stage, event.contact, out, now])
                    if out:
                        continue
                deliveries.append([
                    sub.id, event.id, event.journey, event.kind, event.contact or "",
                    payload(event).decode(), "pending", 0, now, None, now, None,
                ])  # fmt: skip
        store.write(partial(_record, deliveries, holdouts, events[-1].seq), keeps_contacts=True)
        queued += len(deliveries)


def _record(
    deliveries: list[list[object]], holdouts: list[list[object]], last: int, conn: Any
) -> None:
    """Queue the deliveries, record the holdouts and move the cursor (one transaction)."""
    if deliveries:
        conn.executemany(
            "INSERT INTO action_deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            deliveries,
        )
    if holdouts:
        conn.executemany(
            "INSERT INTO action_holdouts VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            holdouts,
        )
    conn.execute(
        "INSERT INTO action_cursor VALUES (?, ?) ON CONFLICT (name) DO UPDATE "
        "SET seq = excluded.seq",
        [CURSOR, last],
    )
