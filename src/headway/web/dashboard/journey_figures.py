"""What the journey pages show, computed once from a report: formatted cells, links, figures.

Pure functions (no I/O): a ``FunnelReport`` or ``TrendReport`` in, plain dicts out. Plotly
figures are plain JSON (``{"data", "layout"}``) that headway.js draws; a point's
``customdata`` is the contact-list URL a click on it opens.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from headway.api import FunnelReport, StageRow, TrendReport
from headway.web.dashboard._formats import duration

ACCENT = "#2f5fd0"
COLOURS = {"dropped": "#c8553d", "moving": "#8fa8e6", "stalled": "#e0a030", "converted": "#1f8a5b"}
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


EMPTY = "No contact entered this journey in this view, so there is nothing to draw."


def count_axis(top: float, ticks: int = 5) -> dict[str, Any]:
    """An axis of whole contacts: ticks on a round step of at least 1, never ``0.5``."""
    raw = max(top, 1) / ticks
    magnitude = 10 ** max(0, math.floor(math.log10(raw)))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return {"tick0": 0, "dtick": step, "tickformat": "~s", "rangemode": "tozero"}


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

    ``narrow`` holds shorter labels and more room for them, for phone-width screens; with
    nobody entered, ``empty`` says so instead of drawing axes around nothing.
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
    layout = _layout(len(stages), showlegend=False, xaxis={**axis, **count_axis(top * 1.65)})
    short = [
        f"{count(s.reached)}<br>{percent(s.conversion_from_previous)} · "
        f"{percent(s.conversion_from_first)}"
        for s in stages
    ]
    narrow_axis = {**layout["xaxis"], "range": [0, top * 2.1], **count_axis(top * 2.1, 3)}
    narrow = {"data": [{"text": short}], "layout": {"xaxis": narrow_axis}}
    figure = {"data": [bar], "layout": layout, "narrow": narrow}
    return {**figure, "empty": EMPTY} if report.entered == 0 else figure


def outcomes_figure(report: FunnelReport, query: Mapping[str, str]) -> dict[str, Any]:
    """Where contacts stopped, per stage: dropped, then in progress (stalled included, as in
    the stage table: stalled contacts are a subset of those in progress, docs/metrics.md) with the
    stalled part drawn as a thinner bar inside it; converted at the last stage."""
    stages = report.stages
    names = [chart_text(s.name) for s in stages]
    last = len(stages)
    dropped = [s.dropped for s in stages]
    converted = [s.reached if s.index == last else 0 for s in stages]

    def trace(label: str, status: str, values: list[int], **extra: Any) -> dict[str, Any]:
        urls = [contacts_url(report.journey, s.index, status, query) for s in stages]
        return {
            "type": "bar",
            "orientation": "h",
            "name": label,
            "y": names,
            "x": values,
            "customdata": urls,
            "hovertemplate": f"%{{y}}: %{{x:,}} {label.lower()}<br>Click to list them<extra></extra>",
            **extra,
        }

    in_progress = trace(
        "In progress",
        "in_progress",
        [s.in_progress for s in stages],
        base=dropped,
        marker={"color": COLOURS["moving"]},
        text=[f"{count(s.in_progress)} in progress, {count(s.stalled)} of them stalled"
              for s in stages],
        textposition="none",
        hovertemplate="%{y}: %{text}<br>Click to list them<extra></extra>",
    )  # fmt: skip
    data = [
        trace("Dropped", "dropped", dropped, base=[0] * last, marker={"color": COLOURS["dropped"]}),
        in_progress,
        trace(
            "Stalled",
            "stalled",
            [s.stalled for s in stages],
            base=dropped,
            width=[0.35] * last,
            marker={"color": COLOURS["stalled"]},
            hovertemplate="%{y}: %{x:,} stalled (part of those in progress)"
            "<br>Click to list them<extra></extra>",
        ),
        trace("Converted", "reached", converted, base=[0] * last,
              marker={"color": COLOURS["converted"]}),
    ]  # fmt: skip
    top = max((d + s.in_progress for d, s in zip(dropped, stages, strict=True)), default=0)
    legend = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "traceorder": "normal"}
    axis = {**count_axis(max(top, converted[-1] if stages else 0))}
    layout = _layout(len(stages), barmode="overlay", legend=legend, xaxis=axis)
    layout["margin"] = {**layout["margin"], "t": 40}
    narrow_axis = {**layout["xaxis"], **count_axis(max(top, converted[-1] if stages else 0), 3)}
    figure = {"data": data, "layout": layout, "narrow": {"layout": {"xaxis": narrow_axis}}}
    return {**figure, "empty": EMPTY} if report.entered == 0 else figure


# How a period's first day reads, per trend granularity: (prefix, date format).
PERIOD_TEXT = {"day": ("", "%d %b %Y"), "week": ("week of ", "%d %b %Y"), "month": ("", "%b %Y")}


def trend_figure(report: TrendReport) -> dict[str, Any]:
    """Conversion by entry day, week or month (line, drawn over the bars) over the number
    who entered.

    One period is drawn as a labelled category (a date axis around one point means nothing);
    no period at all is ``empty``.
    """
    weeks = [str(p.label) for p in report.periods]
    single = len(weeks) == 1
    prefix, date_format = PERIOD_TEXT.get(report.by, PERIOD_TEXT["week"])
    when_text = prefix + ("%{x}" if single else "%{x|" + date_format + "}")
    entered = {
        "type": "bar",
        "name": "Entered",
        "x": weeks,
        "y": [p.entered for p in report.periods],
        "marker": {"color": "#dfe5f3"},
        "hovertemplate": when_text + ": %{y:,} entered<extra></extra>",
    }
    conversion = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": "Conversion",
        "x": weeks,
        "y": [p.conversion for p in report.periods],
        "yaxis": "y2",
        "line": {"color": ACCENT, "width": 2.5},
        "marker": {"size": 9 if single else 6},
        "hovertemplate": when_text + ": %{y:.1%} converted<extra></extra>",
    }
    top = max((p.entered for p in report.periods), default=0)
    xaxis: dict[str, Any] = (
        {"type": "category", "automargin": True, "tickprefix": prefix}
        if single
        else {
            "type": "date",
            "automargin": True,
            "ticklabelmode": "period",
            "ticklabeloverflow": "hide past domain",
        }
    )
    # the bars (counts) on the base axis, the line on the overlaying axis: Plotly draws an
    # overlaying axis's traces above the base ones, so the bars never hide the line
    layout = {
        "height": 320,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
        "font": FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": xaxis,
        "yaxis": {"side": "right", "showgrid": False, "automargin": True,
                  "title": {"text": "entered"}, **count_axis(top, 4)},
        "yaxis2": {"overlaying": "y", "side": "left", "tickformat": ".1%", "rangemode": "tozero",
                   "automargin": True, "gridcolor": "#e6e9ef", "title": {"text": "conversion"}},
        "legend": {"orientation": "h", "y": 1.12, "x": 0},
        "hoverlabel": {"font": FONT},
    }  # fmt: skip
    narrow_x = xaxis if single else {**xaxis, "nticks": 4, "tickformat": "%b"}
    figure = {"data": [entered, conversion], "layout": layout,
              "narrow": {"layout": {"xaxis": narrow_x}}}  # fmt: skip
    return (
        {**figure, "empty": "No contact entered this journey in this view."}
        if not weeks
        else figure
    )


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
