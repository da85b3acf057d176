"""What the API's route modules share: scopes, the error model, report options, paging links.

(The leading underscore keeps this module out of router discovery.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.convertors import Convertor, register_url_convertor

from headway.api import ReportOptions, iso, parse_date_range, parse_instant, utc_now
from headway.errors import Detail, InvalidInput, NotFound
from headway.safe_csv import csv_chunks
from headway.web.auth import require_scope

READ = [Depends(require_scope("read"))]  # every GET of the API
ADMIN = [Depends(require_scope("admin"))]  # journey writes and contact erasure


# What follows a journey's name in the URLs of its sub-resources.
JOURNEY_PARTS = (
    "funnel", "trends", "breakdown", "contacts", "versions", "drivers", "stalls", "attribution",
    "flow", "csv",
)  # fmt: skip


class JourneyNameConvertor(Convertor[str]):
    """A journey name in a URL path: any text (``/`` included, as names may hold markup such
    as ``</b>``), except that it never ends in ``/funnel``, ``/versions/N`` and the like, so
    ``/journeys/{name:api_journey}`` leaves those URLs to the routes of the sub-resources."""

    regex = r"(?:(?!/(?:" + "|".join(JOURNEY_PARTS) + r")(?:/[^/]*)?$).)+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


# A key of our own: the dashboard registers a "journey" convertor with other rules.
register_url_convertor("api_journey", JourneyNameConvertor())


class ErrorDetail(BaseModel):
    """One specific problem: why, and where (field, record) when known."""

    reason: str
    field: str | None = None
    record: int | str | None = None


class ErrorInfo(BaseModel):
    """The error: a stable code, one sentence, and the specific problems."""

    code: str
    message: str
    details: list[ErrorDetail]


class ErrorBody(BaseModel):
    """Every error answer of the API: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorInfo


def errors(
    *statuses: int, extra: dict[int | str, dict[str, Any]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses``: the error shape for ``statuses``, plus ``extra`` answers."""
    return {**(extra or {}), **{s: {"model": ErrorBody} for s in statuses}}


AsOf = Annotated[
    str | None,
    Query(
        description="Report as of this instant (ISO 8601 date or time, UTC); default now.",
        examples=["2025-06-30"],
    ),
]
DateRange = Annotated[
    str | None,
    Query(
        description="FROM..TO (dates or ISO times, either side may be empty); replaces the "
        "journey's own date range.",
        examples=["2025-01-01..2025-03-31"],
    ),
]

HumanView = Annotated[
    Literal["human", "all"],
    Query(description="human (default): without activities labelled bot; all: every one."),
]

SegmentFilters = Annotated[
    list[str] | None,
    Query(
        description="Segment filters, repeated for several (ANDed): attributes.PATH OP VALUE, "
        "entry.PATH OP VALUE (the activity that entered the journey) or cohort=NAME; "
        "OP is one of = != > >= < <= ~ (docs/reports.md).",
        examples=[["attributes.country=FR", "entry.url~pricing"]],
    ),
]


@contextmanager
def about(field: str) -> Iterator[None]:
    """Re-raise an ``InvalidInput`` (or a ``NotFound`` of a name) as a 422 naming ``field``."""
    try:
        yield
    except (InvalidInput, NotFound) as err:
        reason = _without_option(err.message)
        raise InvalidInput(f"{field}: {reason}", [Detail(reason, field=field)]) from None
    except OverflowError:  # e.g. a time zone offset pushing year 1 or 9999 out of range
        reason = "is out of the range of dates Headway handles"
        raise InvalidInput(f"{field}: {reason}", [Detail(reason, field=field)]) from None


def _without_option(message: str) -> str:
    # The engine words its errors for the CLI ("--by: 'x' is not ..."); drop the option name.
    head, sep, rest = message.partition(": ")
    if sep and (head.startswith("--") or head in ("as_of", "date_range")):
        return rest
    return message


def report_options(as_of: str | None, date_range: str | None) -> ReportOptions:
    """Normalised ``as_of`` (default now) and date range; 422 naming the bad parameter."""
    with about("as_of"):
        instant = parse_instant(as_of, field="as_of") if as_of is not None else utc_now()
    with about("date_range"):
        window = parse_date_range(date_range) if date_range is not None else None
    return ReportOptions(as_of=instant, date_range=window)


def segment_of(request: Request, filters: list[str] | None) -> Any:
    """The segment of the ``segment`` parameters (None without any); 422 naming a bad one."""
    if not filters:
        return None
    from headway.web.app_state import app_headway

    with about("segment"):
        return app_headway(request).segment(filters)


def segmented(request: Request, opts: ReportOptions, filters: list[str] | None) -> ReportOptions:
    """``opts`` with the segment of the ``segment`` parameters (422 naming a bad one)."""
    segment = segment_of(request, filters)
    return opts if segment is None else replace(opts, segment=segment)


MAX_OFFSET = 1_000_000_000  # far beyond any list; keeps the number a database integer


def page_link(request: Request, offset: int, limit: int | None, total: int) -> str | None:
    """The URL of the next page (same query, next offset), or None on the last page."""
    if limit is None or offset + limit >= total:
        return None
    following = request.url.include_query_params(offset=offset + limit)
    return f"{following.path}?{following.query}"  # relative: the Host header is not echoed


CSV_OK: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}}}  # OpenAPI


def csv_cell(value: Any) -> Any:
    """A CSV cell: times in ISO 8601, lists joined by ``; ``, dicts as ``k=v; …``."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def csv_attachment(filename: str, chunks: Iterable[str]) -> StreamingResponse:
    """CSV text pieces as a download named ``filename`` (with an ASCII fallback name)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename)
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(
        chunks, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition}
    )


def csv_download(
    filename: str, rows: Iterable[dict[str, Any]], cell: Callable[[Any], Any] = lambda v: v
) -> StreamingResponse:
    """Rows (dicts, columns in first-seen order, each value through ``cell``) as a CSV
    attachment named ``filename``, formula-like cells kept as text."""
    listed = list(rows)
    columns: list[str] = []
    for row in listed:  # a later row may carry a column the first lacks
        columns += [c for c in row if c not in columns]
    lines = ([cell(row.get(c)) for c in columns] for row in listed)
    return csv_attachment(filename, csv_chunks(columns, lines, lineterminator="\r\n"))
