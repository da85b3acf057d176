"""``headway types`` and ``headway properties``: what the data holds (docs/discovery.md).

Also the one way every journey command prints the journey's warnings (``print_warnings``):
to stderr, so ``--json`` output on stdout stays machine-readable.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from headway.cli.common import console, err_console, open_headway

if TYPE_CHECKING:
    from headway.api import JourneyWarning, PropertySummary

_MINUTE = "%Y-%m-%d %H:%M"
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def register(app: typer.Typer) -> None:
    """Add the ``types`` and ``properties`` commands."""
    app.command("types")(types)
    app.command("properties")(properties)


def types(json_: JsonFlag = False) -> None:
    """Every activity type seen: activities, contacts, first and last seen."""
    with open_headway() as hw:
        found = hw.types()
    if json_:
        print_json({"types": [t.to_dict() for t in found]})
        return
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False)
    table.add_column("type", overflow="fold")
    for col in ("activities", "contacts", "first seen (UTC)", "last seen (UTC)"):
        table.add_column(col, justify="right", no_wrap=True)
    for t in found:
        table.add_row(
            t.name,
            f"{t.activities:,}",
            f"{t.contacts:,}",
            t.first_seen.strftime(_MINUTE),
            t.last_seen.strftime(_MINUTE),
        )
    console.print(table if found else "No activities yet.")


def properties(
    type_: Annotated[
        str | None, typer.Option("--type", help="Only this activity type's properties.")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=0, help="Top values shown per path.")] = 5,
    json_: JsonFlag = False,
) -> None:
    """Every property path seen per type: fill rate, JSON types, top values."""
    with open_headway() as hw:
        found = hw.properties(type_, top=top)
        known = type_ is None or any(t.name == type_ for t in hw.types())
    if json_:
        print_json({"properties": [p.to_dict() for p in found]})
    elif not known:
        err_console.print(f"No activity of type {type_!r} has been seen.")
    else:
        console.print(_properties_table(found) if found else "No properties seen.")


def _properties_table(found: list[PropertySummary]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False)
    for col in ("type", "property", "fill", "JSON types", "top values"):
        justify = "right" if col == "fill" else "left"
        table.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for p in found:
        table.add_row(
            p.type,
            p.path,
            f"{p.fill_rate * 100:.1f}%",
            ", ".join(p.json_types),
            p.values_text(),
        )
    return table


def print_json(data: Any) -> None:
    """Print JSON to stdout without Rich markup."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def with_warnings(data: dict[str, Any], warnings: Sequence[JourneyWarning]) -> dict[str, Any]:
    """A report's JSON with its journey's warnings (the API answers the same)."""
    return {**data, "warnings": [w.to_dict() for w in warnings]}


def print_warnings(warnings: Sequence[JourneyWarning]) -> None:
    """Each warning on stderr (``warning: FIELD: MESSAGE``), names escaped for Rich."""
    for w in warnings:
        err_console.print(
            f"[yellow]warning:[/yellow] {escape(str(w))}", soft_wrap=True, markup=True
        )
