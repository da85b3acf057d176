"""Analysis reports of a journey: two date ranges side by side, and the time to convert.

Each answer is the service report's ``to_dict()``: the very JSON ``headway compare --json`` and
``headway time-to-convert --json`` print (docs/reports.md). This module sorts before
``journeys``, so its routes are tried before ``/journeys/{name}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from headway.web.api._common import (
    READ,
    AsOf,
    DateRange,
    SegmentFilters,
    about,
    errors,
    report_options,
    segment_of,
)
from headway.web.api.discovery import WarningOut, with_warnings
from headway.web.app_state import app_headway, stored_journey

router = APIRouter(tags=["reports"])


class ChangeOut(BaseModel):
    """A conversion in range A and in range B, the change, B/A with its 95 % interval and
    Fisher's exact p (null where a range has nobody to convert or a share is 0)."""

    base_a: int
    converted_a: int
    base_b: int
    converted_b: int
    conversion_a: float | None
    conversion_b: float | None
    change: float | None
    ratio: float | None
    ratio_low: float | None
    ratio_high: float | None
    p: float | None


class StageCompareOut(BaseModel):
    """One stage: reached in each range and its conversion from the previous stage."""

    index: int
    name: str
    reached_a: int
    reached_b: int
    from_previous: ChangeOut | None


class RangeOut(BaseModel):
    """A date range (inclusive; either end may be open)."""

    start: str | None
    end: str | None


class CompareOut(BaseModel):
    """A journey over two date ranges, side by side (docs/reports.md "Compare")."""

    journey: str
    as_of: str
    range_a: RangeOut | None
    range_b: RangeOut | None
    stages: list[StageCompareOut]
    overall: ChangeOut
    warnings: list[WarningOut] = []


class BinOut(BaseModel):
    """Contacts whose wait was at least ``low_seconds`` and under ``high_seconds``."""

    label: str
    low_seconds: int
    high_seconds: int | None
    contacts: int


class SummaryOut(BaseModel):
    """Mean, median and p90 of the waits, in seconds, and the funnel's histogram."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None
    histogram: dict[str, int]


class StepTimesOut(BaseModel):
    """One step: the waits of the contacts who moved on, binned."""

    from_stage: int
    to_stage: int
    from_name: str
    to_name: str
    converted: int
    summary: SummaryOut
    bins: list[BinOut]


class TimeToConvertOut(BaseModel):
    """Per step, the histogram of times to convert (docs/reports.md "Time to convert")."""

    journey: str
    as_of: str
    steps: list[StepTimesOut]
    warnings: list[WarningOut] = []


RangeParam = Annotated[
    str, Query(description="A date range FROM..TO (e.g. 2025-04-01..2025-04-30).", min_length=1)
]


@router.get(
    "/journeys/{name:api_journey}/compare",
    summary="The journey over two date ranges side by side, with the change and its significance",
    response_model=CompareOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def compare(
    request: Request,
    name: str,
    range_a: RangeParam,
    range_b: RangeParam,
    as_of: AsOf = None,
    segment: SegmentFilters = None,
) -> Any:
    """Per stage: reached and conversion in each range, the change, B/A (95 % CI) and p."""
    opts = report_options(as_of, None)
    journey = stored_journey(request, name)
    report = app_headway(request).compare(
        journey, range_a, range_b, as_of=opts.as_of, segment=segment_of(request, segment)
    )
    return JSONResponse(with_warnings(request, report.to_dict(), journey, opts))


@router.get(
    "/journeys/{name:api_journey}/time-to-convert",
    summary="Per step, the histogram of how long contacts took to move on",
    response_model=TimeToConvertOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def time_to_convert(
    request: Request,
    name: str,
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentFilters = None,
) -> Any:
    """Per step: the waits between the exact stage times, in bins of human units."""
    opts = report_options(as_of, date_range)
    journey = stored_journey(request, name)
    with about("date_range"):
        report = app_headway(request).time_to_convert(
            journey,
            as_of=opts.as_of,
            date_range=opts.date_range,
            segment=segment_of(request, segment),
        )
    return JSONResponse(with_warnings(request, report.to_dict(), journey, opts))
