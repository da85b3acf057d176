"""Plotly figures (built in Python) of the analysis panels: two date ranges side by side, the
time to convert per step, and the breakdown chart. Every trace takes its numbers from the
report as they are (no Plotly binning), so what is drawn is what the API answers."""

from __future__ import annotations

from typing import Any

from headway.api import BreakdownReport, CompareReport, TimeToConvertReport
from headway.web.dashboard.journey_figures import ACCENT, FONT, chart_text, count_axis

RANGE_COLOURS = {"a": "#9aa5b8", "b": ACCENT}
EMPTY_RANGES = "No contact entered this journey in either range, so there is nothing to draw."


def _base_layout(height: int) -> dict[str, Any]:
    return {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 40},
        "font": FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "hoverlabel": {"font": FONT},
    }


def compare_figure(report: CompareReport, labels: tuple[str, str]) -> dict[str, Any]:
    """Reached per stage in range A and range B, as grouped bars (stages across)."""
    names = [chart_text(s.name) for s in report.stages]
    data = []
    for side, label in zip(("a", "b"), labels, strict=True):
        counts = [getattr(s, f"reached_{side}") for s in report.stages]
        data.append(
            {
                "type": "bar",
                "name": label,
                "x": names,
                "y": counts,
                "marker": {"color": RANGE_COLOURS[side]},
                "hovertemplate": "%{x}: %{y:,} reached (" + chart_text(label) + ")<extra></extra>",
            }
        )
    top = max((max(t["y"], default=0) for t in data), default=0)
    layout = _base_layout(320)
    layout["barmode"] = "group"
    layout["xaxis"] = {"type": "category", "automargin": True}
    layout["yaxis"] = {"automargin": True, "gridcolor": "#e6e9ef", "title": {"text": "reached"},
                       **count_axis(top, 4)}  # fmt: skip
    # on a phone, stage names side by side overlap: tilt them (headway.js merges "narrow")
    narrow = {"xaxis": {**layout["xaxis"], "tickangle": -60}}
    figure: dict[str, Any] = {"data": data, "layout": layout, "narrow": {"layout": narrow}}
    if top == 0:
        figure["empty"] = EMPTY_RANGES
    return figure


def time_figure(report: TimeToConvertReport, step: int) -> dict[str, Any]:
    """The histogram of one step (0-based): contacts per bin of time to move on."""
    s = report.steps[step]
    counts = [b.contacts for b in s.bins]
    data = [
        {
            "type": "bar",
            "name": "Contacts",
            "x": [b.label for b in s.bins],
            "y": counts,
            "marker": {"color": ACCENT},
            "hovertemplate": "%{x}: %{y:,} contacts<extra></extra>",
        }
    ]
    layout = _base_layout(260)
    layout["showlegend"] = False
    layout["xaxis"] = {"type": "category", "automargin": True, "title": {"text": "time to move on"}}
    layout["yaxis"] = {"automargin": True, "gridcolor": "#e6e9ef", "title": {"text": "contacts"},
                       **count_axis(max(counts, default=0), 4)}  # fmt: skip
    # on a phone the bin labels stand upright: side by side they would overlap
    narrow = {"xaxis": {**layout["xaxis"], "tickangle": -90}, "height": 340}
    figure: dict[str, Any] = {"data": data, "layout": layout, "narrow": {"layout": narrow}}
    if not counts:
        figure["empty"] = f"Nobody moved on from {s.from_name} to {s.to_name} in this view."
    return figure


def breakdown_figure(report: BreakdownReport) -> dict[str, Any]:
    """Per value, entered and converted as grouped horizontal bars (most entered on top)."""
    values = [chart_text(str(v.label)) for v in report.values]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": name,
            "y": values,
            "x": [getattr(v, field) for v in report.values],
            "marker": {"color": colour},
            "customdata": [v.conversion for v in report.values],
            "hovertemplate": "%{y}: %{x:,} " + name.lower() + "<extra></extra>",
        }
        for name, field, colour in (
            ("Entered", "entered", "#9aa5b8"),
            ("Converted", "converted", "#1f8a5b"),
        )
    ]
    top = max((v.entered for v in report.values), default=0)
    layout = _base_layout(110 + 44 * max(len(values), 1))
    layout["barmode"] = "group"
    layout["yaxis"] = {"type": "category", "autorange": "reversed", "automargin": True,
                       "ticksuffix": "  "}  # fmt: skip
    layout["xaxis"] = {"automargin": True, "gridcolor": "#e6e9ef", **count_axis(top, 4)}
    figure: dict[str, Any] = {"data": data, "layout": layout}
    if not values:
        figure["empty"] = "No contact entered this journey in this view."
    return figure
