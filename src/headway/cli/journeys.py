"""``headway journey …`` (validate, save, list, show, versions, delete) and ``headway schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from headway.cli.common import console, err_console, open_service, state
from headway.cli.discovery import print_warnings
from headway.errors import InvalidJourney
from headway.model.journey_schema import journey_schema

if TYPE_CHECKING:
    from headway.api import StoredJourney
    from headway.model.journey import Journey

journey_app = typer.Typer(
    help="Journeys: validate, save, list, show, versions.", no_args_is_help=True
)
schema_app = typer.Typer(help="Print the JSON Schema of a definition format.", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="Journey definition (.yaml, .yml or .json).")]
NameArg = Annotated[str, typer.Argument(help="Name of a stored journey.")]


def register(app: typer.Typer) -> None:
    """Add the ``journey`` and ``schema`` groups."""
    app.add_typer(journey_app, name="journey")
    app.add_typer(schema_app, name="schema")


def _load(path: Path) -> Journey:
    """Parse a file, printing each problem (``FILE: field: reason``) and exiting 2 on error."""
    from headway.model.journey import load_journey_file

    try:
        return load_journey_file(path)
    except InvalidJourney as err:
        lines = [str(d) for d in err.details] or [err.message]
        for line in lines:
            prefix = "" if line.startswith(str(path)) else f"{path}: "
            err_console.print(
                f"[bold red]error:[/] {escape(prefix + line)}",
                highlight=False,
                soft_wrap=True,
                markup=True,
            )
        raise typer.Exit(2) from None


@journey_app.command("validate")
def validate(file: FileArg) -> None:
    """Check a definition; prints 'ok: NAME, N stages' or every problem (exit 2)."""
    journey = _load(file)
    console.print(f"ok: {journey.name}, {_stages(len(journey.stages))}", highlight=False)
    if state.db_path().exists():  # warnings need the data; a definition alone has none
        with open_service(read_only=True) as hw:
            print_warnings(hw.warnings(journey))


@journey_app.command("save")
def save(file: FileArg) -> None:
    """Validate and store a definition as the journey's next version."""
    journey = _load(file)
    text = file.read_text(encoding="utf-8-sig")
    with open_service(must_exist=False) as hw:
        before = {j.name: j.version for j in hw.journeys()}.get(journey.name)
        version = hw.save_journey(journey, text)
    verb = "unchanged" if before == version else "saved"
    console.print(f"{verb}: {journey.name} version {version}", highlight=False)


@journey_app.command("list")
def list_command() -> None:
    """The stored journeys (latest versions)."""
    with open_service() as hw:
        journeys = hw.journeys()
    if not journeys:
        console.print("no journeys saved yet (add one with 'headway journey save FILE')")
        return
    console.print(_table(journeys, with_name=True))


@journey_app.command("show")
def show(
    name: NameArg,
    version: Annotated[int | None, typer.Option("--version", help="Version number.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Canonical JSON definition.")] = False,
) -> None:
    """Print a stored journey's definition (as it was written, or canonical with --json).

    A journey saved by an older version that no longer validates is printed as stored, after
    its error on stderr (so it can be fixed and saved again).
    """
    from headway.model.journey import journey_to_dict
    from headway.model.journey_yaml import definition_yaml

    with open_service() as hw:
        definition, number = hw.stored_definition(name, version)
        text = hw.journey_source(name, number)
        try:
            definition = journey_to_dict(hw.stored_journey(name, number)[0])
        except InvalidJourney as err:
            err_console.print(f"[bold red]error:[/] {escape(err.message)}", soft_wrap=True)
    if as_json:
        print(json.dumps(definition, indent=2, ensure_ascii=False))
        return
    print(f"# {name}, version {number}")
    body = text if text is not None else definition_yaml(definition)  # the canonical form
    print(body.rstrip("\n"))


@journey_app.command("versions")
def versions(name: NameArg) -> None:
    """Every version of a journey, oldest first."""
    with open_service() as hw:
        rows = hw.journey_versions(name)
    console.print(_table(rows, with_name=False))


@journey_app.command("delete")
def delete(name: NameArg) -> None:
    """Remove a journey from the list; its versions stay readable."""
    with open_service() as hw:
        count = hw.delete_journey(name)
    kept = f"{count} version{'s' if count != 1 else ''} kept"
    console.print(f"deleted: {name} ({kept}, readable with --version)", highlight=False)


@schema_app.command("journey")
def schema_journey() -> None:
    """Print the JSON Schema of journey definitions."""
    print(json.dumps(journey_schema(), indent=2))


def _stages(count: int) -> str:
    return f"{count} stage{'s' if count != 1 else ''}"


def _table(rows: list[StoredJourney], *, with_name: bool) -> Table:
    table = Table(show_edge=False)
    for column in (["journey"] if with_name else []) + ["version", "stages", "saved (UTC)"]:
        table.add_column(column)
    if not with_name:
        table.add_column("deleted")
    errors = any(row.error for row in rows)  # a definition that no longer validates
    if errors:
        table.add_column("error")
    for row in rows:
        cells = [
            str(row.version),
            str(row.stage_count),
            row.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        ]
        cells = ([row.name] if with_name else []) + cells
        cells += [] if with_name else ["yes" if row.deleted else ""]
        table.add_row(*cells, *([escape(row.error or "")] if errors else []))
    return table
