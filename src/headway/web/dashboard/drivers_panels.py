"""Dashboard fragments (lazy panels, issue 6): what moves contacts forward, and where they stall.

``/journeys/{name}/panels/drivers``: per transition, the top touchpoints with the
plain-language line, rate ratio and odds ratio with 95 % intervals, q and support, and the
warnings. ``/journeys/{name}/panels/stalls``: per stage, how many contacts stall, the longest
stalled with their last touchpoints, and the touchpoints over-represented among them. Both
are escaped HTML fragments (no layout) that ``headway.js`` puts into the journey page; they
take the page's query string (``as_of``, ``date_range``, ``view``).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from headway.api import times
from headway.web.app_state import app_headway
from headway.web.auth import page_scope
from headway.web.dashboard._formats import FMT, SIGNIFICANT, view_of
from headway.web.dashboard.journey_view import stored_journey, view_from
from headway.web.templating import render

router = APIRouter()
TOP_DRIVERS = 5  # touchpoints shown per transition
STALLED_SHOWN = 10  # stalled contacts listed per stage


def ratio_text(value: float, low: float, high: float) -> str:
    """``2.2× (1.8–2.7)``."""
    return f"{times(value)} ({times(low, '')}–{times(high, '')})"


@router.get("/journeys/{name:journey}/panels/drivers", response_class=HTMLResponse)
def drivers_panel(
    request: Request, name: str, _: object = Depends(page_scope("read"))
) -> HTMLResponse:
    """The top touchpoints of each transition, with their figures and warnings."""
    hw = app_headway(request)
    view = view_from(request)
    journey = stored_journey(hw, name)
    human = view_of(request.query_params.get("view")) == "human"
    include = request.query_params.get("include_excluded") in ("1", "true")
    report = hw.drivers(
        journey,
        human=human,
        as_of=view.as_of,
        date_range=view.date_range_text,
        segment=view.segment,
        include_excluded=include,
    )
    query = {k: v for k, v in request.query_params.items() if k != "include_excluded"}
    context = {
        "report": report,
        "toggle_href": "?"
        + urlencode(query | ({} if include else {"include_excluded": "1"}))
        + "#drivers-title",
        "top": TOP_DRIVERS,
        "significant": SIGNIFICANT,
        "ratio": ratio_text,
        "fmt": FMT,
    }
    return render(request, "panels/drivers.html", context)


@router.get("/journeys/{name:journey}/panels/stalls", response_class=HTMLResponse)
def stalls_panel(
    request: Request, name: str, _: object = Depends(page_scope("read"))
) -> HTMLResponse:
    """Per stage: stalled contacts with their last touchpoints, and what goes with stalling."""
    hw = app_headway(request)
    view = view_from(request)
    journey = stored_journey(hw, name)
    human = view_of(request.query_params.get("view")) == "human"
    report = hw.stalls(
        journey,
        human=human,
        limit=STALLED_SHOWN,
        as_of=view.as_of,
        date_range=view.date_range_text,
        segment=view.segment,
    )
    context = {
        "report": report,
        "significant": SIGNIFICANT,
        "ratio": ratio_text,
        "contact_href": lambda contact: "/contacts/" + quote(contact, safe=""),
        "fmt": FMT,
    }
    return render(request, "panels/stalls.html", context)
