"""Dashboard: the journeys list and the journey page (funnel, stages, trend, breakdown).

A journey page costs one matcher run: the funnel and the trend come from the same
``Matched`` (and the same outcomes); a breakdown runs only when the picker asks for one.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.routing import Match

from headway.api import TOUCHES, BreakdownReport, FunnelReport, Headway
from headway.errors import HeadwayError, InvalidInput
from headway.model.journey import Journey
from headway.web.auth import page_scope
from headway.web.dashboard import journey_figures as fig
from headway.web.dashboard.analysis_figures import breakdown_figure
from headway.web.dashboard.journey_view import (
    View,
    canonical_redirect,
    stored_journey,
    view_context,
    view_from,
)
from headway.web.dashboard.segment_panels import segment_context
from headway.web.templating import render

router = APIRouter()
PANELS = (  # lazy
    "stalls", "drivers", "attribution", "flow", "compare", "time_to_convert", "actions", "live",
)  # fmt: skip
TOUCH_LABELS = {"first": "first touch", "last": "last touch", "contact": "contact attribute"}


@router.get("/")
def home() -> RedirectResponse:
    """The dashboard opens on the journeys list."""
    return RedirectResponse("/journeys", status_code=307)


@router.get("/journeys")
def journeys_list(request: Request, _: Any = Depends(page_scope("read"))) -> Response:
    """Every stored journey with entered, converted, conversion and stalled."""
    redirect = canonical_redirect(request)
    if redirect is not None:
        return redirect
    hw: Headway = request.app.state.headway
    view = view_from(request)
    rows = [_summary(hw, stored.name, view) for stored in hw.journeys()]
    context = {"nav": "journeys", "rows": rows, **view_context(hw, view)}
    return render(request, "journeys.html", context)


def _summary(hw: Headway, name: str, view: View) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "href": fig.journey_path(name), "query": view.query()}
    try:
        report = _funnel(hw, stored_journey(hw, name), view)
    except HeadwayError as err:  # one broken journey must not hide the others
        return {**row, "error": err.message}
    return {
        **row,
        "stages": len(report.stages),
        "entered": fig.count(report.entered),
        "converted": fig.count(report.converted),
        "conversion": fig.percent(report.converted / report.entered if report.entered else None),
        "in_progress": fig.count(fig.in_progress_total(report)),
        "stalled": fig.count(fig.stalled_total(report)),
    }


def _funnel(hw: Headway, journey: Journey, view: View) -> FunnelReport:
    return hw.funnel(
        journey, as_of=view.as_of, date_range=view.date_range_text, segment=view.segment
    )


@router.get("/journeys/{name:journey}")
def journey_page(
    request: Request,
    name: str,
    by: str | None = None,
    touch: str = "first",
    trend: str = "week",
    _: Any = Depends(page_scope("read")),
) -> Response:
    """One journey: funnel, outcomes, stage table, trend (by day, week or month), breakdown
    and lazy panels."""
    redirect = canonical_redirect(request)
    if redirect is not None:
        return redirect
    started = time.perf_counter()
    hw: Headway = request.app.state.headway
    view = view_from(request)
    journey = stored_journey(hw, name)
    funnel = _funnel(hw, journey, view)
    # Cached with the match: the counts per entry period do not change with as_of.
    trend_report = hw.trends(
        journey, trend, as_of=view.as_of, date_range=view.date_range_text, segment=view.segment
    )
    query = view.query()
    context = {
        "nav": "journeys",
        "journey": journey,
        "funnel": funnel,
        "window": fig.duration(journey.window_seconds),
        "conversion": fig.percent(funnel.converted / funnel.entered if funnel.entered else None),
        "stalled": fig.count(fig.stalled_total(funnel)),
        "in_progress": fig.count(fig.in_progress_total(funnel)),
        "stage_rows": fig.stage_rows(funnel, query),
        "funnel_figure": fig.funnel_figure(funnel, query),
        "outcomes_figure": fig.outcomes_figure(funnel, query),
        "trend_figure": fig.trend_figure(trend_report),
        "trend_rows": fig.trend_rows(trend_report),
        "trend_by": trend,
        "trend_links": _trend_links(request, trend),
        "panels": {p: _panel(request, journey.name, p) for p in PANELS},
        "edit_href": fig.journey_path(journey.name, "edit"),
        "warnings": hw.warnings(journey, as_of=view.as_of, date_range=view.date_range_text),
        **_breakdown_context(hw, journey, view, by, touch),
        **view_context(
            hw,
            view,
            {
                "by": by or "",
                "touch": touch if by else "",
                "trend": "" if trend == "week" else trend,
                "segment": query.get("segment", ""),
            },
        ),
        **segment_context(request, journey, view),
    }
    page = render(request, "journey.html", context)
    page.headers["Server-Timing"] = f"page;dur={(time.perf_counter() - started) * 1000:.1f}"
    return page


def _trend_links(request: Request, current: str) -> list[dict[str, Any]]:
    """The day / week / month choices of the trend: this page's URL with ``trend`` set."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "trend"]
    return [
        {
            "by": by,
            "href": "?"
            + urlencode([*kept, *([("trend", by)] if by != "week" else [])])
            + "#trend-title",
            "current": by == current,
        }
        for by in ("day", "week", "month")
    ]


def _panel(request: Request, journey: str, panel: str) -> str | None:
    """The panel's fragment URL, or None while no route serves it (no request bound to 404)."""
    path = fig.journey_path(journey, "panels", panel)
    scope = {"type": "http", "method": "GET", "path": unquote(path), "root_path": ""}
    served = any(r.matches(scope)[0] == Match.FULL for r in request.app.router.routes)
    return path if served else None


def _breakdown_context(
    hw: Headway, journey: Journey, view: View, by: str | None, touch: str
) -> dict[str, Any]:
    by = (by or "").strip() or None
    context: dict[str, Any] = {
        "by": by or "",
        "touch": touch,
        "touches": TOUCH_LABELS,
        "suggestions": hw.field_name_suggestions(),
        "breakdown": None,
        "breakdown_error": None,
    }
    if by is None:
        return context
    try:
        if touch not in TOUCHES:
            raise InvalidInput(f"touch: '{touch}' is not one of {', '.join(TOUCHES)}")
        report = hw.breakdown(
            journey,
            by,
            touch=touch,
            as_of=view.as_of,
            date_range=view.date_range_text,
            segment=view.segment,
        )
    except HeadwayError as err:  # a bad property name is a note in the picker, not a 422 page
        return {**context, "breakdown_error": err.message}
    rows = _breakdown_rows(report)
    return {**context, "breakdown": rows, "breakdown_figure": breakdown_figure(report)}


def _breakdown_rows(report: BreakdownReport) -> dict[str, Any]:
    rows = [
        {
            "value": str(c.label),
            "entered": fig.count(c.entered),
            "reached": [fig.count(r) for r in c.reached],
            "converted": fig.count(c.converted),
            "conversion": fig.percent(c.conversion),
        }
        for c in report.values
    ]
    return {"stages": report.stage_names, "rows": rows, "by": report.by, "touch": report.touch}
