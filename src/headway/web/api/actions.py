"""Journey actions (docs/actions.md): subscriptions to journey events, their deliveries
(the dead-letter list, replay), cohort syncs, holdout uplift and digests.

Reading needs ``read``; creating, deleting, replaying and running need ``admin`` (a
subscription's secret and a sync's target are configuration of the server).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from headway.api import iso
from headway.web.api._common import ADMIN, READ, errors
from headway.web.app_state import app_headway

router = APIRouter(tags=["actions"])

Kind = Literal["stage_entered", "stage_stalled", "dropped", "converted", "kpi_reached"]
Status = Literal["reached", "dropped", "in_progress", "stalled", "moving", "converted"]
Share = Annotated[float, Field(ge=0.0, lt=1.0, description="Share of contacts held out.")]
Name = Annotated[str, Field(min_length=1, max_length=500)]


def _t(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


class SubscriptionIn(BaseModel):
    """A journey's events of ``kinds`` sent to ``url`` (signed) or appended to ``path``."""

    journey: Name
    kinds: list[Kind] = Field(min_length=1, max_length=5)
    target: Literal["webhook", "file"] = "webhook"
    url: str | None = Field(None, max_length=2000, description="The webhook's http(s) URL.")
    path: str | None = Field(
        None, max_length=2000, description="The JSON Lines file, inside actions.files_dir."
    )
    stage: str | None = Field(None, max_length=500, description="Only events at this stage.")
    holdout: Share = 0.10


class SubscriptionOut(BaseModel):
    """A subscription; ``secret`` (``whsec_…``) verifies its webhooks' signatures."""

    id: str
    journey: str
    kinds: list[str]
    stage: str | None
    target: str
    url: str | None
    path: str | None
    secret: str | None
    holdout: float
    created_at: str


def _sub(s: Any) -> SubscriptionOut:
    return SubscriptionOut(
        id=s.id, journey=s.journey, kinds=list(s.kinds), stage=s.stage, target=s.target,
        url=s.url, path=s.path, secret=s.secret, holdout=s.holdout, created_at=iso(s.created_at),
    )  # fmt: skip


class DeliveryOut(BaseModel):
    """One event for one subscription: pending (with its next try), delivered or dead."""

    subscription_id: str
    event_id: str = Field(description="The idempotency id: the webhook-id header.")
    journey: str
    kind: str
    contact: str
    status: Literal["pending", "delivered", "dead"]
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    created_at: str
    delivered_at: str | None
    payload: str = Field(description="The JSON body sent.")


def _delivery(d: Any) -> DeliveryOut:
    return DeliveryOut(
        subscription_id=d.subscription_id, event_id=d.event_id, journey=d.journey, kind=d.kind,
        contact=d.contact, status=d.status, attempts=d.attempts,
        next_attempt_at=_t(d.next_attempt_at), last_error=d.last_error,
        created_at=iso(d.created_at), delivered_at=_t(d.delivered_at), payload=d.payload,
    )  # fmt: skip


class Replayed(BaseModel):
    """How many deliveries were queued again."""

    replayed: int


class CohortSyncIn(BaseModel):
    """A step's contacts (by status) written to ``path`` or pushed to ``url``, every ``every``."""

    journey: Name
    stage: Name
    status: Status = "stalled"
    every: str = Field("1h", max_length=40, description="A duration such as 15m, 1h, 1d.")
    format: Literal["csv", "json"] = "csv"
    path: str | None = Field(None, max_length=2000, description="Inside actions.files_dir.")
    url: str | None = Field(None, max_length=2000)
    holdout: Share = 0.10


class CohortSyncOut(BaseModel):
    """A cohort sync and its last run."""

    id: str
    journey: str
    stage: str
    status: str
    every_seconds: int
    format: str
    path: str | None
    url: str | None
    secret: str | None
    holdout: float
    created_at: str
    last_run_at: str | None
    last_count: int | None
    last_error: str | None


