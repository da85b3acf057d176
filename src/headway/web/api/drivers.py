"""Drivers and stalls of a journey (issue 6, items 1 and 3).

Each answer is the engine report's ``to_dict()``: the very JSON ``headway drivers --json`` and
``headway stalls --json`` print. Journeys are looked up by stored name only. This module sorts
before ``journeys``, so its routes are tried before ``/journeys/{name}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from headway.api import DEFAULT_LIMIT, DEFAULT_MIN_SUPPORT
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

router = APIRouter(tags=["drivers"])

Stage = Annotated[
    str | None,
    Query(description="Only this stage (1-based number or name) and its next transition."),
]
MinSupport = Annotated[
    int, Query(ge=1, description="Contacts a touchpoint needs before it is tested.")
]


class DriverOut(BaseModel):
    """One touchpoint of a transition: its 2×2 table, ratios with 95 % intervals, p and q."""

    touchpoint: str
    label: str
    support: int
    with_advanced: int
    with_not_advanced: int
    without_advanced: int
    without_not_advanced: int
    rate_with: float | None
    rate_without: float | None
    rate_ratio: float | None
    rate_ratio_low: float | None
    rate_ratio_high: float | None
    odds_ratio: float | None
    odds_ratio_low: float | None
    odds_ratio_high: float | None
    p: float
    q: float
    sentence: str
    warnings: list[str]
    effect: str
    excluded_reason: str | None


class ExcludedOut(BaseModel):
    """A touchpoint left out of a transition by default, and why (docs/drivers.md)."""

    touchpoint: str
    label: str
    kind: Literal["stage_condition", "later_stage", "journey_email"]
    reason: str
    contacts: int


class TransitionOut(BaseModel):
    """The drivers of one transition, most significant first."""

    from_stage: int
    to_stage: int
    from_name: str
    to_name: str
    kind: str
    population: int
    advanced: int
    in_progress_left_out: int
    touchpoints_seen: int
    tested: int
    warnings: list[str]
    drivers: list[DriverOut]
    excluded: list[ExcludedOut]


class DriversOut(BaseModel):
    """What moves contacts forward, per transition (docs/drivers.md)."""

    journey: str
    as_of: str
    view: str
    min_support: int
    include_excluded: bool
    transitions: list[TransitionOut]
    warnings: list[WarningOut] = []


class StallsOut(BaseModel):
    """Per stage: stalled contacts with their last touchpoints, and the touchpoints
    over-represented among them (docs/drivers.md)."""

    journey: str
    as_of: str
    view: str
    min_support: int
    stages: list[dict[str, Any]]
    warnings: list[WarningOut] = []


@router.get(
    "/journeys/{name:api_journey}/drivers",
    summary="What moves contacts forward: touchpoints per transition",
    response_model=DriversOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def drivers(
    request: Request,
    name: str,
    stage: Stage = None,
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentFilters = None,
    min_support: MinSupport = DEFAULT_MIN_SUPPORT,
    view: HumanView = "human",
    include_excluded: Annotated[
        bool,
        Query(
            description="Also test the touchpoints left out by default: activities matching the "
            "condition of a stage the transition spans or of a later stage, and sends of the "
            "journey's own emails (listed under excluded otherwise)."
        ),
    ] = False,
) -> Any:
    """Per transition: touchpoints with the rate ratio read aloud (95 % CI), raw rates,
    odds ratio, p, q and support; the touchpoints left out and why."""
    opts = segmented(request, report_options(as_of, date_range), segment)
    journey = stored_journey(request, name)
    hw = app_headway(request)
    with about("stage"):
        report = hw.drivers(
            journey,
            stage=stage,
            min_support=min_support,
            human=view == "human",
            as_of=opts,  # the journey page's match, shared through the service's cache
            include_excluded=include_excluded,
        )
    return JSONResponse(with_warnings(request, report.to_dict(), journey, opts))


@router.get(
    "/journeys/{name:api_journey}/stalls",
    summary="Where contacts stall, what they did last, and what goes with stalling",
    response_model=StallsOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def stalls(
    request: Request,
    name: str,
    stage: Stage = None,
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentFilters = None,
    limit: Annotated[int, Query(ge=0, le=10_000, description="Contacts per stage.")] = (
        DEFAULT_LIMIT
    ),
    min_support: MinSupport = DEFAULT_MIN_SUPPORT,
    view: HumanView = "human",
) -> Any:
    """Per stage: stalled contacts (longest first) and over-represented touchpoints."""
    opts = segmented(request, report_options(as_of, date_range), segment)
    journey = stored_journey(request, name)
    hw = app_headway(request)
    with about("stage"):
        report = hw.stalls(
            journey,
            stage=stage,
            min_support=min_support,
            human=view == "human",
            limit=limit,
            as_of=opts,  # the journey page's match, shared through the service's cache
        )
    return JSONResponse(with_warnings(request, report.to_dict(), journey, opts))
