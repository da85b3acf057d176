"""Dashboard fragments (lazy panels, #12.4): two date ranges side by side, and the time to
convert per step.

``/journeys/{name}/panels/compare``: a form for range A and range B (``compare_a`` and
``compare_b`` in the page's URL; by default the 28 days up to ``as_of`` against the 28 days
before), the grouped-bar chart of reached per stage and the table of conversions, changes,
B/A with its interval and p. ``/journeys/{name}/panels/time_to_convert``: one histogram per
step. Both take the page's query string (``as_of``, ``date_range``, ``segment``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from headway.errors import HeadwayError
from headway.web.app_state import app_headway
from headway.web.auth import page_scope
from headway.web.dashboard import analysis_figures as figs
from headway.web.dashboard._formats import FMT, SIGNIFICANT
from headway.web.dashboard.journey_view import stored_journey, view_from
from headway.web.templating import render

router = APIRouter()
DEFAULT_DAYS = 28  # each default range: four whole weeks


def default_ranges(as_of_day: date) -> tuple[str, str]:
    """Range A and B when the URL names none: the 28 days before the last 28 up to ``as_of``."""

    def back(day: date, days: int) -> date:
        # Clamped at the first representable day, so an as_of near year 1 still answers.
        return date.fromordinal(max(1, day.toordinal() - days))

    b_start = back(as_of_day, DEFAULT_DAYS - 1)
    a_end = back(b_start, 1)
    a_start = back(a_end, DEFAULT_DAYS - 1)
    return f"{a_start}..{a_end}", f"{b_start}..{as_of_day}"


def change_text(value: float | None) -> str:
    """A change of shares in percentage points: ``+4.7 pts``."""
    return "–" if value is None else f"{value * 100:+.1f} pts"


def ratio_text(value: float | None, low: float | None, high: float | None) -> str:
    """``1.55× (1.03–2.34)``, or an en dash when there is no ratio."""
    if value is None or low is None or high is None:
        return "–"
    return f"{value:.2f}× ({low:.2f}–{high:.2f})"


def p_text(p: float | None) -> str:
    """Two significant digits, or an en dash."""
    return "–" if p is None else f"{p:.2g}"


@router.get("/journeys/{name:journey}/panels/compare", response_class=HTMLResponse)
def compare_panel(
    request: Request, name: str, _: object = Depends(page_scope("read"))
) -> HTMLResponse:
    """Range A and range B side by side: chart, table, change and significance."""
    hw = app_headway(request)
    view = view_from(request)
    journey = stored_journey(hw, name)
    params = request.query_params
    default_a, default_b = default_ranges(view.as_of.date())
    range_a = (params.get("compare_a") or "").strip() or default_a
    range_b = (params.get("compare_b") or "").strip() or default_b
    context: dict[str, Any] = {
        "range_a": range_a,
        "range_b": range_b,
        "hidden": [(k, v) for k, v in params.multi_items() if k not in ("compare_a", "compare_b")],
        "report": None,
        "error": None,
        "fmt": FMT,
        "change": change_text,
        "ratio": ratio_text,
        "p_text": p_text,
        "significant": SIGNIFICANT,
    }
    try:
        report = hw.compare(
            journey, range_a, range_b, as_of=view.as_of, segment=list(view.segment) or None
        )
    except HeadwayError as err:  # a bad range is a note beside the form, not an error page
        context["error"] = err.message
        return render(request, "panels/compare.html", context)
    labels = (f"A: {range_a}", f"B: {range_b}")
    context.update(report=report, figure=figs.compare_figure(report, labels))
    return render(request, "panels/compare.html", context)


@router.get("/journeys/{name:journey}/panels/time_to_convert", response_class=HTMLResponse)
def time_to_convert_panel(
    request: Request, name: str, _: object = Depends(page_scope("read"))
) -> HTMLResponse:
    """Per step, the histogram of how long contacts took to move on."""
    hw = app_headway(request)
    view = view_from(request)
    journey = stored_journey(hw, name)
    report = hw.time_to_convert(
        journey,
        as_of=view.as_of,
        date_range=view.date_range_text,
        segment=list(view.segment) or None,
    )
    steps = [
        {"step": s, "figure": figs.time_figure(report, i), "id": f"ttc-{i + 1}"}
        for i, s in enumerate(report.steps)
    ]
    return render(request, "panels/time_to_convert.html", {"steps": steps, "fmt": FMT})