def _sync(s: Any) -> CohortSyncOut:
    return CohortSyncOut(
        id=s.id, journey=s.journey, stage=s.stage, status=s.status,
        every_seconds=s.every_seconds, format=s.format, path=s.path, url=s.url, secret=s.secret,
        holdout=s.holdout, created_at=iso(s.created_at), last_run_at=_t(s.last_run_at),
        last_count=s.last_count, last_error=s.last_error,
    )  # fmt: skip


class UpliftOut(BaseModel):
    """Treated vs held-out progress to the next stage for one action at one stage."""

    action_id: str
    stage: int = Field(description="1-based: the stage the action targeted contacts at.")
    stage_name: str
    next_stage: str
    treated: int
    treated_advanced: int
    held_out: int
    held_out_advanced: int
    treated_rate: float | None
    held_out_rate: float | None
    difference: float | None = Field(description="Treated rate − held-out rate.")
    uplift: float | None = Field(description="Rate ratio − 1 (0.2: 20 % more advanced).")
    uplift_low: float | None = Field(description="95 % interval of the uplift (Katz).")
    uplift_high: float | None
    p: float | None = Field(description="Two-sided Fisher exact p.")


class DigestIn(BaseModel):
    """Make (and mail, when SMTP is configured) one journey's digest now."""

    journey: Name


class DigestOut(BaseModel):
    """One journey's period: reached, conversion, biggest change, top stall."""

    journey: str
    period_start: str
    period_end: str
    created_at: str
    figures: dict[str, Any]
    sent_to: list[str]
    error: str | None


def _digest(d: Any) -> DigestOut:
    return DigestOut(
        journey=d.journey, period_start=iso(d.period_start), period_end=iso(d.period_end),
        created_at=iso(d.created_at), figures=d.body, sent_to=list(d.sent_to), error=d.error,
    )  # fmt: skip


@router.get("/subscriptions", summary="Active subscriptions to journey events",
            response_model=list[SubscriptionOut], dependencies=ADMIN,
            responses=errors(401, 403))  # fmt: skip
def list_subscriptions(
    request: Request, journey: Annotated[str | None, Query(max_length=500)] = None
) -> list[SubscriptionOut]:
    """The active subscriptions (of one journey), with their signing secrets."""
    return [_sub(s) for s in app_headway(request).subscriptions(journey)]


@router.post("/subscriptions", summary="Subscribe to a journey's events", status_code=201,
             response_model=SubscriptionOut, dependencies=ADMIN,
             responses=errors(401, 403, 404, 422))  # fmt: skip
def create_subscription(request: Request, body: SubscriptionIn) -> SubscriptionOut:
    """Send the events to a signed webhook (a fresh ``whsec_`` secret) or a JSON Lines file."""
    sub = app_headway(request).subscribe(
        body.journey, body.kinds, target=body.target, url=body.url, path=body.path,
        stage=body.stage, holdout=body.holdout,
        files_dir=request.app.state.settings.actions.files_dir,
    )  # fmt: skip
    return _sub(sub)


@router.delete("/subscriptions/{sub_id}", summary="Stop a subscription", status_code=204,
               dependencies=ADMIN, responses=errors(401, 403, 404))  # fmt: skip
def delete_subscription(request: Request, sub_id: str) -> Response:
    """Stop a subscription; its deliveries and holdout records stay."""
    app_headway(request).remove_subscription(sub_id)
    return Response(status_code=204)


@router.get("/deliveries", summary="Deliveries of journey events (status=dead: dead letters)",
            response_model=list[DeliveryOut], dependencies=READ,
            responses=errors(401, 403, 422))  # fmt: skip
