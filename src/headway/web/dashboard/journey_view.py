"""The view a journey page is asked for: ``as_of`` and ``date_range`` from the query string.

Pages keep these two in their URL (``?as_of=2025-06-30&date_range=2025-04-01..2025-06-30``),
so every link, the lazy panels and the CSV export see the same numbers. The pickers submit
``from``/``to`` date fields; the page answers with a redirect to the canonical URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.convertors import Convertor, register_url_convertor

from headway.api import Headway, parse_date_range, parse_instant, utc_now
from headway.errors import NotFound
from headway.model.journey import Journey
from headway.web.dashboard import journey_figures as fig

# Query parameters that travel with every link of a journey page, in this order.
KEPT = ("as_of", "date_range", "segment", "by", "touch")


class JourneyName(Convertor[str]):
    """A journey name in a path: may hold ``/`` (sent as %2F); leaves the sub-pages alone.

    ``new`` (the editor), ``…/edit``, ``…/contacts`` and ``…/panels/…`` belong to other
    routes, whichever module registers them first.
    """

    regex = r"(?!new$)(?:(?!/panels/|/contacts$|/edit$).)+"

    def convert(self, value: str) -> str:
        """The name as the path spelled it (already percent-decoded)."""
        return value

    def to_string(self, value: str) -> str:
        """The name as a path segment."""
        return value


register_url_convertor("journey", JourneyName())


@dataclass(frozen=True)
class View:
    """The report options of a page, as typed in the URL and as the engine takes them."""

    as_of_text: str | None
    date_range_text: str | None
    as_of: datetime
    now: bool  # no as_of asked: "now" (to the minute, so repeated views can share a cache)
    # The segment filters (docs/dashboard.md "Segments"); in the URL one ``segment`` parameter
    # per filter, or several filters in one parameter, one a line (as ``query()`` writes them).
    segment: tuple[str, ...] = ()

    def query(self) -> dict[str, str]:
        """The URL parameters that reproduce this view."""
        out = {
            "as_of": self.as_of_text,
            "date_range": self.date_range_text,
            "segment": "\n".join(self.segment),
        }
        return {k: v for k, v in out.items() if v}


def view_from(request: Request) -> View:
    """The page's view; bad dates raise ``InvalidInput`` (a 422 page naming the field)."""
    params = request.query_params
    as_of_text = (params.get("as_of") or "").strip() or None
    range_text = (params.get("date_range") or "").strip() or None
    if range_text:
        parse_date_range(range_text)  # reject a malformed range before any work
    if as_of_text:
        as_of = parse_instant(as_of_text, field="as_of")
    else:
        as_of = utc_now().replace(second=0, microsecond=0)
    segment = tuple(
        dict.fromkeys(
            line.strip()
            for value in params.getlist("segment")
            for line in value.splitlines()
            if line.strip()
        )
    )
    return View(as_of_text, range_text, as_of, as_of_text is None, segment)


def canonical_redirect(request: Request) -> RedirectResponse | None:
    """When the pickers sent ``from``/``to``, a redirect to the URL with ``date_range``."""
    params = request.query_params
    if "from" not in params and "to" not in params:
        return None
    start, end = (params.get(k, "").strip() for k in ("from", "to"))
    query: dict[str, Any] = {k: params[k] for k in params if k not in ("from", "to")}
    query["date_range"] = f"{start}..{end}" if start or end else ""
    kept = {k: query[k] for k in (*KEPT, *query) if query.get(k)}
    url = request.url.path + ("?" + urlencode(kept) if kept else "")
    return RedirectResponse(url, status_code=303)


def range_bounds(text: str | None) -> tuple[str, str]:
    """The ``from`` and ``to`` picker values of a ``FROM..TO`` range (empty when open)."""
    if not text or ".." not in text:
        return "", ""
    start, end = text.split("..", 1)
    return start.strip()[:10], end.strip()[:10]


def stored_journey(hw: Headway, name: str) -> Journey:
    """A journey saved in the database (never a file path: URLs must not read server files)."""
    try:
        return hw.stored_journey(name)[0]
    except NotFound as err:
        if "was deleted" in err.message:
            raise
        at = err.message.find("(did you mean")
        hint = " " + err.message[at:] if at >= 0 else ""
        raise NotFound(f"journey {name!r} does not exist{hint}", err.details) from None


def end_of_data(last: datetime) -> str:
    """The as-of date that includes the newest activity: the midnight after it."""
    day = last.date()
    if last.time() != datetime.min.time() and day < date.max:  # no midnight after 9999-12-31
        day += timedelta(days=1)
    return day.isoformat()


def view_context(hw: Headway, view: View, keep: dict[str, str] | None = None) -> dict[str, Any]:
    """What the as-of and date-range pickers show (``keep``: other parameters they carry)."""
    keep = {k: v for k, v in (keep or {}).items() if v}
    last = hw.last_activity()
    data_end = end_of_data(last) if last is not None else None
    start, end = range_bounds(view.date_range_text)
    query = view.query()
    return {
        "view": view,
        "query": query,
        "as_of_label": fig.when(view.as_of) + " UTC" + (" (now)" if view.now else ""),
        "as_of_value": (view.as_of_text or "")[:10],
        "range_from": start,
        "range_to": end,
        "last_activity": fig.when(last) if last is not None else None,
        "data_end": data_end,
        "data_end_query": {**query, **keep, "as_of": data_end} if data_end else None,
        "keep": keep,
        "stale": bool(last is not None and view.now and (view.as_of - last).days >= 1),
    }
