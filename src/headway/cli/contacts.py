"""``headway contacts JOURNEY --stage S`` (who is where), ``contacts show ID``, ``contacts erase ID``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from headway.cli.common import console, open_headway, open_service
from headway.cli.discovery import print_warnings, with_warnings
from headway.cli.reports import SegmentOpt, print_json
from headway.errors import InvalidInput
from headway.safe_csv import safe_writer

FORMATS = ("text", "csv", "json")


def register(app: typer.Typer) -> None:
    """Add the ``contacts`` command."""
    app.command("contacts")(contacts)


def contacts(
    target: Annotated[
        list[str],
        typer.Argument(
            help="JOURNEY (file or stored name), or: show CONTACT_ID, or: erase CONTACT_ID."
        ),
    ],
    stage: Annotated[
        str | None, typer.Option("--stage", help="Stage name or 1-based index.")
    ] = None,
    status: Annotated[
        str,
        typer.Option(
            "--status", help="reached, dropped, in_progress, stalled, moving or converted."
        ),
    ] = "reached",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="As of this instant (default: now).")
    ] = None,
    date_range: Annotated[str | None, typer.Option("--date-range", help="FROM..TO.")] = None,
    segment: SegmentOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", help="text (one id per line), csv or json.")
    ] = "text",
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
    yes: Annotated[bool, typer.Option("--yes", help="erase: do not ask for confirmation.")] = False,
) -> None:
    """The contacts at a stage of a journey, one contact's profile and timeline, or erasure."""
    from headway.api import options

    if target[0] == "show":
        _show(target)
        return
    if target[0] == "erase":
        from headway.cli.erase import erase_target

        erase_target(target, yes)
        return
    if len(target) != 1:
        raise InvalidInput("give one JOURNEY (or 'show CONTACT_ID')")
    if stage is None:
        raise InvalidInput("--stage is required (a stage name or its 1-based index)")
    if fmt not in FORMATS:
        raise InvalidInput(f"--format: '{fmt}' is not one of {', '.join(FORMATS)}")
    opts = options(as_of, date_range)
    with open_headway() as hw:
        warnings = hw.warnings(target[0], as_of=opts.as_of, date_range=opts.date_range)
        page = hw.contacts(
            target[0],
            stage,
            status,
            offset=offset,
            limit=limit,
            as_of=opts.as_of,
            date_range=opts.date_range,
            segment=segment,
        )
    print_warnings(warnings)
    if fmt == "json":
        print_json(with_warnings(page.to_dict(), warnings))
    elif fmt == "csv":
        rows = page.rows()
        columns = list(rows[0]) if rows else ["contact"]
        writer = safe_writer(sys.stdout, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([r[c] for c in columns] for r in rows)
    else:
        for c in page.contacts:
            typer.echo(c.contact)


def _show(target: list[str]) -> None:
    if len(target) != 2:
        raise InvalidInput("usage: headway contacts show CONTACT_ID")
    from headway.cli.contact_show import show_contact

    with open_service(read_only=True) as hw:
        show_contact(hw, target[1], console)
