"""Attribution, email influence and the unsubscribe ranking (issue 6, items 2 and 4).

Each answer is the engine report's ``to_dict()``: the very JSON ``headway attribution
--json``, ``headway emails influence --json`` and ``headway emails unsubscribes --json``
print. Journeys are looked up by stored name only. This module sorts before ``emails`` and
``journeys``, so its routes are tried before ``/emails/{email_id}`` and
``/journeys/{name}``; the ranking lives under ``/email-rankings`` so no email id can shadow it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from headway.api import AttributionOptions, parse_models
from headway.web.api._common import (
    READ,
    AsOf,
    DateRange,
    HumanView,
    SegmentFilters,
    about,
    errors,
    report_options,
    segmented,
)
from headway.web.api.discovery import WarningOut, with_warnings
from headway.web.app_state import app_headway, stored_journey

router = APIRouter(tags=["attribution"])

Days = Annotated[int, Query(ge=1, le=365, description="Days after each delivery.")]


class MarkovOut(BaseModel):
    """The Markov chain: P(conversion) from start, and its number of transient states."""

    conversion_probability: float
    states: int


class AttributionOut(BaseModel):
    """Per touchpoint: reach, conversions credited by each model (and share), removal effect.

    Each touchpoint row holds ``touchpoint``, ``contacts``, ``converted``, then per model
    ``<model>`` and ``<model>_share``, and ``removal_effect`` with the Markov model."""

    journey: str
    as_of: str
    human: bool
    models: list[str]
    order: int
    contacts: int
    conversions: int
    attributed_conversions: int
    unattributed_conversions: int
    markov: MarkovOut | None
    touchpoints: list[dict[str, Any]]
    warnings: list[WarningOut] = []


class GroupOut(BaseModel):
    """One engagement group at a stage."""

    group: str
    recipients: int
    advanced: int
    rate: float | None
    lift: float | None
    lift_low: float | None
    lift_high: float | None
    p: float | None
    lopsided: bool | None


class StageInfluenceOut(BaseModel):
    """The recipients sitting at one stage when the email was delivered."""

    index: int
    stage: str
    next_stage: str
    recipients: int
    advanced: int
    own_steps: int
    summary: str
    groups: list[GroupOut]


class InfluenceOut(BaseModel):
    """How an email's recipients at each stage moved on, by what they did with it."""

    email: str
    journey: str
    as_of: str
    days: int
    human: bool
    recipients: int
    too_recent: int
    stages: list[StageInfluenceOut]


class RankedEmailOut(BaseModel):
    """One email: deliveries, unsubscribes after them and (with a journey) drop-off."""

    email: str
    name: str | None
    delivered: int
    unsubscribed: int
    unsubscribe_rate: float | None
    at_stage: int | None
    dropped: int | None
    drop_rate: float | None


class RankingOut(BaseModel):
    """Emails ranked by unsubscribes (or drop-off) within N days of delivery."""

    as_of: str
    days: int
    by: str
    journey: str | None
    emails: list[RankedEmailOut]


@router.get(
    "/journeys/{name:api_journey}/attribution",
    summary="A journey's conversions attributed to touchpoints",
    response_model=AttributionOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def attribution(
    request: Request,
    name: str,
    model: Annotated[
        str, Query(description="first, last, linear, position, markov, a comma list, or all.")
    ] = "all",
    order: Annotated[int, Query(ge=1, le=4, description="Order of the Markov chain.")] = 1,
    view: HumanView = "human",
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentFilters = None,
) -> Any:
    """First-touch, last-touch, linear, position-based and Markov removal-effect credits."""
    opts = segmented(request, report_options(as_of, date_range), segment)
    with about("model"):
        chosen = AttributionOptions(models=parse_models(model), order=order, human=view == "human")
    journey = stored_journey(request, name)
    hw = app_headway(request)
    report = hw.attribution(
        journey, models=chosen.models, order=chosen.order, human=chosen.human, as_of=opts
    )
    return JSONResponse(with_warnings(request, report.to_dict(), journey, opts))


@router.get(
    "/emails/{email_id:path}/influence",
    summary="An email's influence on a journey's progress",
    response_model=InfluenceOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def influence(
    request: Request,
    email_id: str,
    journey: Annotated[str, Query(description="A stored journey's name.")],
    days: Days = 7,
    view: HumanView = "human",
    as_of: AsOf = None,
) -> Any:
    """Recipients at each stage when delivered: advance within N days by engagement, lift."""
    opts = report_options(as_of, None)
    found = stored_journey(request, journey)
    hw = app_headway(request)
    report = hw.email_influence(email_id, found, days=days, human=view == "human", as_of=opts)
    return JSONResponse(report.to_dict())


@router.get(
    "/email-rankings/unsubscribes",
    summary="Emails ranked by unsubscribes (or journey drop-off) after delivery",
    response_model=RankingOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def unsubscribes(
    request: Request,
    days: Days = 7,
    journey: Annotated[
        str | None, Query(description="A stored journey: also count drop-off after each email.")
    ] = None,
    by: Annotated[
        Literal["unsubscribes", "dropoff"], Query(description="Rank by this rate.")
    ] = "unsubscribes",
    as_of: AsOf = None,
) -> Any:
    """Per email: deliveries, unsubscribes within N days, and drop-off with a journey."""
    opts = report_options(as_of, None)
    found = stored_journey(request, journey) if journey else None
    hw = app_headway(request)
    with about("journey"):
        report = hw.email_ranking(by=by, days=days, journey=found, as_of=opts)
    return JSONResponse(report.to_dict())
