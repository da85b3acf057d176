"""Journey events: what a change of a contact's state means (entered, converted, dropped...).

A diff of a contact's old and new state (``diff.py``) yields the transitions between them,
each once: ``stage_entered`` for every stage newly reached by the best attempt, ``converted``
when the last stage is newly reached, ``dropped`` when the attempt newly ends before the last
stage (an exit, a closed window, or a late exclusion that voids it). The scheduler adds
``stage_stalled`` and window-closed ``dropped``; ``kpi_reached`` is per journey version.
Each event's id is a hash of (journey, version, contact, attempt, kind, stage): recording
the same transition again is a no-op. Events are read back as ``JourneyEvent``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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


def iso(ts: datetime | None) -> str | None:
    """ISO 8601 UTC with a ``Z`` (None stays None)."""
    return None if ts is None else ts.isoformat(timespec="microseconds") + "Z"


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