def list_deliveries(
    request: Request,
    status: Literal["pending", "delivered", "dead"] | None = None,
    subscription: Annotated[str | None, Query(max_length=100)] = None,
    journey: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[DeliveryOut]:
    """Newest first."""
    rows = app_headway(request).deliveries(
        status=status, subscription=subscription, journey=journey, limit=limit
    )
    return [_delivery(d) for d in rows]


@router.post("/deliveries/{sub_id}/{event_id}/replay", summary="Send one delivery again",
             response_model=Replayed, dependencies=ADMIN,
             responses=errors(401, 403, 404))  # fmt: skip
def replay_delivery(request: Request, sub_id: str, event_id: str) -> Replayed:
    """Queue the delivery again now (same webhook-id), whatever its status."""
    app_headway(request).replay_delivery(sub_id, event_id)
    return Replayed(replayed=1)


@router.post("/deliveries/replay-dead", summary="Send every dead delivery again",
             response_model=Replayed, dependencies=ADMIN,
             responses=errors(401, 403, 422))  # fmt: skip
def replay_dead(
    request: Request, subscription: Annotated[str | None, Query(max_length=100)] = None
) -> Replayed:
    """Queue every dead delivery (of one subscription) again."""
    return Replayed(replayed=app_headway(request).replay_dead(subscription))


@router.get("/cohort-syncs", summary="Cohort syncs", response_model=list[CohortSyncOut],
            dependencies=ADMIN, responses=errors(401, 403))  # fmt: skip
def list_cohort_syncs(request: Request) -> list[CohortSyncOut]:
    """The active cohort syncs and their last runs."""
    return [_sync(s) for s in app_headway(request).cohort_syncs()]


@router.post("/cohort-syncs", summary="Keep a step's contacts in sync with a file or endpoint",
             status_code=201, response_model=CohortSyncOut, dependencies=ADMIN,
             responses=errors(401, 403, 404, 422))  # fmt: skip
def create_cohort_sync(request: Request, body: CohortSyncIn) -> CohortSyncOut:
    """Record the sync; the server's worker runs it every ``every``."""
    sync = app_headway(request).add_cohort_sync(
        body.journey, body.stage, body.status, every=body.every, format=body.format,
        path=body.path, url=body.url, holdout=body.holdout,
        files_dir=request.app.state.settings.actions.files_dir,
    )  # fmt: skip
    return _sync(sync)


@router.post("/cohort-syncs/{sync_id}/run", summary="Run a cohort sync now",
             response_model=CohortSyncOut, dependencies=ADMIN,
             responses=errors(401, 403, 404))  # fmt: skip
def run_cohort_sync(request: Request, sync_id: str) -> CohortSyncOut:
    """Write or push the cohort now; the sync with its last run (``last_error`` if it failed)."""
    settings = request.app.state.settings.actions
    return _sync(app_headway(request).run_cohort_sync(sync_id, settings))


@router.delete("/cohort-syncs/{sync_id}", summary="Stop a cohort sync", status_code=204,
               dependencies=ADMIN, responses=errors(401, 403, 404))  # fmt: skip
def delete_cohort_sync(request: Request, sync_id: str) -> Response:
    """Stop the sync; the outside list stays as last written."""
    app_headway(request).remove_cohort_sync(sync_id)
    return Response(status_code=204)


@router.get("/uplift", summary="Holdout uplift of a journey's actions",
            response_model=list[UpliftOut], dependencies=READ,
            responses=errors(401, 403, 404, 422))  # fmt: skip
def journey_uplift(
    request: Request, journey: Annotated[str, Query(min_length=1, max_length=500)]
) -> list[UpliftOut]:
    """Per action and targeted stage: treated vs held-out progress to the next stage."""
    return [UpliftOut(**vars(u)) for u in app_headway(request).uplift(journey)]


@router.get("/digests", summary="The latest digests", response_model=list[DigestOut],
            dependencies=READ, responses=errors(401, 403, 422))  # fmt: skip
def list_digests(
    request: Request,
    journey: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> list[DigestOut]:
    """Newest first."""
    return [_digest(d) for d in app_headway(request).digests(journey, limit)]


@router.post("/digests", summary="Make and mail a journey's digest now", status_code=201,
             response_model=DigestOut, dependencies=ADMIN,
             responses=errors(401, 403, 404, 422))  # fmt: skip
def send_digest(request: Request, body: DigestIn) -> DigestOut:
    """The digest of the period ending now (mailed when SMTP and recipients are set)."""
    settings = request.app.state.settings.actions
    return _digest(app_headway(request).digest(body.journey, settings))
