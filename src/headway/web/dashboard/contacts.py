"""The contact page: attributes, subscription and the activity timeline with journey stages.

Each stored journey is matched for this one contact by the service (``Headway.contact_journey``,
engine/funnel/contact_journeys.py), which also names the activity that reached each stage.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from headway.api import Headway, stage_marks
from headway.errors import NotFound
from headway.web.auth import page_scope
from headway.web.dashboard._formats import FMT, report_options
from headway.web.templating import render

router = APIRouter()

PAGE_SIZE = 100
KEY_PROPERTIES = ("email", "campaign", "link", "url", "form", "value", "bounce_type")


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
    contact = hw.contact(contact_id)
    if contact is None:
        raise NotFound(f"there is no contact {contact_id!r}")
    timeline = hw.contact_timeline(contact_id)  # with the ids merged into it
    identities = hw.identities(contact_id)
    journeys = hw.contact_journeys(contact_id, report_options(as_of))
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
