"""Journey reports: funnel, trends, breakdown, and the contacts at a stage (JSON or CSV).

Each report is computed by ``app.state.headway`` (the Python API) and answered as its
``to_dict()``: the very JSON ``headway funnel --json`` (etc.) prints. Journeys are looked up
by stored name only (never as a file on the server).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from headway.api import ContactList, resolve_stage
from headway.safe_csv import csv_chunks
from headway.web.api._common import (
    CSV_OK,
    MAX_OFFSET,
    READ,
    AsOf,
    DateRange,
    SegmentFilters,
    about,
    csv_attachment,
    csv_cell,
    errors,
    page_link,
    report_options,
    segment_of,
)
from headway.web.api.discovery import WarningOut, with_warnings
from headway.web.app_state import app_headway, stored_journey

router = APIRouter(tags=["reports"])

DEFAULT_PAGE = 100
MAX_PAGE = 10_000


class DurationsOut(BaseModel):
    """Durations in seconds over the contacts reaching a stage (null when none did)."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None
    histogram: dict[str, int]


class StageOut(BaseModel):
    """One stage of a funnel."""

    index: int
    name: str
    reached: int
    conversion_from_previous: float | None
    conversion_from_first: float | None
    dropped: int
    in_progress: int
    stalled: int
    stall_after_seconds: float | None
    kpi: int | None
    kpi_share: float | None
    time_from_previous: DurationsOut
    time_from_entry: DurationsOut


class FunnelOut(BaseModel):
    """A journey's funnel at ``as_of`` (the JSON of ``headway funnel --json``)."""

    journey: str
    order: str
    window_seconds: int
    as_of: str
    date_range: list[str | None] | None
    entered: int
    converted: int
    conversion: float | None
    stages: list[StageOut]
    warnings: list[WarningOut] = []


class PeriodOut(BaseModel):
    """The contacts who entered in one period (its first day) and how far they got."""

    period: str
    entered: int
    converted: int
    conversion: float | None
    reached: list[int]


class TrendsOut(BaseModel):
    """Conversion by entry period (weeks start on Monday, UTC)."""

    journey: str
    by: str
    as_of: str
    stages: list[str]
    periods: list[PeriodOut]
    warnings: list[WarningOut] = []


class ValueOut(BaseModel):
    """The funnel of the contacts with one value."""

    value: str
    entered: int
    converted: int
    conversion: float | None
    reached: list[int]


class BreakdownOut(BaseModel):
    """The funnel per value (most entered first; ``(other)`` beyond ``top``)."""

    journey: str
    by: str
    touch: str
    as_of: str
    stages: list[str]
    values: list[ValueOut]
    warnings: list[WarningOut] = []


class StageRef(BaseModel):
    """A stage by 1-based index and name."""

    index: int
    name: str


class ContactAtStageOut(BaseModel):
    """A contact's place in the journey and the time it reached each stage."""

    contact: str
    reached: int
    last_stage: str
    status: str
    stalled: bool
    stage_times: dict[str, str | None]


class ContactsOut(BaseModel):
    """A page of the contacts at a stage with a status."""

    journey: str
    stage: StageRef
    status: str
    as_of: str
    total: int
    offset: int
    limit: int | None
    next: str | None
    contacts: list[ContactAtStageOut]
    warnings: list[WarningOut] = []


