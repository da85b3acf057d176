"""``headway keys create/list/revoke``: API keys with scopes (see docs/api-keys.md)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from headway.cli.common import console, err_console, open_service

if TYPE_CHECKING:
    from headway.api import KeyInfo

keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``keys`` group."""
    app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def create(
    scope: Annotated[
        list[str],
        typer.Option("--scope", help="ingest, read or admin (repeat for several)."),
    ],
    name: Annotated[str | None, typer.Option(help="A label to recognise the key by.")] = None,
) -> None:
    """Create a key; prints it once (only a hash of it is stored)."""
    from headway.service.types import check_scopes

    scopes = check_scopes(scope)  # before opening (and maybe creating) the database
    with open_service(must_exist=False) as hw:
        info, plaintext = hw.create_key(scopes, name)
    err_console.print(f"created API key {info.id} ({describe(info)})", highlight=False)
    console.print(plaintext, highlight=False, markup=False, soft_wrap=True)
    err_console.print(
        "[bold]Copy this key now: it cannot be shown again.[/] "
        "Send it as 'Authorization: Bearer <key>'.",
        highlight=False,
        soft_wrap=True,
        markup=True,
    )


@keys_app.command("list")
def list_command() -> None:
    """Every key: id, name, scopes, when created and revoked (never the secrets).

    Dates are UTC.
    """
    with open_service() as hw:
        keys = hw.list_keys()
    if not keys:
        console.print("no API keys (the server is in local mode)", highlight=False)
        return
    table = Table("id", "name", "scopes", "created", "revoked", box=box.SIMPLE_HEAD)
    for column in table.columns:
        column.no_wrap = column.header != "name"
    for k in keys:
        row = (k.id, k.name or "", ", ".join(k.scopes), _when(k.created_at))
        table.add_row(*row, _when(k.revoked_at))
    console.print(table)


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key's id (see 'keys list').")]) -> None:
    """Revoke a key: it stops working at once and stays listed."""
    with open_service() as hw:
        info = hw.revoke_key(key_id)
    console.print(f"revoked API key {info.id} ({describe(info)})", highlight=False)


def describe(info: KeyInfo) -> str:
    """``scopes: …; name: …`` of a key."""
    text = f"scopes: {', '.join(info.scopes)}"
    return text + (f"; name: {info.name}" if info.name else "")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else ""
