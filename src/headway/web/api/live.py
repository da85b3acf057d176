"""Live journeys (docs/live.md): turn a journey live, its state and rebuild progress, a
contact's current stage, the lag of the live worker, and the journey events after a sequence
number. Reading needs ``read``; turning live and rebuilding need ``admin``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from headway.api import iso
from headway.web.api._common import ADMIN, READ, errors
from headway.web.app_state import app_headway

router = APIRouter(tags=["live"])

Kind = Literal["stage_entered", "stage_stalled", "dropped", "converted", "kpi_reached"]
Name = Annotated[str, Query(min_length=1, max_length=500)]


def _t(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


class LiveStageOut(BaseModel):
    """A stage now: contacts who reached it, whose last stage it is, stalled, dropped there."""

    name: str
    reached: int
    at_stage: int
    stalled: int
    dropped: int


class LiveStatusOut(BaseModel):
    """A journey's live state: on/off, the version served, a rebuild's progress."""

    name: str
    active: bool
    version: int | None = Field(description="The version whose state is served.")
    building_version: int | None = Field(description="A newer version being rebuilt.")
    status: Literal["off", "building", "ready", "failed", "stale"] = Field(
        description="stale: activities were added while no server ran; rebuilt at its start."
    )
    progress: float | None = Field(description="0 to 1 while a rebuild runs.")
    contacts_done: int | None
    contacts_total: int | None
    error: str | None
    contacts: int
    stages: list[LiveStageOut]
    changed_at: str | None


class LagOut(BaseModel):
    """Seconds from an append's commit to its contacts' state being current."""

    batches: int
    p50_seconds: float | None
    p99_seconds: float | None
    max_seconds: float | None
    queued: int


class LiveOut(BaseModel):
    """Every live journey and the worker's lag."""

    journeys: list[LiveStatusOut]
    lag: LagOut


class LiveIn(BaseModel):
    """Turn a journey live (its state is built in the background) or off."""

    active: bool


class RebuildIn(BaseModel):
    """Rebuild a live journey's state from the whole log (state only: no events)."""

    journey: str = Field(min_length=1, max_length=500)


class LiveContactOut(BaseModel):
    """A contact's current best attempt at a live journey."""

    journey: str
    version: int
    contact: str
    reached: int
    stage: str | None
    removed: bool
    status: str
    stage_times: list[str | None]
    exit_at: str | None
    stalled_stage: int | None


class EventOut(BaseModel):
    """One journey event; ``data`` is the payload documented in docs/live.md."""

    seq: int
    id: str = Field(description="The idempotency id (the same transition, the same id).")
    journey: str
    version: int
    kind: str
    contact: str | None
    attempt_at: str | None
    stage: int | None
    stage_name: str | None
    occurred_at: str
    recorded_at: str
    data: dict[str, Any]


def _status(s: Any) -> LiveStatusOut:
    return LiveStatusOut(
        name=s.name, active=s.active, version=s.version, building_version=s.building_version,
        status=s.status, progress=s.progress, contacts_done=s.contacts_done,
        contacts_total=s.contacts_total, error=s.error, contacts=s.contacts,
        stages=[LiveStageOut(name=x.name, reached=x.reached, at_stage=x.at_stage,
                             stalled=x.stalled, dropped=x.dropped) for x in s.stages],
        changed_at=_t(s.changed_at),
    )  # fmt: skip


def _lag(lag: Any) -> LagOut:
    return LagOut(
        batches=lag.batches, p50_seconds=lag.p50_seconds, p99_seconds=lag.p99_seconds,
        max_seconds=lag.max_seconds, queued=lag.queued,
    )  # fmt: skip


@router.get("/live", summary="Live journeys and the live worker's lag", response_model=LiveOut,
            dependencies=READ, responses=errors(401, 403))  # fmt: skip
def live(request: Request) -> LiveOut:
    """Every journey kept live, with its rebuild progress and stage counts."""
    hw = app_headway(request)
    return LiveOut(journeys=[_status(s) for s in hw.live_journeys()], lag=_lag(hw.live_lag()))


@router.get("/live/journeys", summary="A journey's live status", response_model=LiveStatusOut,
            dependencies=READ, responses=errors(401, 403, 404, 422))  # fmt: skip
def live_status(request: Request, journey: Name) -> LiveStatusOut:
    """Off, building (with progress) or ready, with the served version's stage counts."""
    return _status(app_headway(request).live_status(journey))


@router.put("/live/journeys", summary="Turn a journey live or off", response_model=LiveStatusOut,
            dependencies=ADMIN, responses=errors(401, 403, 404, 422))  # fmt: skip
def set_live(request: Request, journey: Name, body: LiveIn) -> LiveStatusOut:
    """Live: its state is built in the background, then kept current on every append."""
    return _status(app_headway(request).set_journey_live(journey, body.active))


@router.post("/live/rebuilds", summary="Rebuild a live journey's state", status_code=202,
             response_model=LiveStatusOut, dependencies=ADMIN,
             responses=errors(401, 403, 404, 422))  # fmt: skip
def rebuild(request: Request, body: RebuildIn) -> LiveStatusOut:
    """Rebuild from the whole log in the background (state only: no events for the past)."""
    return _status(app_headway(request).rebuild_live(body.journey))


@router.get("/live/contact", summary="A contact's current stage at a live journey",
            response_model=LiveContactOut, dependencies=READ,
            responses=errors(401, 403, 404, 422))  # fmt: skip
def live_contact(request: Request, journey: Name, contact: Name) -> LiveContactOut:
    """The contact's best attempt now: stage reached, stage times, status."""
    c = app_headway(request).live_contact(journey, contact)
    return LiveContactOut(
        journey=c.journey, version=c.version, contact=c.contact, reached=c.reached,
        stage=c.stage, removed=c.removed, status=c.status,
        stage_times=[_t(t) for t in c.stage_times], exit_at=_t(c.exit_at),
        stalled_stage=c.stalled_stage,
    )  # fmt: skip


@router.get("/journey-events", summary="Journey events after a sequence number",
            response_model=list[EventOut], dependencies=READ,
            responses=errors(401, 403, 422))  # fmt: skip
def journey_events(
    request: Request,
    after: Annotated[int, Query(ge=0, description="Events with seq > after.")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    journey: Annotated[str | None, Query(max_length=500)] = None,
    kind: Annotated[list[Kind] | None, Query()] = None,
) -> list[EventOut]:
    """Oldest first; page on with ``after`` = the last ``seq`` seen."""
    events = app_headway(request).journey_events(after, limit=limit, journey=journey, kinds=kind)
    return [_event(e) for e in events]


def _event(e: Any) -> EventOut:
    return EventOut(
        seq=e.seq, id=e.id, journey=e.journey, version=e.version, kind=e.kind,
        contact=e.contact, attempt_at=_t(e.attempt_at), stage=e.stage, stage_name=e.stage_name,
        occurred_at=iso(e.occurred_at), recorded_at=iso(e.recorded_at), data=e.data,
    )  # fmt: skip
