"""Emails: the list with the §6 metrics, one email with its links, one email's statistics.

Email ids may hold ``/``, so the id is a ``path`` parameter (the stats and csv routes come
first). Every number comes from ``Headway.email_stats`` (the code path of ``headway emails
stats``); the JSON is its ``to_dict()``, and every table of the Emails pages is a CSV download
of the same rows through the one CSV writer (``headway.safe_csv``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from headway.api import EmailStatsReport, Headway, StatsQuery, iso, options
from headway.errors import NotFound
from headway.web.api._common import CSV_OK, READ, csv_download, errors
from headway.web.app_state import app_headway

router = APIRouter(tags=["emails"])

View = Annotated[
    Literal["all", "human"],
    Query(description="all activities, or human: without those labelled bot."),
]
Format = Annotated[
    Literal["json", "csv"] | None,
    Query(description="csv: the rows as a CSV download (formula-like cells kept as text)."),
]
EmailTable = Literal["metrics", "links", "hours", "days", "stages"]


class MetricsOut(BaseModel):
    """Every §6 metric of one email, campaign or period (rates are null when undefined)."""

    key: str | None
    emails: int
    sent: int
    recipients: int
    delivered: int
    delivery_reported: int
    bounces: int
    hard_bounces: int
    soft_bounces: int
    opens: int
    unique_opens: int
    clicks: int
    unique_clicks: int
    unsubscribes: int
    complaints: int
    name: str | None
    subject: str | None
    campaign: str | None
    send_time: str | None
    bounce_rate: float | None
    hard_bounce_rate: float | None
    soft_bounce_rate: float | None
    open_rate: float | None
    click_rate: float | None
    click_to_open_rate: float | None
    unsubscribe_rate: float | None
    complaint_rate: float | None


class LinkStatsOut(BaseModel):
    """Clicks on one link: total, distinct clickers and their share of the email's clickers."""

    email: str
    link: str
    url: str | None
    label: str | None
    honeypot: bool
    clicks: int
    clickers: int
    email_clickers: int
    share_of_clickers: float | None


class HourOut(BaseModel):
    """Opens and clicks in one hour since delivery (72 = 72 hours or later)."""

    hour: int
    opens: int
    clicks: int


class DayOut(BaseModel):
    """Opens and clicks on one UTC day."""

    day: str
    opens: int
    clicks: int


class UnknownDeliveryOut(BaseModel):
    """Opens and clicks of contacts without a known delivery time."""

    opens: int
    clicks: int


class TimingOut(BaseModel):
    """When recipients opened and clicked."""

    hours: list[HourOut]
    days: list[DayOut]
    unknown_delivery: UnknownDeliveryOut


class FiltersOut(BaseModel):
    """The selection of the report."""

    email: str | None
    campaign: str | None


class EmailStatsOut(BaseModel):
    """Statistics of a selection of emails: rows per group, the total, links and timing."""

    view: Literal["all", "human"]
    by: str
    filters: FiltersOut
    rows: list[MetricsOut]
    total: MetricsOut
    links: list[LinkStatsOut]
    timing: TimingOut


class LinkOut(BaseModel):
    """A registered link of an email."""

    link: str
    url: str
    label: str | None
    honeypot: bool


class EmailOut(BaseModel):
    """An email: registered details (null when only seen in activities) and its links."""

    id: str
    registered: bool
    name: str | None
    subject: str | None
    campaign: str | None
    kind: str | None
    send_time: str | None
    created_at: str | None
    links: list[LinkOut]


@router.get(
    "/emails",
    summary="Every email with its §6 metrics",
    response_model=EmailStatsOut,
    dependencies=READ,
    responses=errors(401, 403, 422, extra=CSV_OK),
)
def emails(
    request: Request,
    view: View = "all",
    campaign: Annotated[str | None, Query(description="Only this campaign's emails.")] = None,
    format: Format = None,
) -> Any:
    """One row per email (sent, delivered, bounces, opens, clicks, rates) and the total."""
    query = StatsQuery(human=view == "human", campaign=campaign)
    report = app_headway(request).email_stats(query)
    if format == "csv":
        return csv_download(f"emails-{view}.csv", (r.to_dict() for r in report.rows))
    return report.to_dict()


