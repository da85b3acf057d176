"""What the journey pages show, computed once from a report: formatted cells, links, figures.

Pure functions (no I/O): a ``FunnelReport`` or ``TrendReport`` in, plain dicts out. Plotly
figures are plain JSON (``{"data", "layout"}``) that headway.js draws; a point's
``customdata`` is the contact-list URL a click on it opens.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from headway.engine.funnel.report import FunnelReport, StageRow
from headway.engine.funnel.trends import TrendReport

ACCENT = "#2f5fd0"
COLOURS = {"dropped": "#c8553d", "moving": "#6f8fdc", "stalled": "#e0a030", "converted": "#1f8a5b"}
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13}
STATUS_LABELS = {
    "reached": "reached",
    "dropped": "dropped",
    "in_progress": "in progress",
    "stalled": "stalled",
    "moving": "in progress, not stalled",
}


def journey_path(name: str, *rest: str) -> str:
    """The dashboard path of a journey (its name one percent-encoded segment) plus ``rest``."""
    return "/".join(["/journeys", quote(name, safe=""), *rest])


def contacts_url(name: str, stage: int, status: str, query: Mapping[str, str]) -> str:
    """The contact list of ``stage`` (1-based) with ``status``, in the page's view."""
    params = {"stage": str(stage), "status": status, **query}
    return journey_path(name, "contacts") + "?" + urlencode(params)


def percent(value: float | None) -> str:
    """``0.2895`` as ``29.0%``; a dash when there is nothing to divide by."""
    return "—" if value is None else f"{value * 100:.1f}%"


def count(value: int) -> str:
    """A count with thousands separators."""
    return f"{value:,}"


def duration(seconds: float | None) -> str:
    """A duration a marketer reads at a glance: ``45 s``, ``12 min``, ``5.3 h``, ``6.6 days``."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3_600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86_400:
        return f"{_one_decimal(seconds / 3_600)} h"
    days = _one_decimal(seconds / 86_400)
    return f"{days} day" if days == "1" else f"{days} days"


def _one_decimal(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def when(ts: datetime | None) -> str:
    """A UTC instant to the minute (``2025-06-29 23:59``); a dash when absent."""
    return "—" if ts is None else ts.strftime("%Y-%m-%d %H:%M")


def chart_text(name: str) -> str:
    """A name as Plotly text: its pseudo-HTML (``<b>``, ``<br>``, ``&amp;``) escaped, so the
    chart shows the name verbatim, as the page's tables do."""
    return html.escape(name, quote=False)


