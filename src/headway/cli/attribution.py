"""``headway attribution JOURNEY``, ``headway emails influence EMAIL`` and
``headway emails unsubscribes``: which touchpoints and emails moved contacts forward."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from headway.cli.common import console, open_headway
from headway.cli.emails import emails_app
from headway.cli.reports import (
    AsOf,
    DateRange,
    JourneyArg,
    JsonFlag,
    SegmentOpt,
    pct,
    print_json,
    printed_json,
)

if TYPE_CHECKING:
    from headway.api import EmailInfluence, EmailRanking

AllView = Annotated[bool, typer.Option("--all", help="Count machine opens and clicks too.")]
Days = Annotated[int, typer.Option("--days", help="Days after each delivery (1-365).")]


def register(app: typer.Typer) -> None:
    """Add ``attribution``, ``emails influence`` and ``emails unsubscribes``."""
    app.command("attribution")(attribution)
    emails_app.command("influence")(influence)
    emails_app.command("unsubscribes")(unsubscribes)


def attribution(
    journey: JourneyArg,
    model: Annotated[
        str, typer.Option("--model", help="first, last, linear, position, markov or all.")
    ] = "all",
    order: Annotated[int, typer.Option("--order", help="Order of the Markov chain (1-4).")] = 1,
    top: Annotated[int, typer.Option("--top", help="Touchpoints shown in the table.")] = 15,
    all_: AllView = False,
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentOpt = None,
    json_: JsonFlag = False,
) -> None:
    """Attribute a journey's conversions to touchpoints (first, last, linear, position, Markov)."""
    from headway.api import AttributionOptions, options, parse_models

    opts = options(as_of, date_range)
    chosen = AttributionOptions(models=parse_models(model), order=order, human=not all_)
    with open_headway() as hw:
        j = hw.journey(journey)
        warnings = hw.warnings(j, as_of=opts.as_of, date_range=opts.date_range)
        report = hw.attribution(
            j, models=chosen.models, order=chosen.order, human=chosen.human, as_of=opts,
            segment=segment,
        )  # fmt: skip
    if printed_json(report, warnings, json_):
        return
    title = f"{report.journey} — conversions credited to touchpoints"
    caption = (
        f"{report.conversions:,} conversions of {report.contacts:,} contacts,"
        f" {report.attributed_conversions:,} with a touchpoint"
    )
    table = Table(
        title=title, caption=caption, box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False
    )
    table.add_column("touchpoint", overflow="fold")
    table.add_column("contacts", justify="right")
    for m in report.models:
        table.add_column(m, justify="right")
    if "markov" in report.models:
        table.add_column("removal", justify="right")
    for t in report.touchpoints[: max(top, 0)]:
        cells = [f"{t.credits[m]:.1f}" for m in report.models]
        if "markov" in report.models:
            cells.append(pct(t.removal_effect))
        table.add_row(t.label or t.touchpoint, f"{t.contacts:,}", *cells)
    console.print(table)


def influence(
    email: Annotated[str, typer.Argument(help="The email id (the activities' `email` property).")],
    journey: Annotated[str, typer.Option("--journey", help="A journey file or stored name.")],
    days: Days = 7,
    all_: AllView = False,
    as_of: AsOf = None,
    json_: JsonFlag = False,
) -> None:
    """How the email's recipients at each stage moved on, by what they did with it."""
    from headway.api import options

    opts = options(as_of, None)
    with open_headway() as hw:
        report = hw.email_influence(email, journey, days=days, human=not all_, as_of=opts)
    if json_:
        print_json(report.to_dict())
        return
    print_influence(report)


def print_influence(report: EmailInfluence) -> None:
    """One table per stage, then its plain-language line."""
    if not report.stages:
        console.print(
            f"No recipient of {report.email} was on the way through '{report.journey}' when it "
            f"was delivered ({report.recipients:,} deliveries at least {report.days} days old).",
            highlight=False,
            markup=False,
        )
        return
    for s in report.stages:
        table = Table(title=f"{report.email}: recipients at {s.stage} → {s.next_stage}")
        for col in ("group", "recipients", "advanced", "rate", "lift", "95% CI"):
            table.add_column(col, justify="left" if col == "group" else "right")
        for g in s.groups:
            ci = "–" if g.lift_low is None else f"{g.lift_low:.2f}–{g.lift_high:.2f}"
            lift = "–" if g.lift is None else f"{g.lift:.2f}×"
            table.add_row(g.group, f"{g.recipients:,}", f"{g.advanced:,}", pct(g.rate), lift, ci)
        console.print(table)
        console.print(s.summary, highlight=False, markup=False)


def unsubscribes(
    days: Days = 7,
    journey: Annotated[
        str | None, typer.Option("--journey", help="Also count journey drop-off after each email.")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="unsubscribes or dropoff.")] = "unsubscribes",
    as_of: AsOf = None,
    json_: JsonFlag = False,
) -> None:
    """Emails ranked by unsubscribes (or journey drop-off) within N days of delivery."""
    from headway.api import options

    opts = options(as_of, None)
    with open_headway() as hw:
        j = hw.journey(journey) if journey else None
        report = hw.email_ranking(by=by, days=days, journey=j, as_of=opts)
    if json_:
        print_json(report.to_dict())
        return
    console.print(ranking_table(report))


def ranking_table(report: EmailRanking) -> Table:
    """The ranking as a table."""
    title = f"Emails by {report.by} within {report.days} days of delivery"
    if report.journey:
        title += f" (drop-off from '{report.journey}')"
    table = Table(title=title)
    table.add_column("email", no_wrap=True)
    for col in ("delivered", "unsubscribed", "rate"):
        table.add_column(col, justify="right")
    if report.journey:
        for col in ("at a stage", "dropped", "drop rate"):
            table.add_column(col, justify="right")
    for e in report.emails:
        cells = [e.email, f"{e.delivered:,}", f"{e.unsubscribed:,}", pct(e.unsubscribe_rate)]
        if report.journey:
            cells += [f"{e.at_stage or 0:,}", f"{e.dropped or 0:,}", pct(e.drop_rate)]
        table.add_row(*cells)
    return table
