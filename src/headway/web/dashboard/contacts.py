"""The contact page: attributes, subscription and the activity timeline with journey stages.

Each stored journey is matched by the engine for this one contact (its ``filter`` narrowed to
the contact: a contact's best attempt depends only on its own activities, so the stages and
their activities are exactly those of a full run). The matcher names the input row behind
each stage; an extra column carries that row's activity id, so the timeline marks the very
activity that reached the stage.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlglot import exp

from headway.api import Headway
from headway.engine.funnel.contact_lists import STATUS_NAMES
from headway.engine.funnel.outcomes import outcomes
from headway.engine.kernel.inputs import ACTIVITY
from headway.engine.kernel.match_types import NOT_REACHED
from headway.engine.kernel.run import Matched, match_journey
from headway.engine.options import ReportOptions, from_micros
from headway.errors import NotFound
from headway.model.condition import AllOf, Match, Predicate
from headway.model.journey import Journey
from headway.store.contacts import contact_timeline, get_contact
from headway.web.auth import page_scope
from headway.web.dashboard._formats import FMT, report_options
from headway.web.templating import render

router = APIRouter()

PAGE_SIZE = 100
KEY_PROPERTIES = ("email", "campaign", "link", "url", "form", "value", "bounce_type")
_ACTIVITY_ID = "activity_id"


@dataclass(frozen=True)
class StageMark:
    """An activity that reached a stage of a journey."""

    journey: str
    index: int  # 1-based
    stage: str


@dataclass(frozen=True)
class ContactJourney:
    """The contact's best attempt at one journey."""

    journey: str
    stage_names: tuple[str, ...]
    reached: int
    status: str  # converted, dropped, in_progress, not_entered or excluded
    stage_times: tuple[datetime | None, ...]
    activities: dict[str, int] = field(default_factory=dict)  # activity id -> 0-based stage


def for_contact(journey: Journey, contact_id: str) -> Journey:
    """``journey`` with its filter narrowed to one contact's activities."""
    only = Match(None, (Predicate("contact", "eq", contact_id),))
    narrowed = only if journey.filter is None else AllOf((journey.filter, only))
    return dataclasses.replace(journey, filter=narrowed)


def contact_journey(
    hw: Headway, journey: Journey, contact_id: str, opts: ReportOptions
) -> ContactJourney:
    """Where one contact stands in ``journey`` and which activities reached its stages."""
    extras = {_ACTIVITY_ID: exp.column("id", ACTIVITY)}
    matched = match_journey(hw.backend, for_contact(journey, contact_id), opts, extras)
    names = tuple(s.name for s in journey.stages)
    if len(matched.result) == 0:
        return ContactJourney(journey.name, names, 0, "not_entered", (None,) * len(names))
    return _best_attempt(matched, names)


def _best_attempt(matched: Matched, names: tuple[str, ...]) -> ContactJourney:
    res = matched.result
    reached = int(res.reached[0])
    ids = matched.extras[_ACTIVITY_ID]
    activities = {str(ids[int(res.stage_row[0, j])]): j for j in range(reached)}
    times = tuple(
        from_micros(int(t)) if t != NOT_REACHED and j < reached else None
        for j, t in enumerate(res.stage_ts[0, : len(names)])
    )
    if bool(res.removed[0]):
        status = "excluded"
    else:
        status = STATUS_NAMES.get(int(outcomes(matched).status[0]), "not_entered")
    return ContactJourney(matched.journey.name, names, reached, status, times, activities)


def contact_journeys(hw: Headway, contact_id: str, opts: ReportOptions) -> list[ContactJourney]:
    """The contact's place in every stored journey (one with an error is left out)."""
    return [
        contact_journey(hw, hw.journey(s.name), contact_id, opts)
        for s in hw.journeys()
        if s.error is None
    ]


def stage_marks(journeys: list[ContactJourney]) -> dict[str, list[StageMark]]:
    """Activity id -> the journey stages that activity reached."""
    marks: dict[str, list[StageMark]] = {}
    for j in journeys:
        for activity, stage in j.activities.items():
            marks.setdefault(activity, []).append(
                StageMark(j.journey, stage + 1, j.stage_names[stage])
            )
    return marks


def key_properties(properties: dict[str, Any]) -> tuple[list[tuple[str, Any]], int]:
    """The properties a marketer looks at first, and how many others there are."""
    shown = [(k, properties[k]) for k in KEY_PROPERTIES if k in properties]
    return shown, len(properties) - len(shown)


@router.get("/contacts/{contact_id:path}", response_class=HTMLResponse)
def contact_page(
    request: Request,
    contact_id: str,
    page: int = 1,
    as_of: str | None = None,
    _: object = Depends(page_scope("read")),
) -> HTMLResponse:
    """A contact's attributes, subscription and timeline with the journey stages marked."""
    hw: Headway = request.app.state.headway
    contact = get_contact(hw.store, contact_id)
    if contact is None:
        raise NotFound(f"there is no contact {contact_id!r}")
    timeline = contact_timeline(hw.store, contact_id)  # with the ids merged into it
    identities = hw.identities(contact_id)
    journeys = contact_journeys(hw, contact_id, report_options(as_of))
    pages = max(1, -(-len(timeline) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    start = (page - 1) * PAGE_SIZE
    context = {
        "contact": contact,
        "contact_id": contact_id,
        "identities": identities,
        "contact_href": lambda contact: "/contacts/" + quote(contact, safe=""),
        "journeys": journeys,
        "activities": list(enumerate(timeline[start : start + PAGE_SIZE], start=start)),
        "marks": stage_marks(journeys),
        "page": page,
        "pages": pages,
        "page_size": PAGE_SIZE,
        "total": len(timeline),
        "as_of": as_of or "",
        "key_properties": key_properties,
        "key_names": KEY_PROPERTIES,
        "fmt": FMT,
    }
    return render(request, "contact.html", context)
