"""The Emails pages: every email's §6 metrics, and one email's engagement in detail.

Numbers come from the same service calls as ``headway emails stats`` (``Headway.email_stats``
with a ``StatsQuery``) and ``headway emails stages`` (``Headway.email_stages``), so the
dashboard and the CLI always agree. The human view (bot-labelled activities excluded) is the
default; the all view is one click away, and the bot-labelled counts are shown beside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from headway.api import EmailMetrics, EmailStatsReport, Headway, StatsQuery
from headway.errors import NotFound
from headway.web.api import PREFIX
from headway.web.auth import page_scope
from headway.web.dashboard._formats import FMT, VIEW_LABELS, VIEWS, report_options, view_of
from headway.web.dashboard.email_charts import days_figure, funnel_figure, hours_figure
from headway.web.templating import render

router = APIRouter()


@dataclass(frozen=True)
class EmailRow:
    """One email in both views: the figures shown and the bot-labelled difference."""

    shown: EmailMetrics
    human: EmailMetrics
    all: EmailMetrics

    @property
    def bot_opens(self) -> int:
        """Opens labelled as made by machines."""
        return self.all.opens - self.human.opens

    @property
    def bot_clicks(self) -> int:
        """Clicks labelled as made by machines."""
        return self.all.clicks - self.human.clicks


def both_views(hw: Headway, email: str | None = None) -> dict[str, EmailStatsReport]:
    """The statistics report of the selection in the human and the all view."""
    return {view: hw.email_stats(StatsQuery(human=view == "human", email=email)) for view in VIEWS}


def email_rows(reports: dict[str, EmailStatsReport], view: str) -> list[EmailRow]:
    """One row per email (newest send first), pairing its human and all figures."""
    all_rows = {r.key: r for r in reports["all"].rows}
    human_rows = {r.key: r for r in reports["human"].rows}
    rows = []
    for key, every in all_rows.items():
        human = human_rows.get(key, EmailMetrics.empty(key))
        rows.append(EmailRow(human if view == "human" else every, human, every))
    return sorted(rows, key=_newest_first)


def _newest_first(row: EmailRow) -> tuple[float, str]:
    sent = row.all.send_time
    return (-sent.timestamp() if sent else 0.0, row.all.key or "")


def _hw(request: Request) -> Headway:
    return request.app.state.headway  # type: ignore[no-any-return]


@router.get("/emails", response_class=HTMLResponse)
def emails_page(
    request: Request, view: str | None = None, _: object = Depends(page_scope("read"))
) -> HTMLResponse:
    """Every email with sent, delivered, bounce, open, click and complaint figures."""
    chosen = view_of(view)
    reports = both_views(_hw(request))
    total = EmailRow(reports[chosen].total, reports["human"].total, reports["all"].total)
    context = {
        "nav": "emails",
        "view": chosen,
        "views": VIEW_LABELS,
        "rows": email_rows(reports, chosen),
        "total": total,
        "csv": f"{PREFIX}/emails?" + urlencode({"view": chosen, "format": "csv"}),
        "fmt": FMT,
    }
    return render(request, "emails.html", context)


@router.get("/emails/{email_id}", response_class=HTMLResponse)
def email_page(
    request: Request,
    email_id: str,
    view: str | None = None,
    as_of: str | None = None,
    _: object = Depends(page_scope("read")),
) -> HTMLResponse:
    """One email: engagement funnel, links, timing and the journey stages of its recipients."""
    hw = _hw(request)
    chosen = view_of(view)
    reports = both_views(hw, email_id)
    registered = hw.find_email(email_id)
    if registered is None and not reports["all"].rows:
        raise NotFound(f"there is no email {email_id!r} (no activity and not registered)")
    report = reports[chosen]
    row = EmailRow(*(_only_row(reports[v], email_id) for v in (chosen, "human", "all")))
    context = {
        "email_id": email_id,
        "email": registered,
        "nav": "emails",
        "view": chosen,
        "views": VIEW_LABELS,
        "as_of": as_of or "",
        "row": row,
        "links": report.links,
        "timing": report.timing,
        "charts": _charts(reports, chosen),
        "stages": hw.email_journey_stages(email_id, report_options(as_of)),
        "csv": csv_links(email_id, chosen, as_of),
        "fmt": FMT,
    }
    return render(request, "email.html", context)


CSV_TABLES = ("metrics", "links", "hours", "days", "stages")


def csv_links(email_id: str, view: str, as_of: str | None) -> dict[str, str]:
    """The API download of each table of the email page, in the page's view (and as_of)."""
    base = f"{PREFIX}/emails/{quote(email_id, safe='')}/csv?"
    extra = {"as_of": as_of} if as_of else {}
    return {t: base + urlencode({"table": t, "view": view, **extra}) for t in CSV_TABLES}


def _only_row(report: EmailStatsReport, email_id: str) -> EmailMetrics:
    return report.rows[0] if report.rows else EmailMetrics.empty(email_id)


def _charts(reports: dict[str, EmailStatsReport], view: str) -> dict[str, dict[str, Any]]:
    report = reports[view]
    return {
        "funnel": funnel_figure(_only_row(report, ""), VIEW_LABELS[view]),
        "days": days_figure(reports["human"].timing, reports["all"].timing),
        "hours": hours_figure(report.timing),
    }
