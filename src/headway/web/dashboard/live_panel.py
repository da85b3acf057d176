"""The journey page's Live panel (docs/live.md): off / building (with progress) / ready with
the version served and the stage counts now, and the button that turns the journey live."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headway.web.app_state import app_headway
from headway.web.auth import page_scope
from headway.web.csrf import verify_csrf
from headway.web.dashboard import journey_view  # noqa: F401  (registers {name:journey})
from headway.web.dashboard._formats import FMT
from headway.web.templating import render

router = APIRouter()


@router.get("/journeys/{name:journey}/panels/live", response_class=HTMLResponse)
def live_panel(
    request: Request, name: str, _: object = Depends(page_scope("read"))
) -> HTMLResponse:
    """The journey's live status, its stage counts now, and the Live on/off button."""
    hw = app_headway(request)
    action = request.url.path.removesuffix("/panels/live") + "/live"
    context = {"status": hw.live_status(name), "lag": hw.live_lag(), "action": action, "fmt": FMT}
    return render(request, "panels/live.html", context)


@router.post("/journeys/{name:journey}/live", dependencies=[Depends(verify_csrf)])
def set_live(
    request: Request,
    name: str,
    active: Annotated[bool, Form()],
    _: object = Depends(page_scope("admin")),
) -> Response:
    """Turn the journey live (its state is built in the background) or off; back to it."""
    app_headway(request).set_journey_live(name, active)
    return RedirectResponse(f"/journeys/{quote(name, safe='')}#live", status_code=303)
