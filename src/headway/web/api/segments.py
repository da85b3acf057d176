"""The flow view, CSV of every journey table, cohorts and saved views (docs/api.md).

Every report here takes the same ``as_of``, ``date_range`` and ``segment`` parameters as the
funnel, so a copied URL answers the same numbers the journey page shows.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi import Query as Q
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from headway.api import Headway
from headway.errors import InvalidInput
from headway.web.api._common import (
    ADMIN,
    CSV_OK,
    READ,
    AsOf,
    DateRange,
    HumanView,
    SegmentFilters,
    about,
    csv_cell,
    csv_download,
    errors,
    report_options,
    segmented,
)
from headway.web.api.discovery import WarningOut, with_warnings
from headway.web.app_state import app_headway, stored_journey

router = APIRouter(tags=["segments"])

StageParam = Annotated[str, Q(description="Stage name or 1-based index.")]
Table = Literal[
    "funnel", "trends", "breakdown", "drivers", "stalls", "attribution", "flow", "contacts"
]


class FlowNodeOut(BaseModel):
    """A box of the Sankey: a label at a step (0: the stage, last: the outcomes)."""

    step: int
    label: str
    contacts: int


class FlowLinkOut(BaseModel):
    """Contacts going from one node to another (indices into ``nodes``)."""

    source: int
    target: int
    contacts: int


class FlowOut(BaseModel):
    """What the contacts who reached a stage did before the next one (or until they dropped)."""

    journey: str
    stage: int
    stage_name: str
    next_stage: str
    as_of: str
    steps: int
    contacts: int
    moved_on: int
    dropped: int
    in_progress: int
    nodes: list[FlowNodeOut]
    links: list[FlowLinkOut]
    warnings: list[WarningOut] = []


class CohortIn(BaseModel):
    """Save the contacts at a step of a stored journey's view as a named cohort."""

    name: str = Field(description="The cohort's name (unique).")
    journey: str = Field(description="A stored journey's name.")
    stage: str = Field("1", description="Stage name or 1-based index.")
    status: Literal["reached", "dropped", "in_progress", "stalled", "moving", "converted"] = (
        "reached"
    )
    as_of: str | None = None
    date_range: str | None = None
    segment: list[str] = []


class CohortOut(BaseModel):
    """A saved cohort and how many contacts it holds."""

    name: str
    journey: str | None
    stage: str | None
    status: str | None
    as_of: str | None
    created_at: str
    size: int


class ViewIn(BaseModel):
    """A named view of a journey page: the journey and the page's query string."""

    name: str
    journey: str
    query: str = Field("", description="The page's query string, e.g. as_of=2025-06-30&tab=flow")


class ViewOut(BaseModel):
    """A saved view; ``url`` opens it on the dashboard."""

    name: str
    journey: str
    query: str
    created_at: str
    url: str


