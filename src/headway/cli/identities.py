"""``headway identities list/merge/undo``: merged ids (see docs/identities.md)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from headway.cli.common import console, open_service
from headway.cli.reports import print_json

if TYPE_CHECKING:
    from headway.api import ContactIdentities, IdentityLink

identities_app = typer.Typer(
    help="Identities: ids merged into contacts (list, merge, undo).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the ``identities`` group."""
    app.add_typer(identities_app, name="identities")


@identities_app.command("list")
def list_command(
    contact: Annotated[
        str | None, typer.Argument(help="Only this contact's merges (its ids and links).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recorded merges, newest first: which id, into which contact, when, from what activity.

    Times are UTC. With CONTACT: the ids merged into it, what it is merged into, and the links
    naming them.
    """
    from headway.api import ContactIdentities

    with open_service(read_only=True) as hw:
        found = hw.identities(contact)
    if isinstance(found, ContactIdentities):
        if as_json:
            print_json(found.to_dict())
            return
        _print_contact(found)
        return
    if as_json:
        print_json([link.to_dict() for link in found])
        return
    if not found:
        console.print("no identity merges recorded", highlight=False)
        return
    console.print(_links_table(found))


@identities_app.command("merge")
def merge(
    alias: Annotated[str, typer.Argument(help="The id to merge (e.g. an anonymous id).")],
    contact: Annotated[str, typer.Argument(help="The contact it is the same person as.")],
) -> None:
    """Merge ALIAS into CONTACT: ALIAS's activities count as CONTACT's in every report."""
    with open_service() as hw:
        outcome = hw.merge(alias, contact)
    what = f"{alias!r} into {contact!r}"
    if outcome.status == "merged":
        console.print(f"merged {what} (link {outcome.link_id})", highlight=False)
    elif outcome.status == "conflict":
        console.print(
            f"recorded link {outcome.link_id} merging {what}, not applied: an earlier claim "
            f"merges {alias!r} elsewhere or it would close a cycle (see "
            f"'headway identities list {alias}'; undo the other link to apply this one)",
            highlight=False,
        )
    elif outcome.status == "same":
        console.print("nothing to do: an id is always itself", highlight=False)
    else:
        console.print(f"already recorded as link {outcome.link_id}", highlight=False)


@identities_app.command("undo")
def undo(
    link_id: Annotated[int, typer.Argument(help="The link's id (see 'identities list').")],
) -> None:
    """Undo a merge: the alias's activities count as its own again (kept, marked undone)."""
    with open_service() as hw:
        link = hw.unmerge(link_id)
    console.print(
        f"undid link {link.id}: {link.alias!r} is no longer merged into {link.contact!r}",
        highlight=False,
    )


def _print_contact(found: ContactIdentities) -> None:
    name = repr(found.contact)
    if found.merged_into is not None:
        console.print(
            f"{name} is merged into {found.merged_into!r}: its activities count as that contact's",
            highlight=False,
        )
    if found.aliases:
        ids = ", ".join(a for a in found.aliases)
        console.print(f"ids merged into {name}: {ids}", highlight=False)
    if not found.links:
        console.print(f"no identity merges name {name}", highlight=False)
        return
    console.print(_links_table(found.links))


def _links_table(links: tuple[IdentityLink, ...]) -> Table:
    table = Table(
        "link", "alias", "contact", "status", "claimed", "activity", "source", box=box.SIMPLE_HEAD
    )
    for column in table.columns:
        column.no_wrap = column.header in ("link", "status", "claimed")
    for link in links:
        table.add_row(
            str(link.id),
            link.alias,
            link.contact,
            link.status,
            _when(link.claimed_at),
            link.activity_id or "",
            link.source,
        )
    return table


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""
