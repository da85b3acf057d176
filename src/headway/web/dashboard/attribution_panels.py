"""Dashboard fragments (lazy panels, issue 6): a journey's attribution, an email's influence.

``/journeys/{name}/panels/attribution``: the models side by side for the top touchpoints,
with the Markov removal effects. ``/emails/{email_id}/panels/influence``: for each stored
journey, the recipients sitting at each stage when the email was delivered and how often
they moved on, by engagement, with lift and confidence interval. Both are escaped HTML
fragments (no layout) that ``headway.js`` puts into the page; they take the page's query
string (``as_of``, ``date_range``, ``view``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from headway.api import EmailInfluence, check_days
from headway.web.app_state import app_headway
from headway.web.auth import page_scope
from headway.web.dashboard._formats import FMT, report_options, view_of
from headway.web.dashboard.journey_view import stored_journey, view_from
from headway.web.templating import render

router = APIRouter()
TOP_TOUCHPOINTS = 15
MODEL_LABELS = {
    "first": "First touch",
    "last": "Last touch",
    "linear": "Linear",
    "position": "Position (40/20/40)",
    "markov": "Markov",
}


@router.get("/journeys/{name:journey}/panels/attribution", response_class=HTMLResponse)
def attribution_panel(
    request: Request, name: str, _: object = Depends(page_scope("read"))
) -> HTMLResponse:
    """Conversions credited to the top touchpoints by every model, side by side."""
    hw = app_headway(request)
    view = view_from(request)
    journey = stored_journey(hw, name)
    human = view_of(request.query_params.get("view")) == "human"
    opts = hw.segmented_options(view.as_of, view.date_range_text, view.segment)
    report = hw.attribution(journey, human=human, as_of=opts)
    context = {
        "report": report,
        "touchpoints": report.touchpoints[:TOP_TOUCHPOINTS],
        "labels": MODEL_LABELS,
        "fmt": FMT,
    }
    return render(request, "panels/attribution.html", context)


@router.get("/emails/{email_id:path}/panels/influence", response_class=HTMLResponse)
def influence_panel(
    request: Request,
    email_id: str,
    days: int = 7,
    _: object = Depends(page_scope("read")),
) -> HTMLResponse:
    """Per stored journey: recipients at each stage when delivered, and how they moved on."""
    hw = app_headway(request)
    check_days(days)
    opts = report_options(request.query_params.get("as_of"))
    human = view_of(request.query_params.get("view")) == "human"
    reports: list[EmailInfluence] = hw.email_influences(email_id, opts, days=days, human=human)
    context = {"email_id": email_id, "days": days, "human": human, "reports": reports, "fmt": FMT}
    return render(request, "panels/influence.html", context)
