"""``headway import`` and ``headway export``: activity files in and out, contact attributes in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from headway.cli.common import console, err_console, open_db
from headway.ingest import contacts as contact_import
from headway.ingest.export import export_activities
from headway.ingest.files import FileResult, ImportOptions, check_file, import_file
from headway.ingest.mapping import ColumnMapping

EXIT_REJECTED = 3
IMPORT_MEMORY = "1400MB"
_SHOWN_DETAILS = 1000


def import_command(
    files: Annotated[
        list[Path], typer.Argument(help="JSON Lines, CSV or Parquet files (.gz too).")
    ],
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
        str | None, typer.Option(help="Time zone of timestamps without an offset, e.g. UTC.")
    ] = None,
    on_error: Annotated[
        str,
        typer.Option(help="skip: report bad records and go on; fail: write nothing of the file."),
    ] = "skip",
    source: Annotated[str, typer.Option(help="Source label of activities without one.")] = "import",
) -> None:
    """Import activities (or, with --contacts, contact attributes) from files."""
    if contacts:
        _import_contacts(files, fmt, id_col)
        return
    mapping = ColumnMapping(contact=contact_col, type=type_col, ts=ts_col, id=id_col)
    options = ImportOptions(format=fmt, mapping=mapping, tz=tz, on_error=on_error, source=source)
    for path in files:  # every file is checked before anything is written
        check_file(path, options)
    results = []
    with open_db(must_exist=False) as store, _progress() as progress:
        # A bulk import spills to disk (DuckDB's temp directory beside the database)
        # rather than growing past this; the whole process stays under 2 GiB.
        store.execute(f"SET memory_limit = '{IMPORT_MEMORY}'")
        for path in files:
            task = progress.add_task(escape(path.name), total=1.0)

            def report(
                fraction: float, stage: str, task: TaskID = task, name: str = path.name
            ) -> None:
                progress.update(task, completed=fraction, description=f"{escape(name)} {stage}")

            results.append(import_file(store, path, options, report))
    for result in results:
        _print_result(result)
    if len(results) > 1:
        _print_total(results)
    if any(r.rejected for r in results):
        raise typer.Exit(EXIT_REJECTED)


def _import_contacts(files: list[Path], fmt: str | None, id_col: str) -> None:
    with open_db(must_exist=False) as store:
        for path in files:
            result = contact_import.import_contacts(store, path, fmt=fmt, id_col=id_col)
            console.print(
                f"{escape(str(path))}: {result.created} contacts created, {result.updated} updated",
                highlight=False,
                soft_wrap=True,
            )


def export_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="parquet, csv or jsonl.")] = "parquet",
    start: Annotated[
        str | None, typer.Option("--from", help="Earliest timestamp (ISO 8601; no zone = UTC).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Latest timestamp (a bare date: the end of it).")
    ] = None,
    types: Annotated[
        list[str] | None, typer.Option("--type", help="Only this activity type (repeatable).")
    ] = None,
) -> None:
    """Export activities to Parquet, CSV or JSON Lines."""
    with open_db(read_only=True) as store:
        count = export_activities(store, output, fmt=fmt, start=start, end=end, types=types or ())
    console.print(
        f"{count} activities written to {escape(str(output))}", highlight=False, soft_wrap=True
    )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        # Off when stderr is not a terminal: logs and pipes get the summary only.
        disable=not err_console.is_terminal,
    )


def _print_result(result: FileResult) -> None:
    console.print(
        f"{escape(str(result.path))}: {result.imported} imported, "
        f"{result.duplicates} duplicates, {result.rejected} rejected",
        highlight=False,
        soft_wrap=True,
    )
    for detail in result.details[:_SHOWN_DETAILS]:
        err_console.print(
            f"  {result.path}: {detail}", highlight=False, markup=False, soft_wrap=True
        )
    if result.rejected > len(result.details):
        err_console.print(
            f"  … and {result.rejected - len(result.details)} more rejected", highlight=False
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
    """Add the ``import`` and ``export`` commands."""
    app.command("import")(import_command)
    app.command("export")(export_command)
