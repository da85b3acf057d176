"""``headway demo``: build the reproducible demo world into the database (docs/demo.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from headway.cli.common import console, state

if TYPE_CHECKING:
    from headway.demo import DemoConfig, DemoSummary


def demo_command(
    contacts: Annotated[int, typer.Option(help="Number of contacts to generate.")] = 20_000,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed builds the same world.")
    ] = 7,
    force: Annotated[
        bool, typer.Option("--force", help="Delete the database file first if it exists.")
    ] = False,
    no_effects: Annotated[
        bool,
        typer.Option(
            "--no-effects", help="Leave out planted effects (1) and (2) (see docs/demo.md)."
        ),
    ] = False,
) -> None:
    """Build the demo world: campaigns, web activity and purchases ending on 2025-06-30."""
    from headway.demo import NO_EFFECTS, DemoConfig
    from headway.service.types import Store

    config = DemoConfig(
        contacts=contacts, seed=seed, effects=NO_EFFECTS if no_effects else DemoConfig().effects
    )
    path = state.db_path()
    if force and path.exists():
        Store(path).close()  # refuses a file in use by a server, or not a Headway database
        _delete(path)
    created = not path.exists()
    try:
        summary = _build(path, config)
    except BaseException:
        if created:  # never leave a half-built demo behind
            _delete(path)
        raise
    _report(path, summary)


def _build(path: Path, config: DemoConfig) -> DemoSummary:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from headway.demo import build_demo
    from headway.ingest.relabel import relabel
    from headway.service.types import Store

    columns = (TextColumn("building demo"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Store(path) as store, Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("contacts", total=config.contacts)
        summary = build_demo(store, config, lambda n: progress.advance(task, n))
        # The world is raw, as an ESP would deliver it: label machine opens and clicks now,
        # so the "human" views are honest from the first report.
        labelled = progress.add_task("labelling bots", total=None)
        relabel(
            store, progress=lambda done, top: progress.update(labelled, completed=done, total=top)
        )
        return summary


def _report(path: Path, summary: DemoSummary) -> None:
    from headway.demo.world import END

    console.print(
        f"Built the demo world in {path}: {summary.contacts:,} contacts, "
        f"{summary.activities:,} activities in {summary.seconds:.1f} s "
        f"(activities until {END:%Y-%m-%d %H:%M} UTC)."
    )
    console.print(
        "The example journeys (examples/*.yaml) are stored: see `headway journey list`; "
        "docs/demo.md lists the planted effects."
    )


def _delete(path: Path) -> None:
    for file in (path, path.with_name(path.name + ".wal")):
        file.unlink(missing_ok=True)


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command."""
    app.command("demo")(demo_command)