@router.get(
    "/journeys/{name:api_journey}/funnel",
    summary="A journey's funnel",
    response_model=FunnelOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def funnel(
    request: Request,
    name: str,
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentFilters = None,
) -> Any:
    """Reached, conversion, dropped / in progress / stalled and times, per stage."""
    opts = report_options(as_of, date_range)
    journey = stored_journey(request, name)
    report = app_headway(request).funnel(
        journey, as_of=opts.as_of, date_range=opts.date_range, segment=segment_of(request, segment)
    )
    return JSONResponse(with_warnings(request, report.to_dict(), journey, opts))


@router.get(
    "/journeys/{name:api_journey}/trends",
    summary="Conversion by entry day, week or month",
    response_model=TrendsOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def trends(
    request: Request,
    name: str,
    by: Annotated[Literal["day", "week", "month"], Query(description="Entry period.")] = "week",
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentFilters = None,
) -> Any:
    """Entered, converted and stage counts per period of the contacts' entries."""
    opts = report_options(as_of, date_range)
    journey = stored_journey(request, name)
    report = app_headway(request).trends(
        journey,
        by,
        as_of=opts.as_of,
        date_range=opts.date_range,
        segment=segment_of(request, segment),
    )
    return JSONResponse(with_warnings(request, report.to_dict(), journey, opts))


@router.get(
    "/journeys/{name:api_journey}/breakdown",
    summary="The funnel split by a property or contact attribute",
    response_model=BreakdownOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def breakdown(
    request: Request,
    name: str,
    by: Annotated[str, Query(description="Property name (attribute name with touch=contact).")],
    touch: Annotated[
        Literal["first", "last", "contact"],
        Query(description="first: entry activity; last: last stage reached; contact: attribute."),
    ] = "first",
    top: Annotated[int, Query(ge=1, le=1000, description="Values before '(other)'.")] = 10,
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentFilters = None,
) -> Any:
    """Entered, converted and stage counts per value, most entered first."""
    opts = report_options(as_of, date_range)
    journey = stored_journey(request, name)
    with about("by"):
        report = app_headway(request).breakdown(
            journey,
            by,
            touch=touch,
            top=top,
            as_of=opts.as_of,
            date_range=opts.date_range,
            segment=segment_of(request, segment),
        )
    return JSONResponse(with_warnings(request, report.to_dict(), journey, opts))


@router.get(
    "/journeys/{name:api_journey}/contacts",
    summary="The contacts at a stage with a status (JSON pages or a CSV download)",
    response_model=ContactsOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422, extra=CSV_OK),
)
def contacts(
    request: Request,
    name: str,
    stage: Annotated[str, Query(description="Stage name or 1-based index.")] = "1",
    status: Annotated[
        Literal["reached", "dropped", "in_progress", "stalled", "moving", "converted"],
        Query(description="Who reached the stage, or who stopped there dropped / in progress."),
    ] = "reached",
    limit: Annotated[
        int | None,
        Query(ge=1, le=MAX_PAGE, description=f"Page size (JSON default {DEFAULT_PAGE}; CSV: all)."),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Contacts to skip.")] = 0,
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(description="csv for a download (also chosen by Accept: text/csv)."),
    ] = None,
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentFilters = None,
) -> Any:
    """A page of contacts ordered by id, with the total and the next page's URL."""
    opts = report_options(as_of, date_range)
    journey = stored_journey(request, name)
    with about("stage"):
        index = resolve_stage(journey, stage)
    as_csv = format == "csv" or (format is None and _wants_csv(request))
    page_size = limit if limit is not None or as_csv else DEFAULT_PAGE
    found = app_headway(request).contacts(
        journey,
        index + 1,
        status,
        offset=offset,
        limit=page_size,
        as_of=opts.as_of,
        date_range=opts.date_range,
        segment=segment_of(request, segment),
    )
    if as_csv:
        return _csv_download(found)
    body = found.to_dict()
    body["next"] = page_link(request, offset, page_size, found.total)
    return JSONResponse(with_warnings(request, body, journey, opts))


def _wants_csv(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def _csv_download(found: ContactList) -> StreamingResponse:
    filename = f"{found.journey}-{found.stage_name}-{found.status}.csv"
    return csv_attachment(filename, _csv_chunks(found.rows(), found.stage_names))


def _csv_chunks(rows: list[dict[str, Any]], stage_names: tuple[str, ...]) -> Iterator[str]:
    """The CSV text in pieces (header first), formula-like cells kept as text."""
    columns = ["contact", "reached", "last_stage", "status", "stalled"]
    columns += [f"t_{n}" for n in stage_names]
    lines = ([csv_cell(r[c]) for c in columns] for r in rows)
    return csv_chunks(columns, lines, lineterminator="\r\n")