def stage_rows(report: FunnelReport, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """The stage table: formatted numbers and the contact-list link of every figure."""
    return [_stage_row(report.journey, s, query) for s in report.stages]


def _stage_row(journey: str, s: StageRow, query: Mapping[str, str]) -> dict[str, Any]:
    prev = s.time_from_previous
    return {
        "index": s.index,
        "name": s.name,
        "reached": count(s.reached),
        "from_previous": percent(s.conversion_from_previous),
        "from_first": percent(s.conversion_from_first),
        "dropped": count(s.dropped),
        "in_progress": count(s.in_progress),
        "stalled": count(s.stalled),
        "median": duration(prev.median if prev else None),
        "p90": duration(prev.p90 if prev else None),
        "kpi": f"{count(s.reached)} of {count(s.kpi)} ({percent(s.kpi_share)})" if s.kpi else "",
        "links": {
            status: contacts_url(journey, s.index, status, query) for status in STATUS_LABELS
        },
    }


def stalled_total(report: FunnelReport) -> int:
    """Contacts stalled at any stage."""
    return sum(s.stalled for s in report.stages)


def in_progress_total(report: FunnelReport) -> int:
    """Contacts still on their way at any stage."""
    return sum(s.in_progress for s in report.stages)


def _layout(n_rows: int, xaxis: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    xaxis = xaxis or {}
    return {
        "height": 90 + 56 * max(n_rows, 1),
        "margin": {"l": 10, "r": 20, "t": 10, "b": 40},
        "font": FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "yaxis": {"autorange": "reversed", "automargin": True, "ticksuffix": "  "},
        "hoverlabel": {"font": FONT},
        **extra,
        "xaxis": {"gridcolor": "#e6e9ef", "zeroline": False, "automargin": True, **xaxis},
    }


def funnel_figure(report: FunnelReport, query: Mapping[str, str]) -> dict[str, Any]:
    """Reached per stage as bars labelled with % of previous and % of first; click: contacts.

    ``narrow`` holds shorter labels and more room for them, for phone-width screens.
    """
    stages = report.stages
    top = max((s.reached for s in stages), default=0) or 1
    bar = {
        "type": "bar",
        "orientation": "h",
        "name": "Reached",
        "y": [chart_text(s.name) for s in stages],
        "x": [s.reached for s in stages],
        "text": [
            f"{count(s.reached)} · {percent(s.conversion_from_previous)} of previous"
            f" · {percent(s.conversion_from_first)} of first"
            for s in stages
        ],
        "textposition": "outside",
        "cliponaxis": False,
        "marker": {"color": ACCENT},
        "customdata": [contacts_url(report.journey, s.index, "reached", query) for s in stages],
        "hovertemplate": "%{y}: %{x:,} reached<br>Click to list them<extra></extra>",
    }
    axis = {"title": {"text": "contacts reached"}, "range": [0, top * 1.65]}
    layout = _layout(len(stages), showlegend=False, xaxis=axis)
    short = [
        f"{count(s.reached)}<br>{percent(s.conversion_from_previous)} · "
        f"{percent(s.conversion_from_first)}"
        for s in stages
    ]
    narrow = {"data": [{"text": short}], "layout": {"xaxis": {**axis, "range": [0, top * 2.1]}}}
    return {"data": [bar], "layout": layout, "narrow": narrow}


def outcomes_figure(report: FunnelReport, query: Mapping[str, str]) -> dict[str, Any]:
    """Where contacts stopped: dropped / in progress (moving) / stalled per stage, stacked."""
    stages = report.stages
    names = [chart_text(s.name) for s in stages]
    last = len(stages)

    def trace(label: str, colour: str, status: str, values: list[int]) -> dict[str, Any]:
        urls = [contacts_url(report.journey, s.index, status, query) for s in stages]
        return {
            "type": "bar",
            "orientation": "h",
            "name": label,
            "y": names,
            "x": values,
            "marker": {"color": colour},
            "customdata": urls,
            "hovertemplate": f"%{{y}}: %{{x:,}} {label.lower()}<br>Click to list them<extra></extra>",
        }

    converted = [s.reached if s.index == last else 0 for s in stages]
    data = [
        trace("Dropped", COLOURS["dropped"], "dropped", [s.dropped for s in stages]),
        trace(
            "In progress",
            COLOURS["moving"],
            "moving",
            [s.in_progress - s.stalled for s in stages],
        ),
        trace("Stalled", COLOURS["stalled"], "stalled", [s.stalled for s in stages]),
        trace("Converted", COLOURS["converted"], "reached", converted),
    ]
    legend = {"orientation": "h", "y": -0.25, "x": 0, "traceorder": "normal"}
    layout = _layout(len(stages), barmode="stack", legend=legend)
    layout["margin"] = {**layout["margin"], "b": 70}
    return {"data": data, "layout": layout}


def trend_figure(report: TrendReport) -> dict[str, Any]:
    """Conversion by entry week (line) over the number who entered (light bars)."""
    weeks = [str(p.label) for p in report.periods]
    entered = {
        "type": "bar",
        "name": "Entered",
        "x": weeks,
        "y": [p.entered for p in report.periods],
        "yaxis": "y2",
        "marker": {"color": "#dfe5f3"},
        "hovertemplate": "week of %{x|%d %b %Y}: %{y:,} entered<extra></extra>",
    }
    conversion = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": "Conversion",
        "x": weeks,
        "y": [p.conversion for p in report.periods],
        "line": {"color": ACCENT, "width": 2.5},
        "hovertemplate": "week of %{x|%d %b %Y}: %{y:.1%} converted<extra></extra>",
    }
    layout = {
        "height": 320,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
        "font": FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {"type": "date", "automargin": True},
        "yaxis": {"tickformat": ".1%", "rangemode": "tozero", "automargin": True,
                  "gridcolor": "#e6e9ef", "title": {"text": "conversion"}},
        "yaxis2": {"overlaying": "y", "side": "right", "showgrid": False, "automargin": True,
                   "rangemode": "tozero", "title": {"text": "entered"}},
        "legend": {"orientation": "h", "y": 1.12, "x": 0},
        "hoverlabel": {"font": FONT},
    }  # fmt: skip
    return {"data": [entered, conversion], "layout": layout}


def trend_rows(report: TrendReport) -> list[dict[str, str]]:
    """The trend as table rows (the chart's accessible twin)."""
    return [
        {
            "week": str(p.label),
            "entered": count(p.entered),
            "converted": count(p.converted),
            "conversion": percent(p.conversion),
        }
        for p in report.periods
    ]
