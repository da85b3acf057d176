"""The Actions page and the journey page's Actions panel (docs/actions.md).

``/actions``: subscriptions, deliveries by status, the dead-letter list with a Replay button
per delivery (and "Replay all dead"), cohort syncs and the latest digest of each journey.
``/journeys/{name}/panels/actions``: per action of the journey, treated vs held-out progress
to the next stage with the difference, the uplift's 95 % interval and p; the latest digest.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headway.web.app_state import app_headway
from headway.web.auth import page_scope
from headway.web.csrf import verify_csrf
from headway.web.dashboard import journey_view  # noqa: F401  (registers {name:journey})
from headway.web.dashboard._formats import FMT
from headway.web.templating import render

router = APIRouter()

LIMIT = 50


def _latest_digests(digests: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for d in digests:  # newest first: the first of each journey is its latest
        if d.journey not in seen:
            seen.add(d.journey)
            out.append(d)
    return out


@router.get("/actions", response_class=HTMLResponse)
def actions_page(request: Request, _: object = Depends(page_scope("admin"))) -> HTMLResponse:
    """Subscriptions, deliveries, dead letters (with Replay), cohort syncs, digests."""
    hw = app_headway(request)
    context = {
        "nav": "actions",
        "subscriptions": hw.subscriptions(),
        "counts": hw.delivery_counts(),
        "dead": hw.deliveries(status="dead", limit=LIMIT),
        "pending": hw.deliveries(status="pending", limit=LIMIT),
        "recent": hw.deliveries(limit=LIMIT),
        "syncs": hw.cohort_syncs(),
        "digests": _latest_digests(hw.digests(limit=200)),
        "replayed": request.query_params.get("replayed"),
        "fmt": FMT,
    }
    return render(request, "actions.html", context)


@router.post("/actions/replay", dependencies=[Depends(verify_csrf)])
def replay_one(
    request: Request,
    subscription: Annotated[str, Form(max_length=100)],
    event: Annotated[str, Form(max_length=200)],
    _: object = Depends(page_scope("admin")),
) -> Response:
    """Queue one delivery again; back to the Actions page."""
    app_headway(request).replay_delivery(subscription, event)
    return RedirectResponse("/actions?replayed=1#dead", status_code=303)


@router.post("/actions/replay-dead", dependencies=[Depends(verify_csrf)])
def replay_all(request: Request, _: object = Depends(page_scope("admin"))) -> Response:
    """Queue every dead delivery again; back to the Actions page."""
    n = app_headway(request).replay_dead()
    return RedirectResponse(f"/actions?replayed={n}#dead", status_code=303)


@router.get("/journeys/{name:journey}/panels/actions", response_class=HTMLResponse)
def actions_panel(
    request: Request, name: str, _: object = Depends(page_scope("read"))
) -> HTMLResponse:
    """The journey's actions: holdout uplift per action and stage, and the latest digest."""
    hw = app_headway(request)
    subs = {s.id: s for s in hw.subscriptions(name)}
    syncs = {s.id: s for s in hw.cohort_syncs() if s.journey == name}
    digests = hw.digests(name, limit=1)
    context = {
        "uplift": hw.uplift(name),
        "subs": subs,
        "syncs": syncs,
        "digest": digests[0] if digests else None,
        "fmt": FMT,
    }
    return render(request, "panels/actions.html", context)
