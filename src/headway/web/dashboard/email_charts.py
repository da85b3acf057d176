"""Plotly figures of one email's engagement, as plain dicts (``emails.js`` draws them).

The page embeds each figure as JSON; the numbers are the report's, unchanged.
"""

from __future__ import annotations

from typing import Any

from headway.api import MAX_HOUR, EmailMetrics, Timing
from headway.web.dashboard.journey_figures import count_axis

OPENS, CLICKS = "#2f6fde", "#e07b1f"
_LAYOUT: dict[str, Any] = {
    "margin": {"l": 48, "r": 16, "t": 36, "b": 40},
    "height": 300,
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    "font": {"family": "system-ui, sans-serif"},
}


def funnel_figure(m: EmailMetrics, view_label: str) -> dict[str, Any]:
    """Sent → delivered → opened → clicked (unique opens and clicks) in one view."""
    stages = ["Sent", "Delivered", "Opened", "Clicked"]
    values = [m.sent, m.delivered, m.unique_opens, m.unique_clicks]
    trace = {
        "type": "funnel",
        "y": stages,
        "x": values,
        # % of the previous step: delivered / sent, open rate, click-to-open (as the tiles)
        "texttemplate": "%{value:,}<br>%{percentPrevious:.1%}",
        "textposition": "inside",
        "marker": {"color": ["#5b6b88", "#3d7fbf", OPENS, CLICKS]},
        "name": view_label,
        "hovertemplate": "%{y}: %{x:,} (%{percentPrevious:.1%} of the previous step)<extra></extra>",
    }
    layout = {**_LAYOUT, "margin": {"l": 90, "r": 16, "t": 8, "b": 8}, "height": 260}
    return {"data": [trace], "layout": layout}


def days_figure(human: Timing, every: Timing) -> dict[str, Any]:
    """Opens and clicks per UTC day, human view (solid) and all view (dashed)."""
    traces = []
    for label, timing, dash in (("human", human, "solid"), ("all", every, "dot")):
        days = [d for d, _, _ in timing.days]
        for name, index, color in (("opens", 1, OPENS), ("clicks", 2, CLICKS)):
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": f"{name} ({label})",
                    "x": days,
                    "y": [row[index] for row in timing.days],
                    "line": {"color": color, "dash": dash},
                }
            )
    top = max((max(row[1], row[2]) for row in every.days), default=0)
    layout = {
        **_LAYOUT,
        "xaxis": {
            "type": "date",
            "ticklabelmode": "period",
            "ticklabeloverflow": "hide past domain",
            "automargin": True,
        },
        "yaxis": {"automargin": True, **count_axis(top, 4)},
    }
    return {"data": traces, "layout": layout}


def hours_figure(timing: Timing) -> dict[str, Any]:
    """Opens and clicks by hour since delivery (the last bar: 72 h or later)."""
    hours = [h for h, _, _ in timing.hours]
    labels = [f"{h}+" if h == MAX_HOUR else str(h) for h in hours]
    traces = [
        {
            "type": "bar",
            "name": "opens",
            "x": labels,
            "y": [o for _, o, _ in timing.hours],
            "marker": {"color": OPENS},
        },
        {
            "type": "bar",
            "name": "clicks",
            "x": labels,
            "y": [c for _, _, c in timing.hours],
            "marker": {"color": CLICKS},
        },
    ]
    top = max((max(o, c) for _, o, c in timing.hours), default=0)
    layout = {
        **_LAYOUT,
        "barmode": "group",
        "xaxis": {"title": {"text": "hours since delivery"}, "type": "category", "nticks": 13},
        "yaxis": {"automargin": True, **count_axis(top, 4)},
    }
    return {"data": traces, "layout": layout}
