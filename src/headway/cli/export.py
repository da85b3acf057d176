"""``headway export``: the log as a contact-partitioned table (``PATH``) or as one file (``-o``).

``headway export --format parquet|delta PATH`` writes the activity log and the contacts as
a table directory the Spark backend reads directly (docs/scale-out.md);
``headway export --format parquet|csv|jsonl -o FILE`` writes the activities as one file that
``headway import`` reads back (docs/import.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from headway.cli.common import console, open_db, spark_chosen
from headway.errors import InvalidInput

TABLE_FORMATS = ("parquet", "delta")
FILE_FORMATS = ("parquet", "csv", "jsonl")


def export_command(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Directory for a contact-partitioned table (parquet or delta) that Spark reads."
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="One file to write instead of a table.")
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="parquet or delta (a table at PATH); parquet, csv or jsonl (-o)."
        ),
    ] = "parquet",
    buckets: Annotated[
        int | None,
        typer.Option("--buckets", help="Contact buckets of a table (default: one per 1M rows)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an earlier export at PATH.")
    ] = False,
    start: Annotated[
        str | None,
        typer.Option("--from", help="-o only: earliest timestamp (ISO 8601; no zone = UTC)."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="-o only: latest timestamp (a bare date: the end of it)."),
    ] = None,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", help="-o only: only this activity type (repeatable)."),
    ] = None,
) -> None:
    """Export the log: a contact-partitioned table at PATH, or one file with -o."""
    if spark_chosen():
        raise InvalidInput(
            "export writes the DuckDB store (--db) out; it does not read a spark --source"
        )
    if path is not None and output is not None:
        raise InvalidInput("give either PATH (a table directory) or --output FILE, not both")
    if path is not None:
        _check_table_options(fmt, start, end, types)
        export_table(path, fmt, buckets, overwrite)
    elif output is not None:
        _check_file_options(fmt, buckets, overwrite)
        export_file(output, fmt, start, end, types or [])
    else:
        raise InvalidInput(
            "give PATH, a directory for a contact-partitioned table (parquet or delta), "
            "or --output FILE for one file (parquet, csv or jsonl)"
        )


def export_table(path: Path, fmt: str, buckets: int | None, overwrite: bool) -> None:
    """Write the table directory and say what it holds."""
    from headway.api import Headway

    with open_db(read_only=True) as store:
        done = Headway(store).export(path, fmt, buckets=buckets, overwrite=overwrite)
    plural = "" if done.buckets == 1 else "s"
    console.print(
        f"{done.activities:,} activities of {done.contacts:,} contacts written to {path!s} "
        f"as {fmt} ({done.buckets} contact bucket{plural}) in {done.seconds:.1f} s",
        highlight=False,
        soft_wrap=True,
    )


def export_file(
    output: Path, fmt: str, start: str | None, end: str | None, types: list[str]
) -> None:
    """Write the activities (filtered) to one file."""
    from headway.ingest.export import export_activities

    with open_db(read_only=True) as store:
        count = export_activities(store, output, fmt=fmt, start=start, end=end, types=types)
    console.print(f"{count} activities written to {output!s}", highlight=False, soft_wrap=True)


def _check_table_options(
    fmt: str, start: str | None, end: str | None, types: list[str] | None
) -> None:
    if fmt in FILE_FORMATS and fmt not in TABLE_FORMATS:
        raise InvalidInput(
            f"a table directory is written as parquet or delta, not {fmt}; "
            f"use --output FILE for {fmt}"
        )
    if start is not None or end is not None or types:
        raise InvalidInput(
            "--from, --to and --type filter a file export (--output FILE); "
            "a table at PATH holds the whole log"
        )


def _check_file_options(fmt: str, buckets: int | None, overwrite: bool) -> None:
    if fmt == "delta":
        raise InvalidInput("delta writes a table directory: give PATH instead of --output")
    if buckets is not None or overwrite:
        raise InvalidInput("--buckets and --overwrite apply to a table at PATH, not to --output")


def register(app: typer.Typer) -> None:
    """Add the ``export`` command."""
    app.command("export")(export_command)
