"""``headway contacts show ID``: a contact's attributes and activity timeline as tables.

The engine's CLI module wires ``show_contact`` into its ``contacts`` command group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import orjson
from rich.console import Console
from rich.table import Table

from headway.errors import NotFound

if TYPE_CHECKING:
    from headway.api import Headway


def show_contact(hw: Headway, contact_id: str, console: Console, limit: int | None = None) -> None:
    """Print a contact's attributes and timeline; NotFound when there is no such contact."""
    from headway.api import ContactIdentities

    contact = hw.contact(contact_id)
    if contact is None:
        raise NotFound(f"there is no contact {contact_id!r}")
    table = _attributes_table(contact)
    merged = cast(ContactIdentities, hw.identities(contact_id))  # one contact's merges
    if merged.merged_into is not None:
        table.add_row("merged into", merged.merged_into)
    if merged.aliases:
        table.add_row("merged ids", ", ".join(merged.aliases))
    console.print(table)
    console.print(_timeline_table(hw.contact_timeline(contact_id, limit), contact_id))


def _attributes_table(contact: dict[str, object]) -> Table:
    table = Table(title=f"Contact {contact['id']}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key in ("email", "subscription", "created_at", "activities", "first_seen", "last_seen"):
        table.add_row(key, _text(contact.get(key)))
    attributes = contact.get("attributes") or {}
    assert isinstance(attributes, dict)
    for key, value in sorted(attributes.items()):
        table.add_row(key, _text(value))
    return table


def _timeline_table(activities: list[dict[str, object]], contact_id: str) -> Table:
    table = Table(title=f"Timeline ({len(activities)} activities)")
    for column in ("time (UTC)", "type", "properties", "bot", "source"):
        table.add_column(column)
    for a in activities:
        bot = (
            f"bot ({a['bot_reason']})"
            if a["bot"] and a["bot_reason"]
            else ("bot" if a["bot"] else "")
        )
        source = _text(a["source"])
        if a.get("contact") not in (None, contact_id):  # an id merged into this contact
            source += f" (as {_text(a['contact'])})"
        table.add_row(_text(a["ts"]), _text(a["type"]), _text(a["properties"] or ""), bot, source)
    return table


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode() if value else ""
    return str(value)
