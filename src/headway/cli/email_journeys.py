"""``headway engagement JOURNEY`` and ``headway emails stages EMAIL --journey J``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from headway.cli.common import console, open_headway
from headway.cli.emails import emails_app
from headway.cli.reports import AsOf, DateRange, JourneyArg, JsonFlag, pct, print_json


def register(app: typer.Typer) -> None:
    """Add ``engagement`` and ``emails stages``."""
    app.command("engagement")(engagement)
    emails_app.command("stages")(stages)


def engagement(
    journey: JourneyArg,
    all_: Annotated[
        bool, typer.Option("--all", help="Count machine opens and clicks too.")
    ] = False,
    as_of: AsOf = None,
    date_range: DateRange = None,
    json_: JsonFlag = False,
) -> None:
    """Email engagement (delivered, open and click rates) of the contacts at each stage."""
    from headway.api import options

    opts = options(as_of, date_range)
    with open_headway() as hw:
        report = hw.journey_engagement(hw.journey(journey), opts, not all_)
    if json_:
        print_json(report.to_dict())
        return
    view = "all" if all_ else "human"
    table = Table(
        title=f"{report.journey} — email engagement of the contacts at each stage ({view} view)"
    )
    for col in ("#", "stage", "contacts", "delivered", "open rate", "click rate"):
        table.add_column(col, justify="left" if col == "stage" else "right", no_wrap=col == "stage")
    for s in report.stages:
        table.add_row(
            str(s.index),
            s.name,
            f"{s.contacts:,}",
            f"{s.delivered:,}",
            pct(s.open_rate),
            pct(s.click_rate),
        )
    console.print(table)


def stages(
    email: Annotated[str, typer.Argument(help="The email id (the activities' `email` property).")],
    journey: Annotated[str, typer.Option("--journey", help="A journey file or stored name.")],
    as_of: AsOf = None,
    json_: JsonFlag = False,
) -> None:
    """Where in a journey the email's recipients were when it was delivered."""
    from headway.api import options

    opts = options(as_of, None)
    with open_headway() as hw:
        report = hw.email_stages(hw.journey(journey), email, opts)
    if json_:
        print_json(report.to_dict())
        return
    table = Table(title=f"{email}: recipients' stage of '{report.journey}' at delivery")
    table.add_column("stage", no_wrap=True)
    table.add_column("recipients", justify="right")
    table.add_column("share", justify="right")
    for s in report.stages:
        table.add_row(
            s.stage,
            f"{s.recipients:,}",
            pct(s.recipients / report.recipients if report.recipients else None),
        )
    console.print(table)
