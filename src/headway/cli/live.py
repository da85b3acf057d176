"""``headway live``: keep journeys' stage state current on ingest, and read journey events.

``live on JOURNEY`` / ``live off JOURNEY`` turn a stored journey live; ``live status``
shows every live journey (version served, rebuild progress, stage counts, the worker's lag);
``live rebuild JOURNEY`` rebuilds a state from the whole log; ``live events`` lists journey
events after a sequence number. With a server running, the command runs in it (see
``side_by_side.py``), where the worker and the scheduler live (docs/live.md).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from headway.cli.common import console, open_headway, served_here

if TYPE_CHECKING:
    from headway.api import LiveStatus

live_app = typer.Typer(
    help="Live journeys: stage state kept current as activities arrive; journey events.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``live`` command group."""
    app.add_typer(live_app, name="live")


def _show(status: LiveStatus) -> None:
    name = escape(status.name)
    if not status.active:
        console.print(f"{name}: off", highlight=False)
        return
    line = f"{name}: {status.status}"
    if status.version is not None:
        line += f", version {status.version} served, {status.contacts:,} contacts"
    if status.building_version is not None:
        share = f" {status.progress:.0%}" if status.progress is not None else ""
        line += f"; version {status.building_version} {status.status}{share}"
    if status.error:
        line += f" ({escape(status.error)})"
    console.print(line, highlight=False)
    for stage in status.stages:
        console.print(
            f"  {escape(stage.name)}: reached {stage.reached:,}, here {stage.at_stage:,}"
            f" (stalled {stage.stalled:,}, dropped {stage.dropped:,})",
            highlight=False,
        )


@live_app.command("on")
def live_on(journey: Annotated[str, typer.Argument(help="A stored journey's name.")]) -> None:
    """Keep a journey's stage state current (built in the background by the server)."""
    with open_headway(read_only=False) as hw:
        status = hw.set_journey_live(journey, True)
    _show(status)
    if not served_here():
        console.print("its state is built and kept current while 'headway serve' runs")


@live_app.command("off")
def live_off(journey: Annotated[str, typer.Argument(help="A stored journey's name.")]) -> None:
    """Stop keeping a journey live (its live state is dropped; its events stay)."""
    with open_headway(read_only=False) as hw:
        _show(hw.set_journey_live(journey, False))


@live_app.command("status")
def live_status(
    journey: Annotated[str | None, typer.Argument(help="One journey (default: all).")] = None,
) -> None:
    """Live journeys: version served, rebuild progress, stage counts, the worker's lag."""
    with open_headway() as hw:
        statuses = [hw.live_status(journey)] if journey else hw.live_journeys()
        lag = hw.live_lag()
    if not statuses:
        console.print("no journey is live (turn one on with 'headway live on JOURNEY')")
    for status in statuses:
        _show(status)
    if lag.p99_seconds is not None:
        console.print(
            f"lag over {lag.batches:,} appends: p50 {lag.p50_seconds:.3f} s,"
            f" p99 {lag.p99_seconds:.3f} s, max {lag.max_seconds:.3f} s",
            highlight=False,
        )


@live_app.command("rebuild")
def live_rebuild(journey: Annotated[str, typer.Argument(help="A live journey.")]) -> None:
    """Rebuild a live journey's state from the whole log (state only, no events)."""
    with open_headway(read_only=False) as hw:
        _show(hw.rebuild_live(journey))


@live_app.command("events")
def live_events(
    after: Annotated[int, typer.Option(help="Events with a sequence number above this.")] = 0,
    journey: Annotated[str | None, typer.Option(help="One journey's events.")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Only these kinds (repeatable).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Journey events, oldest first (entered, stalled, dropped, converted, KPI reached)."""
    with open_headway() as hw:
        events = hw.journey_events(after, limit=limit, journey=journey, kinds=kind)
    for e in events:
        if as_json:
            typer.echo(json.dumps(e.to_dict(), ensure_ascii=False))
            continue
        who = f" {escape(e.contact)}" if e.contact else ""
        where = f" {escape(e.stage_name)}" if e.stage_name else ""
        console.print(
            f"{e.seq} {e.occurred_at.isoformat()} {escape(e.journey)} {e.kind}{where}{who}",
            highlight=False,
        )
