"""``headway contacts erase ID [--yes]``: erase a contact and its activities (privacy request).

The ``contacts`` command of ``cli/contacts.py`` is one command taking ``JOURNEY``,
``show ID`` or ``erase ID``, not a group: it calls ``erase_target(target, yes)`` when its
first word is ``erase`` (as it does for ``show``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from headway.cli.common import console, open_service
from headway.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from headway.api import ErasureReport


def register(app: typer.Typer) -> None:
    """Nothing to add: ``erase`` is a word of the ``contacts`` command (see above)."""


def erase_target(target: list[str], yes: bool) -> None:
    """``contacts erase ID``: check the arguments, then erase."""
    if len(target) != 2:
        raise InvalidInput("usage: headway contacts erase CONTACT_ID [--yes]")
    erase_command(target[1], yes)


def erase_command(contact_id: str, yes: bool) -> ErasureReport | None:
    """Erase a contact after confirmation (or at once with ``yes``); what was removed."""
    with open_service() as hw:
        contact = hw.contact(contact_id)
        if contact is None:
            raise NotFound(f"there is no contact {contact_id!r}")
        question = (
            f"Erase contact {contact_id!r} and its {contact['activities']:,} activities? "
            "This cannot be undone"
        )
        if not yes and not typer.confirm(question, default=False):
            console.print("nothing erased", highlight=False)
            return None
        report = hw.erase_contact(contact_id)
    console.print(
        f"erased contact {contact_id!r}: "
        f"{report.activities_deleted:,} activities deleted"
        + (
            f" (with the ids merged into it: {', '.join(report.merged_ids)})"
            if report.merged_ids
            else ""
        ),
        highlight=False,
    )
    removed = ", ".join(f"{table} {n:,}" for table, n in report.removed.items() if n)
    console.print(
        f"removed rows: {removed}; the file was rewritten without them, and the contact stays "
        "suppressed as a salted hash (docs/privacy.md)",
        highlight=False,
        markup=False,
    )
    return report
