"""``headway import``: activity files and contact attributes in (``headway export``: cli/export.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from headway.cli.common import console, err_console, open_db, served_here, state
from headway.errors import InvalidInput
from headway.ingest.mapping import ColumnMapping, parse_map
from headway.ingest.presets import PRESETS

if TYPE_CHECKING:
    from headway.ingest.files import FileResult, Report
    from headway.service.types import Store

EXIT_REJECTED = 3
IMPORT_MEMORY = 1_400_000_000  # bytes (DuckDB's 1400MB)
_SHOWN_DETAILS = 1000
_SHOWN_DRY_RUN = 10


def import_command(
    files: Annotated[
        list[Path], typer.Argument(help="JSON Lines, CSV or Parquet files (.gz too).")
    ],
    tool: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="The tool whose export the files are: " + ", ".join(PRESETS) + ".",
        ),
    ] = None,
    map_rules: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Columns of the activity fields: contact=COL,type=COL,ts=COL,id=COL "
            "(and anonymous=COL).",
        ),
    ] = None,
    contacts: Annotated[
        bool, typer.Option("--contacts", help="The files hold contact attributes, not activities.")
    ] = False,
    fmt: Annotated[
        str | None, typer.Option("--format", help="jsonl, csv or parquet (default: from the name).")
    ] = None,
    contact_col: Annotated[str, typer.Option(help="Column with the contact id.")] = "contact",
    type_col: Annotated[str, typer.Option(help="Column with the activity type.")] = "type",
    ts_col: Annotated[str, typer.Option(help="Column with the timestamp.")] = "ts",
    id_col: Annotated[
        str, typer.Option(help="Column with the activity id (with --contacts: the contact id).")
    ] = "id",
    tz: Annotated[
        str | None,
        typer.Option(help="Time zone of timestamps without one, e.g. Europe/Prague."),
    ] = None,
    assume_utc: Annotated[
        bool, typer.Option("--assume-utc", help="Timestamps without a time zone are UTC.")
    ] = False,
    on_error: Annotated[
        str,
        typer.Option(help="skip: report bad records and go on; fail: write nothing of the file."),
    ] = "skip",
    source: Annotated[
        str | None,
        typer.Option(help="Source label of activities without one (default: import, or the tool)."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check and count everything, write nothing."),
    ] = False,
) -> None:
    """Import activities (or, with --contacts, contact attributes) from files."""
    from headway.api import Headway
    from headway.ingest.files import ImportOptions
    from headway.ingest.importer import check_files

    if contacts:
        _import_contacts(files, fmt, id_col)
        return
    if tz is not None and assume_utc:
        raise InvalidInput("pass --tz or --assume-utc, not both")
    base = ColumnMapping(contact=contact_col, type=type_col, ts=ts_col, id=id_col)
    options = ImportOptions(
        format=fmt,
        mapping=parse_map(map_rules or [], base),
        tz="UTC" if assume_utc else tz,
        on_error=on_error,
        source=source,
        preset=tool,
        dry_run=dry_run,
        workers=None,  # a large export is mapped by one worker process per core
    )
    check_files(files, options)  # before the database is even opened
    with _open_for(dry_run) as store, _progress() as progress:
        # A bulk import spills to disk (DuckDB's temp directory beside the database)
        # rather than growing past this; the whole process stays under 2 GiB. A served
        # database keeps the server's own limit (the setting is global to its instance).
        if not served_here():
            store.limit_memory(IMPORT_MEMORY)

        def report_for(path: Path) -> Report:
            task = progress.add_task(path.name, total=1.0)

            def report(fraction: float, stage: str) -> None:
                progress.update(task, completed=fraction, description=f"{path.name} {stage}")

            return report

        outcome = Headway(store, cache_bytes=0).import_files(
            files, options, report_for=report_for, warn=_warn
        )
    if dry_run:
        console.print("dry run: nothing was written", highlight=False)
    for result in outcome.files:
        _print_result(result, dry_run)
    if len(outcome.files) > 1:
        _print_total(outcome.files)
    if outcome.import_id is not None:
        console.print(
            f"import {outcome.import_id} (undo it with: headway imports undo {outcome.import_id})",
            highlight=False,
        )
    if outcome.rejected:
        raise typer.Exit(EXIT_REJECTED)


@contextmanager
def _open_for(dry_run: bool) -> Iterator[Store]:
    """The database; a dry run on a database that does not exist uses an empty one in memory."""
    from headway.service.types import Store

    if dry_run and not state.db_path().exists():
        with Store(":memory:") as store:
            yield store
        return
    with open_db(must_exist=False) as store:
        yield store


def _warn(message: str) -> None:
    err_console.print(f"warning: {message}", highlight=False, markup=False, soft_wrap=True)


def _import_contacts(files: list[Path], fmt: str | None, id_col: str) -> None:
    from headway.ingest import contacts as contact_import

    with open_db(must_exist=False) as store:
        for path in files:
            result = contact_import.import_contacts(store, path, fmt=fmt, id_col=id_col)
            console.print(
                f"{path!s}: {result.created} contacts created, {result.updated} updated",
                highlight=False,
                soft_wrap=True,
            )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False),  # file names as they are
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        # Off when stderr is not a terminal: logs and pipes get the summary only.
        disable=not err_console.is_terminal,
    )


def _print_result(result: FileResult, dry_run: bool = False) -> None:
    verb = "would be imported" if dry_run else "imported"
    console.print(
        f"{result.path!s}: {result.imported} {verb}, "
        f"{result.duplicates} duplicates, {result.rejected} rejected",
        highlight=False,
        soft_wrap=True,
    )
    if result.identities or result.attributes:
        console.print(
            f"{result.path!s}: {_count(result.identities, 'identity claim')} "
            f"{'would be ' if dry_run else ''}recorded, attributes "
            f"{'would be ' if dry_run else ''}set on {_count(result.attributes, 'contact')}",
            highlight=False,
            soft_wrap=True,
        )
    if dry_run:
        _print_types(result)
    shown = result.details[: _SHOWN_DRY_RUN if dry_run else _SHOWN_DETAILS]
    for detail in shown:
        err_console.print(
            f"  {result.path}: {detail}", highlight=False, markup=False, soft_wrap=True
        )
    if result.rejected > len(shown):
        err_console.print(f"  … and {result.rejected - len(shown)} more rejected", highlight=False)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _print_types(result: FileResult) -> None:
    listed = ", ".join(f"{name} ({count})" for name, count in result.types)
    more = result.distinct_types - len(result.types)
    tail = f", and {more} more" if more > 0 else ""
    console.print(
        f"  {result.distinct_types} types: {listed}{tail}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def _print_total(results: list[FileResult]) -> None:
    console.print(
        f"total: {sum(r.imported for r in results)} imported, "
        f"{sum(r.duplicates for r in results)} duplicates, "
        f"{sum(r.rejected for r in results)} rejected",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add the ``import`` command."""
    app.command("import")(import_command)
