"""``headway emails stats`` and ``headway emails relabel``: statistics and bot labels.

The commands join the ``emails`` group of ``cli/emails.py`` when this module is imported
(the CLI imports every module of the package); ``register`` has nothing left to add.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich import box
from rich.table import Table

from headway.cli.common import console, open_db, open_headway
from headway.cli.emails import emails_app
from headway.errors import Detail, InvalidInput

if TYPE_CHECKING:
    from headway.api import EmailMetrics, EmailStatsReport


def register(app: typer.Typer) -> None:
    """Nothing to add: the commands below live in the ``emails`` group."""


@emails_app.command("stats")
def emails_stats(
    email: Annotated[
        str | None, typer.Argument(help="One email id (default: every email).")
    ] = None,
    human: Annotated[
        bool, typer.Option("--human", help="Exclude bot-labelled activities.")
    ] = False,
    campaign: Annotated[str | None, typer.Option(help="Only the emails of this campaign.")] = None,
    by: Annotated[
        str, typer.Option(help="Group rows by email, campaign, day, week or month (send time).")
    ] = "email",
    as_json: Annotated[bool, typer.Option("--json", help="Every metric as JSON.")] = False,
) -> None:
    """Email statistics: sent, delivered, bounces, opens, clicks, rates, links, timing."""
    from headway.api import StatsQuery

    query = StatsQuery(human=human, by=by, email=email, campaign=campaign)  # type: ignore[arg-type]
    with open_headway(read_only=True) as hw:  # the store, or Spark over a headway export
        report = hw.email_stats(query)
    if as_json:
        # plain write: Rich would spend seconds laying out a large JSON document
        sys.stdout.write(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
        sys.stdout.write("\n")
        return
    console.print(_summary_table(report))
    if email is not None:
        console.print(_links_table(report))
        console.print(_timing_table(report))


@emails_app.command("relabel")
def emails_relabel(
    since: Annotated[
        str | None,
        typer.Option(help="Only contacts' emails with an open or click at or after this time."),
    ] = None,
    config: Annotated[
        str | None, typer.Option(help="Settings file with bot thresholds (default: none).")
    ] = None,
) -> None:
    """Label email opens and clicks made by machines (bot, bot_reason); raw data is kept."""
    from headway.ingest.relabel import relabel
    from headway.settings import load_settings

    settings = load_settings(config).bots
    with open_db() as store:
        counts = relabel(store, settings, _parse_since(since))
    table = Table("reason", "activities", title="Bot labels")
    for reason, n in counts.items():
        table.add_row(reason, f"{n:,}")
    table.add_row("total", f"{sum(counts.values()):,}", style="bold")
    console.print(table)


def _parse_since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"--since must be an ISO 8601 time such as 2025-03-01T00:00, not {text!r}",
            [Detail("not a time", field="since")],
        ) from None
    # stored times are naive UTC
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


_COLUMNS = ("sent", "deliv.", "bounce", "open", "click", "CTO", "unsub", "compl")


def _summary_table(report: EmailStatsReport) -> Table:
    by = report.query.by
    title = f"Email statistics ({report.view} view, by {by}; rates of delivered)"
    # Same compact layout as the funnel table; the email names are never cut.
    table = Table(title=title, box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False)
    longest = max((len(row.key or "(none)") for row in report.rows), default=5)
    table.add_column(by, no_wrap=True, min_width=min(longest, 40))
    totals = _cells(report.total)
    for column, total in zip(_COLUMNS, totals, strict=True):
        table.add_column(column, justify="right", min_width=len(total))
    for row in report.rows:
        table.add_row(row.key or "(none)", *_cells(row))
    table.add_row("total", *_cells(report.total), style="bold")
    return table


def _cells(m: EmailMetrics) -> list[str]:
    r = m.rates()
    return [
        f"{m.sent:,}",
        f"{m.delivered:,}",
        _pct(r["bounce_rate"]),
        _pct(r["open_rate"]),
        _pct(r["click_rate"]),
        _pct(r["click_to_open_rate"]),
        _pct(r["unsubscribe_rate"]),
        _pct(r["complaint_rate"]),
    ]


def _links_table(report: EmailStatsReport) -> Table:
    table = Table("link", "url", "clicks", "clickers", "share of clickers", title="Links")
    for link in report.links:
        url = link.url or ""
        name = link.label or link.link
        if link.honeypot:
            name += " (honeypot)"
        share = _pct(link.share_of_clickers)
        table.add_row(name, url, f"{link.clicks:,}", f"{link.clickers:,}", share)
    return table


def _timing_table(report: EmailStatsReport) -> Table:
    table = Table("hours since delivery", "opens", "clicks", title="Timing")
    spans: list[tuple[str, Any]] = [
        ("0-1", range(0, 1)),
        ("1-6", range(1, 6)),
        ("6-24", range(6, 24)),
        ("24-72", range(24, 72)),
        ("72+", range(72, 73)),
    ]
    hours = {h: (o, c) for h, o, c in report.timing.hours}
    for name, span in spans:
        opens = sum(hours[h][0] for h in span)
        clicks = sum(hours[h][1] for h in span)
        table.add_row(name, f"{opens:,}", f"{clicks:,}")
    unknown = report.timing.unknown_delivery
    if unknown != (0, 0):
        table.add_row("unknown delivery", f"{unknown[0]:,}", f"{unknown[1]:,}")
    return table
