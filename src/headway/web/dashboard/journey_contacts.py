"""Dashboard: the contacts at a stage of a journey (reached, dropped, in progress, stalled).

One page of the list as HTML, or the whole list as a streamed CSV download (``format=csv``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from headway.api import ContactList, ContactRow, Headway, resolve_stage
from headway.errors import HeadwayError, InvalidInput
from headway.model.journey import Journey
from headway.safe_csv import csv_chunks
from headway.web.auth import page_scope
from headway.web.dashboard import journey_figures as fig
from headway.web.dashboard.journey_view import (
    View,
    canonical_redirect,
    stored_journey,
    view_context,
    view_from,
)
from headway.web.templating import render

router = APIRouter()
PAGE_SIZE = 50
FORMATS = ("html", "csv")
SENTENCES = {
    "reached": "who reached",
    "dropped": "who dropped at",
    "in_progress": "in progress at",
    "stalled": "stalled at",
    "moving": "in progress (not stalled) at",
}


@router.get("/journeys/{name:journey}/contacts")
def journey_contacts(
    request: Request,
    name: str,
    stage: str = "1",
    status: str = "reached",
    page: int = Query(1, ge=1),
    format: str = "html",
    _: Any = Depends(page_scope("read")),
) -> Response:
    """The contacts at ``stage`` with ``status``: a page of them, or all of them as CSV."""
    redirect = canonical_redirect(request)
    if redirect is not None:
        return redirect
    if format not in FORMATS:
        raise InvalidInput(f"format: '{format}' is not one of {', '.join(FORMATS)}")
    if status not in SENTENCES:
        raise InvalidInput(f"status: '{status}' is not one of {', '.join(SENTENCES)}")
    hw: Headway = request.app.state.headway
    view = view_from(request)
    journey = stored_journey(hw, name)
    index = _stage_number(journey, stage)
    if format == "csv":
        listing = _listing(hw, journey, index, status, view, 0, None)
        return _csv_response(listing)
    listing = _listing(hw, journey, index, status, view, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    context = _page_context(journey, listing, view, page)
    return render(request, "contacts_list.html", {**context, **view_context(hw, view, {
        "stage": str(index), "status": status})})  # fmt: skip


def _stage_number(journey: Journey, stage: str) -> int:
    """The 1-based stage of a number or name; errors name the URL field, not the CLI flag."""
    try:
        return resolve_stage(journey, stage) + 1
    except HeadwayError as err:
        raise type(err)(err.message.removeprefix("--"), err.details) from None


def _listing(
    hw: Headway,
    journey: Journey,
    stage: int,
    status: str,
    view: View,
    offset: int,
    limit: int | None,
) -> ContactList:
    return hw.contacts(
        journey,
        stage,
        status,
        offset=offset,
        limit=limit,
        as_of=view.as_of,
        date_range=view.date_range_text,
        segment=view.segment,
    )


def _page_context(journey: Journey, listing: ContactList, view: View, page: int) -> dict[str, Any]:
    query = view.query()
    pages = max(1, -(-listing.total // PAGE_SIZE))

    def href(stage: int, status: str, page: int | None = None, **extra: str) -> str:
        params = {"stage": str(stage), "status": status, **query, **extra}
        if page and page > 1:
            params["page"] = str(page)
        return fig.journey_path(journey.name, "contacts") + "?" + urlencode(params)

    stage, status = listing.stage, listing.status
    return {
        "nav": "journeys",
        "journey": journey,
        "journey_href": fig.journey_path(journey.name) + ("?" + urlencode(query) if query else ""),
        "stage_name": listing.stage_name,
        "status_label": fig.STATUS_LABELS[status],
        "status_sentence": SENTENCES[status],
        "total": listing.total,
        "stage_names": listing.stage_names,
        "rows": [_row(c) for c in listing.contacts],
        "first": listing.offset + 1,
        "last": listing.offset + len(listing.contacts),
        "page": page,
        "pages": pages,
        "prev_href": href(stage, status, page - 1) if page > 1 else None,
        "next_href": href(stage, status, page + 1) if page < pages else None,
        "csv_href": href(stage, status, format="csv"),
        "stage_tabs": [
            {"index": i, "name": n, "href": href(i, status), "current": i == stage}
            for i, n in enumerate(listing.stage_names, start=1)
        ],
        "status_tabs": [
            {"label": label, "href": href(stage, key), "current": key == status}
            for key, label in fig.STATUS_LABELS.items()
        ],
    }


def _row(c: ContactRow) -> dict[str, Any]:
    status = "stalled" if c.stalled else c.status
    return {
        "contact": c.contact,
        "href": "/contacts/" + quote(c.contact, safe=""),
        "status": status.replace("_", " "),
        "status_class": status,
        "last_stage": c.last_stage,
        "times": [fig.when(t) for t in c.stage_times],
    }


def _csv_response(listing: ContactList) -> StreamingResponse:
    filename = f"{_slug(listing.journey)}-{listing.stage}-{_slug(listing.stage_name)}"
    filename += f"-{listing.status}.csv"
    return StreamingResponse(
        _csv_lines(listing),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _csv_lines(listing: ContactList) -> Iterator[str]:
    """The CSV text in chunks of rows (a header, then one line per contact)."""
    header = ["contact", "status", "stalled", "last_stage", *listing.stage_names]
    rows = (
        [c.contact, c.status, c.stalled, c.last_stage]
        + [t.isoformat() + "Z" if t else "" for t in c.stage_times]
        for c in listing.contacts
    )
    return csv_chunks(header, rows)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "journey"