@router.get(
    "/journeys/{name:api_journey}/flow",
    summary="What contacts did between a stage and the next (Sankey nodes and links)",
    response_model=FlowOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def flow(
    request: Request,
    name: str,
    stage: StageParam = "1",
    steps: Annotated[int, Q(ge=1, le=20, description="Steps of each path shown.")] = 4,
    top: Annotated[int, Q(ge=1, le=50, description="Labels per step before Other.")] = 6,
    sends: Annotated[bool, Q(description="Show email sends and deliveries too.")] = False,
    view: HumanView = "human",
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentFilters = None,
) -> Any:
    """Nodes per step (type · most telling property; Other beyond ``top``) and the contacts
    between them, each path ending at Reached <next stage>, Dropped or In progress."""
    opts = segmented(request, report_options(as_of, date_range), segment)
    journey = stored_journey(request, name)
    with about("stage"):
        report = app_headway(request).flow(
            journey, stage, steps=steps, top=top, sends=sends, human=view == "human", as_of=opts
        )
    return JSONResponse(with_warnings(request, report.to_dict(), journey, opts))


@router.get(
    "/journeys/{name:api_journey}/csv",
    summary="Any table of the journey page as CSV",
    dependencies=READ,
    responses=errors(401, 403, 404, 422, extra=CSV_OK),
)
def table_csv(
    request: Request,
    name: str,
    table: Annotated[Table, Q(description="Which report's table.")] = "funnel",
    stage: Annotated[str | None, Q(description="Stage (flow, contacts, drivers, stalls).")] = None,
    status: Annotated[str, Q(description="Status of the contacts table.")] = "reached",
    by: Annotated[str | None, Q(description="trends: day/week/month; breakdown: property.")] = None,
    touch: Annotated[str, Q(description="breakdown: first, last or contact.")] = "first",
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentFilters = None,
) -> Any:
    """The rows of a report (the same rows its ``to_pandas()`` gives), through the one CSV
    writer that keeps formula-like cells as text."""
    opts = segmented(request, report_options(as_of, date_range), segment)
    journey = stored_journey(request, name)
    with about(table):
        rows = _rows(app_headway(request), journey, table, stage, status, by, touch, opts)
    return csv_download(f"{journey.name}-{table}.csv", rows, csv_cell)


def _rows(
    hw: Headway,
    journey: Any,
    table: str,
    stage: str | None,
    status: str,
    by: str | None,
    touch: str,
    opts: Any,
) -> list[dict[str, Any]]:
    if table == "funnel":
        return hw.funnel(journey, as_of=opts).rows()
    if table == "trends":
        return hw.trends(journey, by or "week", as_of=opts).rows()
    if table == "breakdown":
        if not by:
            raise InvalidInput("by: give the property or attribute to split by")
        return hw.breakdown(journey, by, touch=touch, as_of=opts).rows()
    if table == "drivers":
        return hw.drivers(journey, stage=stage, as_of=opts).rows()
    if table == "stalls":
        return hw.stalls(journey, stage=stage, as_of=opts).rows()
    if table == "attribution":
        return hw.attribution(journey, as_of=opts).rows()
    if table == "flow":
        return hw.flow(journey, stage or 1, as_of=opts).rows()
    return hw.contacts(journey, stage or 1, status, as_of=opts).rows()


# -- cohorts -----------------------------------------------------------------------------
@router.get(
    "/cohorts",
    summary="The saved cohorts",
    response_model=list[CohortOut],
    dependencies=READ,
    responses=errors(401, 403),
)
def list_cohorts(request: Request) -> Any:
    """Every cohort by name, with its current size (usable as segment=cohort=NAME)."""
    return JSONResponse([c.to_dict() for c in app_headway(request).cohorts()])


@router.post(
    "/cohorts",
    summary="Save the contacts at a step as a named cohort",
    response_model=CohortOut,
    status_code=201,
    dependencies=ADMIN,
    responses=errors(401, 403, 404, 409, 422),
)
def save_cohort(request: Request, body: CohortIn) -> Any:
    """The contacts at ``stage`` with ``status`` of the journey's view (as_of, date_range,
    segment) saved under ``name``; 409 when the name is taken."""
    journey = stored_journey(request, body.journey)
    opts = segmented(request, report_options(body.as_of, body.date_range), body.segment)
    with about("stage"):
        cohort = app_headway(request).save_cohort(
            body.name, journey, body.stage, body.status, as_of=opts
        )
    return JSONResponse(cohort.to_dict(), status_code=201)


@router.delete(
    "/cohorts/{name:path}",
    summary="Delete a cohort",
    status_code=204,
    dependencies=ADMIN,
    responses=errors(401, 403, 404),
)
def delete_cohort(request: Request, name: str) -> Response:
    """Delete the cohort ``name`` (its contacts stay, only the list goes)."""
    app_headway(request).delete_cohort(name)
    return Response(status_code=204)


# -- saved views -------------------------------------------------------------------------
@router.get(
    "/views",
    summary="The saved views of journey pages",
    response_model=list[ViewOut],
    dependencies=READ,
    responses=errors(401, 403),
)
def list_views(
    request: Request,
    journey: Annotated[str | None, Q(description="Only the views of this journey.")] = None,
) -> Any:
    """Every saved view (of ``journey``) by name, with the dashboard URL that opens it."""
    return JSONResponse([_view(v) for v in app_headway(request).views(journey)])


@router.post(
    "/views",
    summary="Save (or replace) a named view of a journey page",
    response_model=ViewOut,
    status_code=201,
    dependencies=ADMIN,
    responses=errors(401, 403, 404, 422),
)
def save_view(request: Request, body: ViewIn) -> Any:
    """Save the journey page's query string under ``name`` (the same name replaces)."""
    journey = stored_journey(request, body.journey)
    saved = app_headway(request).save_view(body.name, journey.name, body.query)
    return JSONResponse(_view(saved), status_code=201)


@router.delete(
    "/views/{name:path}",
    summary="Delete a saved view",
    status_code=204,
    dependencies=ADMIN,
    responses=errors(401, 403, 404),
)
def delete_view(request: Request, name: str) -> Response:
    """Delete the saved view ``name``."""
    app_headway(request).delete_view(name)
    return Response(status_code=204)


def _view(view: Any) -> dict[str, Any]:
    body: dict[str, Any] = view.to_dict()
    query = f"?{view.query}" if view.query else ""
    body["url"] = f"/journeys/{quote(view.journey, safe='')}{query}"
    return body
