"""The journey page's segment bar (removable chips, cohorts, saved views) and its flow panel.

The segment travels in the page's URL (``segment``, one filter a line, see ``journey_view``),
so every report of the page, every lazy panel and every CSV link counts the same contacts.
The flow panel is a Plotly Sankey of ``Headway.flow`` with its numbers in a table beside it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from headway.api import Headway
from headway.errors import HeadwayError
from headway.model.journey import Journey
from headway.web.app_state import app_headway
from headway.web.auth import page_scope
from headway.web.dashboard.journey_view import View, view_from
from headway.web.templating import render

router = APIRouter()

STATUSES = {
    "reached": "reached",
    "dropped": "dropped at",
    "in_progress": "in progress at",
    "stalled": "stalled at",
}
STEPS = (2, 3, 4, 5, 6)
# Outcome nodes keep the page's status colours; the others a calm blue.
NODE_COLOURS = {"Dropped": "#c0392b", "In progress": "#d68910"}
NODE_COLOUR = "#2e86c1"
REACHED_COLOUR = "#1e8449"


def segment_context(request: Request, journey: Journey, view: View) -> dict[str, Any]:
    """What the segment bar shows: chips with their removal links, cohorts, saved views."""
    hw = app_headway(request)
    chips = [
        {"label": text, "remove": _without(request, view.segment, text)} for text in view.segment
    ]
    page_query = [(k, v) for k, v in request.query_params.multi_items() if k != "segment"]
    return {
        "segment_chips": chips,
        "segment_clear": _link(request, page_query),
        "segment_keep": page_query + ([("segment", "\n".join(view.segment))] if chips else []),
        "cohorts": hw.cohorts(),
        "saved_views": hw.views(journey.name),
        "cohort_statuses": STATUSES,
        "api_base": "/api/v1/journeys/" + quote(journey.name, safe=""),
    }


def _without(request: Request, segment: tuple[str, ...], text: str) -> str:
    rest = [s for s in segment if s != text]
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "segment"]
    if rest:
        pairs.append(("segment", "\n".join(rest)))
    return _link(request, pairs)


def _link(request: Request, pairs: list[tuple[str, str]]) -> str:
    return request.url.path + ("?" + urlencode(pairs) if pairs else "")


@router.get("/journeys/{name:journey}/panels/flow", response_class=HTMLResponse)
def flow_panel(
    request: Request, name: str, _: object = Depends(page_scope("read"))
) -> HTMLResponse:
    """The Sankey of what contacts did between a stage and the next (lazy panel)."""
    hw: Headway = app_headway(request)
    view = view_from(request)
    journey = hw.stored_journey(name)[0]
    params = request.query_params
    stage = params.get("flow_stage") or "1"
    steps = _int(params.get("flow_steps"), 4)
    context: dict[str, Any] = {
        "journey": journey,
        "stage": stage,
        "steps": steps,
        "step_choices": STEPS,
        "page_path": "/journeys/" + quote(journey.name, safe=""),
        "keep": [(k, v) for k, v in params.multi_items() if k not in ("flow_stage", "flow_steps")],
        "report": None,
        "error": None,
    }
    try:
        report = hw.flow(
            journey, stage, steps=steps, as_of=view.as_of, date_range=view.date_range_text,
            segment=view.segment,
        )  # fmt: skip
    except HeadwayError as err:
        context["error"] = err.message
        return render(request, "panels/flow.html", context)
    context["report"] = report
    context["figure"] = flow_figure(report)
    context["rows"] = report.rows()
    return render(request, "panels/flow.html", context)


def flow_figure(report: Any) -> dict[str, Any]:
    """The Plotly Sankey of a flow report (labels carry their contact counts)."""
    if not report.contacts:
        return {"empty": f"Nobody reached {report.stage_name} in this view."}
    labels = [f"{n.label} ({n.contacts:,})" for n in report.nodes]
    colours = [
        REACHED_COLOUR if n.label.startswith("Reached ") else NODE_COLOURS.get(n.label, NODE_COLOUR)
        for n in report.nodes
    ]
    return {
        "data": [
            {
                "type": "sankey",
                "arrangement": "snap",
                "valueformat": ",d",
                "node": {
                    "label": labels,
                    "color": colours,
                    "pad": 14,
                    "thickness": 14,
                    "customdata": [n.contacts for n in report.nodes],
                    "hovertemplate": "%{label}<extra></extra>",
                },
                "link": {
                    "source": [lk.source for lk in report.links],
                    "target": [lk.target for lk in report.links],
                    "value": [lk.contacts for lk in report.links],
                    "color": "rgba(46, 134, 193, 0.25)",
                    "hovertemplate": "%{source.label} → %{target.label}: %{value:,} contacts"
                    "<extra></extra>",
                },
            }
        ],
        "layout": {
            "height": 460,
            "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
            "font": {"size": 11},
        },
        # On a phone the boxes carry no text (five columns of labels cannot fit 390 px): a tap
        # shows a box's label and count, and the table below lists every number.
        "narrow": {
            "data": [
                {
                    "node": {
                        "label": [""] * len(labels),
                        "color": colours,
                        "pad": 10,
                        "thickness": 12,
                        "customdata": labels,
                        "hovertemplate": "%{customdata}<extra></extra>",
                    }
                }
            ],
            "layout": {"height": 520},
        },
    }


def _int(text: str | None, default: int) -> int:
    try:
        value = int(text) if text else default
    except ValueError:
        return default
    return value if value in STEPS else default
