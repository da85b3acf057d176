"""``headway suppression export|check``: the contacts senders must not email, as CSV; whether
one address is suppressed (erased addresses are kept only as salted hashes, docs/privacy.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from headway.cli.common import console, err_console, open_service
from headway.errors import InvalidInput

suppression_app = typer.Typer(
    help="Suppression list: unsubscribed, hard-bounced, complained and erased contacts.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``suppression`` group."""
    app.add_typer(suppression_app, name="suppression")


@suppression_app.command("export")
def suppression_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV file to write (default: stdout).")
    ] = None,
) -> None:
    """Export the suppression list as CSV: contact, email, reason, since (UTC)."""
    from headway.api import write_suppressions_csv as write_csv

    with open_service(read_only=True) as hw:
        rows = hw.suppressions()
    if output is None:
        write_csv(rows, sys.stdout)
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as out:
            n = write_csv(rows, out)
    except OSError as err:
        raise InvalidInput(f"cannot write {output}: {err.strerror or err}") from None
    err_console.print(f"wrote {n:,} suppressions to {output}", highlight=False, markup=False)


@suppression_app.command("check")
def suppression_check(
    address: Annotated[str, typer.Argument(help="An email address or a contact id.")],
) -> None:
    """Say whether an address (or contact id) is suppressed, erased ones included; exit 1 if not."""
    with open_service(read_only=True) as hw:
        found = hw.suppressions()
        reasons = sorted({s.reason for s in found if address in (s.contact, s.email)})
        if hw.is_erased(address):
            reasons.append("erased")
    if not reasons:
        console.print(f"{address} is not suppressed", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1)
    text = f"{address} is suppressed: {', '.join(reasons)}"
    console.print(text, highlight=False, markup=False, soft_wrap=True)
