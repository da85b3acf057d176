"""``headway flow``, ``headway cohorts`` and ``headway views``: the flow between two stages,
named cohorts (usable as ``--segment cohort=NAME``) and the journey page's saved views."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from headway.cli.common import console, open_headway, open_service
from headway.cli.reports import AsOf, DateRange, JourneyArg, JsonFlag, SegmentOpt, print_json

cohorts_app = typer.Typer(help="Named cohorts: a step's contacts, saved to filter any report.")
views_app = typer.Typer(help="Named saved views of the dashboard's journey page.")

StageOpt = Annotated[str, typer.Option("--stage", help="Stage name or 1-based index.")]


def register(app: typer.Typer) -> None:
    """Add ``flow``, ``cohorts`` and ``views``."""
    app.command("flow")(flow)
    app.add_typer(cohorts_app, name="cohorts")
    app.add_typer(views_app, name="views")


def flow(
    journey: JourneyArg,
    stage: StageOpt = "1",
    steps: Annotated[int, typer.Option("--steps", help="Steps of each path (1-20).")] = 4,
    top: Annotated[int, typer.Option("--top", help="Labels per step before Other.")] = 6,
    sends: Annotated[
        bool, typer.Option("--sends", help="Show email sends and deliveries too.")
    ] = False,
    view: Annotated[str, typer.Option("--view", help="human (no bots) or all.")] = "human",
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentOpt = None,
    json_: JsonFlag = False,
) -> None:
    """What the contacts who reached a stage did before the next one, or until they dropped."""
    if view not in ("human", "all"):
        raise typer.BadParameter(f"'{view}' is not human or all", param_hint="--view")
    with open_headway() as hw:
        report = hw.flow(
            journey, stage, steps=steps, top=top, sends=sends, human=view == "human",
            as_of=as_of, date_range=date_range, segment=segment,
        )  # fmt: skip
    if json_:
        print_json(report.to_dict())
        return
    title = (
        f"{report.journey} — from {report.stage_name} to {report.next_stage}: "
        f"{report.contacts:,} reached, {report.moved_on:,} moved on, {report.dropped:,} dropped, "
        f"{report.in_progress:,} in progress"
    )
    table = Table(title=title)
    for col, justify in (
        ("step", "right"),
        ("from", "left"),
        ("to", "left"),
        ("contacts", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for row in report.rows():
        table.add_row(str(row["from_step"]), row["from"], row["to"], f"{row['contacts']:,}")
    console.print(table)


@cohorts_app.command("list")
def cohorts_list(json_: JsonFlag = False) -> None:
    """The saved cohorts and their sizes."""
    with open_headway() as hw:
        found = hw.cohorts()
    if json_:
        print_json([c.to_dict() for c in found])
        return
    table = Table(title="Cohorts")
    for col in ("name", "contacts", "from", "as of"):
        table.add_column(col)
    for c in found:
        origin = f"{c.journey} · {c.stage} · {c.status}" if c.journey else ""
        table.add_row(c.name, f"{c.size:,}", origin, c.as_of.isoformat() if c.as_of else "")
    console.print(table)


@cohorts_app.command("save")
def cohorts_save(
    name: Annotated[str, typer.Argument(help="The cohort's name.")],
    journey: Annotated[str, typer.Option("--journey", help="Journey file or stored name.")],
    stage: StageOpt = "1",
    status: Annotated[
        str,
        typer.Option(
            "--status", help="reached, dropped, in_progress, stalled, moving or converted."
        ),
    ] = "reached",
    as_of: AsOf = None,
    date_range: DateRange = None,
    segment: SegmentOpt = None,
) -> None:
    """Save the contacts at a stage with a status as a named cohort."""
    with open_service() as hw:
        cohort = hw.save_cohort(
            name, journey, stage, status, as_of=as_of, date_range=date_range, segment=segment
        )
    typer.echo(f"Saved cohort {cohort.name!r}: {cohort.size:,} contacts.")


@cohorts_app.command("delete")
def cohorts_delete(name: Annotated[str, typer.Argument(help="The cohort's name.")]) -> None:
    """Delete a cohort (its contacts stay)."""
    with open_service() as hw:
        hw.delete_cohort(name)
    typer.echo(f"Deleted cohort {name!r}.")


@views_app.command("list")
def views_list(
    journey: Annotated[str | None, typer.Option("--journey", help="Only this journey's.")] = None,
    json_: JsonFlag = False,
) -> None:
    """The saved views of journey pages (open them at /journeys/NAME?QUERY)."""
    with open_headway() as hw:
        found = hw.views(journey)
    if json_:
        print_json([v.to_dict() for v in found])
        return
    table = Table(title="Saved views")
    for col in ("name", "journey", "query"):
        table.add_column(col)
    for v in found:
        table.add_row(v.name, v.journey, v.query)
    console.print(table)


@views_app.command("delete")
def views_delete(name: Annotated[str, typer.Argument(help="The view's name.")]) -> None:
    """Delete a saved view."""
    with open_service() as hw:
        hw.delete_view(name)
    typer.echo(f"Deleted view {name!r}.")