@router.get(
    "/emails/{email_id:path}/stats",
    summary="One email's metrics, per link and over time",
    response_model=EmailStatsOut,
    dependencies=READ,
    responses=errors(401, 403, 404, 422),
)
def stats(
    request: Request,
    email_id: str,
    view: View = "all",
    by: Annotated[
        Literal["email", "day", "week", "month"],
        Query(description="Rows per email, or per day, week or month of the send time."),
    ] = "email",
) -> dict[str, Any]:
    """Counts and rates, clicks per link, opens and clicks by hour since delivery and by day."""
    hw = app_headway(request)
    query = StatsQuery(human=view == "human", by=by, email=email_id)
    report = hw.email_stats(query)
    if not report.rows and hw.find_email(email_id) is None:
        raise _unknown(email_id)
    return report.to_dict()


@router.get(
    "/emails/{email_id:path}/csv",
    summary="One table of an email's page as CSV",
    dependencies=READ,
    responses=errors(401, 403, 404, 422, extra=CSV_OK),
)
def email_csv(
    request: Request,
    email_id: str,
    table: Annotated[
        EmailTable,
        Query(description="metrics, links, hours (since delivery), days, or stages (journeys)."),
    ] = "metrics",
    view: View = "all",
    as_of: Annotated[
        str | None, Query(description="stages: as of this instant (default: now).")
    ] = None,
) -> StreamingResponse:
    """The rows of one table of the email page, the numbers of ``/emails/{id}/stats``."""
    hw = app_headway(request)
    report = hw.email_stats(StatsQuery(human=view == "human", email=email_id))
    if not report.rows and hw.find_email(email_id) is None:
        raise _unknown(email_id)
    return csv_download(f"{email_id}-{table}-{view}.csv", _table_rows(hw, report, table, as_of))


def _table_rows(
    hw: Headway, report: EmailStatsReport, table: str, as_of: str | None
) -> list[dict[str, Any]]:
    if table == "metrics":
        return [r.to_dict() for r in report.rows]
    if table == "links":
        return [link.to_dict() for link in report.links]
    if table in ("hours", "days"):
        return report.timing.to_dict()[table]  # type: ignore[no-any-return]
    email_id = report.query.email or ""
    return [
        {"journey": s.journey, **row, "share": row["recipients"] / s.recipients}
        for s in hw.email_journey_stages(email_id, options(as_of, None))
        for row in s.rows()
        if s.recipients
    ]


@router.get(
    "/emails/{email_id:path}",
    summary="One email and its links",
    response_model=EmailOut,
    dependencies=READ,
    responses=errors(401, 403, 404),
)
def email(request: Request, email_id: str) -> dict[str, Any]:
    """The registered details of an email (or only its id when it is known from activities)."""
    hw = app_headway(request)
    found = hw.find_email(email_id)
    if found is None:
        _stats_or_404(request, StatsQuery(email=email_id))
        return {"id": email_id, "registered": False, "links": []} | dict.fromkeys(
            ("name", "subject", "campaign", "kind", "send_time", "created_at")
        )
    links = [
        {"link": x.link_id, "url": x.url, "label": x.label, "honeypot": x.honeypot}
        for x in hw.email_links(email_id)
    ]
    return {
        "id": found.id,
        "registered": True,
        "name": found.name,
        "subject": found.subject,
        "campaign": found.campaign,
        "kind": found.kind,
        "send_time": iso(found.send_time) if found.send_time else None,
        "created_at": iso(found.created_at) if found.created_at else None,
        "links": links,
    }


def _stats_or_404(request: Request, query: StatsQuery) -> EmailStatsReport:
    report = app_headway(request).email_stats(query)
    if not report.rows:
        raise _unknown(query.email or "")
    return report


def _unknown(email_id: str) -> NotFound:
    return NotFound(f"there is no email {email_id!r} (not registered and no activities name it)")
