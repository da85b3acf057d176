"""``headway matches …``: the journey matches saved in the database (list, clear)."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from headway.cli.common import console, open_service

matches_app = typer.Typer(
    help="Saved journey matches: what a restart reads instead of matching again.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``matches`` group."""
    app.add_typer(matches_app, name="matches")


@matches_app.command("list")
def list_command() -> None:
    """List the saved matches: journey, contacts, data version, when saved."""
    with open_service() as hw:
        saved = hw.saved_matches()
    if not saved:
        console.print("no saved matches")
        return
    table = Table("journey", "contacts", "data version", "saved at")
    for m in saved:
        table.add_row(
            escape(m.journey), f"{m.contacts:,}", str(m.seq), f"{m.saved_at:%Y-%m-%d %H:%M:%S}"
        )
    console.print(table)


@matches_app.command("clear")
def clear() -> None:
    """Drop every saved match; the next view of each journey matches again and saves it."""
    with open_service() as hw:
        count = hw.clear_saved_matches()
    console.print(f"cleared {count} saved match{'es' if count != 1 else ''}", highlight=False)
