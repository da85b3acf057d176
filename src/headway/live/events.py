"""Journey events: what a change of a contact's state means (entered, converted, dropped...).

A diff of a contact's old and new state yields the transitions between them, each once:
``stage_entered`` for every stage newly reached by the best attempt, ``converted`` when the
last stage is newly reached, ``dropped`` when the attempt newly ends before the last stage
(an exit, a closed window, or a late exclusion that voids it). The scheduler adds
``stage_stalled`` and window-closed ``dropped``; ``kpi_reached`` is per journey version.
Each event's id is a hash of (journey, version, contact, attempt, kind, stage): recording
the same transition again is a no-op.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from headway.engine.options import from_micros
from headway.live.state import DROPPED, ContactState
from headway.model.duration import engine_micros
from headway.model.journey import Journey

STAGE_ENTERED = "stage_entered"
STAGE_STALLED = "stage_stalled"
EVENT_DROPPED = "dropped"
EVENT_CONVERTED = "converted"
KPI_REACHED = "kpi_reached"
KINDS = (STAGE_ENTERED, STAGE_STALLED, EVENT_DROPPED, EVENT_CONVERTED, KPI_REACHED)


@dataclass(frozen=True)
class JourneyEvent:
    """One recorded journey event (``seq`` orders them; ``id`` is its idempotency id)."""

    seq: int
    id: str
    journey: str
    version: int
    kind: str
    contact_key: int | None
    contact: str | None
    attempt_at: datetime | None
    stage: int | None
    stage_name: str | None
    occurred_at: datetime
    recorded_at: datetime
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The payload plus ``id``, ``seq`` and ``recorded_at`` (JSON-ready)."""
        return {"id": self.id, "seq": self.seq, **self.data, "recorded_at": iso(self.recorded_at)}


@dataclass(frozen=True)
class NewEvent:
    """An event about to be recorded (the store assigns ``seq`` and ``recorded_at``)."""

    id: str
    journey: str
    version: int
    kind: str
    contact_key: int | None
    attempt_us: int | None
    stage: int | None
    stage_name: str | None
    occurred_us: int
    data: dict[str, Any]


def iso(ts: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z`` (None stays None)."""
    return None if ts is None else ts.isoformat(timespec="microseconds") + "Z"


def _iso_us(us: int | None) -> str | None:
    return None if us is None else iso(from_micros(us))


def event_id(
    journey: str,
    version: int,
    contact_key: int | None,
    attempt_us: int | None,
    kind: str,
    stage: int | None,
) -> str:
    """The idempotency id of an event: the same transition always gets the same id."""
    text = "\x1f".join(str(v) for v in (journey, version, contact_key, attempt_us, kind, stage))
    return "evt_" + hashlib.sha256(text.encode()).hexdigest()[:32]


def make_event(
    journey: Journey,
    version: int,
    kind: str,
    contact_key: int | None,
    attempt_us: int | None,
    stage: int | None,
    occurred_us: int,
    extra: dict[str, Any],
) -> NewEvent:
    """An event with its id and its payload (``contact`` is filled in when recorded)."""
    name = journey.stages[stage].name if stage is not None else None
    data: dict[str, Any] = {
        "journey": journey.name,
        "version": version,
        "kind": kind,
        "contact": None,
        "attempt_at": _iso_us(attempt_us),
        "stage": stage,
        "stage_name": name,
        "occurred_at": _iso_us(occurred_us),
        **extra,
    }
    return NewEvent(
        event_id(journey.name, version, contact_key, attempt_us, kind, stage),
        journey.name,
        version,
        kind,
        contact_key,
        attempt_us,
        stage,
        name,
        occurred_us,
        data,
    )


def transitions(
    journey: Journey,
    version: int,
    old: ContactState | None,
    new: ContactState | None,
    now_us: int,
) -> list[NewEvent]:
    """The events between a contact's old and new state (none when nothing moved)."""
    n = len(journey.stages)
    was = old.reached if old is not None and not old.removed else 0
    now_reached = new.reached if new is not None and not new.removed else 0
    out: list[NewEvent] = []
    if new is not None and now_reached > was:
        entry = new.entry_us
        for i in range(was, now_reached):
            at = new.stage_us[i]
            assert at is not None
            entered = {"stage_number": i + 1, "entered_at": _iso_us(at), "entry_at": _iso_us(entry)}
            out.append(
                make_event(journey, version, STAGE_ENTERED, new.contact_key, entry, i, at, entered)
            )
        if now_reached == n and was < n:
            last = new.stage_us[n - 1]
            assert last is not None and entry is not None
            extra: dict[str, Any] = {
                "entry_at": _iso_us(entry),
                "seconds_to_convert": (last - entry) / 1e6,
            }
            out.append(
                make_event(
                    journey, version, EVENT_CONVERTED, new.contact_key, entry, n - 1, last, extra
                )
            )
    old_ended = old is not None and old.status in (DROPPED, "removed")
    if new is not None and new.status == DROPPED and not old_ended:
        out.append(dropped(journey, version, new, now_us))
    elif new is not None and new.removed and old is not None and was > 0:
        extra = {"reason": "excluded", **_last(journey, old)}
        out.append(
            make_event(
                journey,
                version,
                EVENT_DROPPED,
                old.contact_key,
                old.entry_us,
                old.reached - 1,
                now_us,
                extra,
            )
        )
    return out


def dropped(journey: Journey, version: int, state: ContactState, now_us: int) -> NewEvent:
    """The ``dropped`` event of a state whose attempt ended (an exit, or the window)."""
    entry = state.entry_us
    if state.exit_us is not None:
        reason, at = "exit", state.exit_us
    else:
        assert entry is not None
        reason, at = "window", entry + engine_micros(journey.window_seconds)
    extra = {"reason": reason, **_last(journey, state)}
    return make_event(
        journey,
        version,
        EVENT_DROPPED,
        state.contact_key,
        entry,
        state.reached - 1,
        min(at, now_us) if reason == "window" else at,
        extra,
    )


def _last(journey: Journey, state: ContactState) -> dict[str, Any]:
    k = state.reached - 1
    return {"last_stage": k, "last_stage_name": journey.stages[k].name if k >= 0 else None}
