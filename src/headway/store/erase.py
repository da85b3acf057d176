"""Erasing a contact for a privacy request: every row about them, in one transaction.

A contact's data is its ``contacts`` row and its activities (email statistics, journeys'
reports and suppression lists are derived from those, so they follow). The demo world's
``demo_truth`` labels name activities, so they go with them. The other tables hold nothing
about one contact: ``SHARED_TABLES`` lists them, and a test checks that every table of the
schema is in one list or the other, so a new per-contact table cannot be forgotten here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from headway.errors import NotFound
from headway.store import catalog, identities
from headway.store.store import Store

# Tables that hold nothing about any one contact (definitions, registries, replay guards).
SHARED_TABLES = frozenset(
    {
        "schema_version",
        "activity_types",
        "emails",
        "email_links",
        "journeys",
        "webhook_tokens",
        "api_keys",
        "imports",
    }
)
# Tables erased here: the contact's row, its activities and labels of those activities, and
# the identity merges that name the contact.
# The catalogue (types, contacts per type, property values) is recomputed from what is left.
PER_CONTACT_TABLES = frozenset(
    {
        "contacts",
        "activities",
        "demo_truth",
        "identity_links",
        "identity_resolved",
        *catalog.TABLES,
    }
)


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure removed."""

    contact: str
    activities_deleted: int
    contact_deleted: bool
    merged_ids: tuple[str, ...] = ()  # ids merged with the contact, erased with it

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "merged_ids": list(self.merged_ids)}


def erase_contact(store: Store, contact_id: str) -> ErasureReport:
    """Delete a contact, the ids merged with it (docs/identities.md) and all their activities;
    ``NotFound`` when there is no such contact."""

    def erase(conn: duckdb.DuckDBPyConnection) -> ErasureReport:
        row = conn.execute("SELECT key FROM contacts WHERE id = ?", [contact_id]).fetchone()
        if row is None:
            raise NotFound(f"there is no contact {contact_id!r}")
        # A merged person is one person: the ids merged with this one go too.
        keys = identities.person_keys(conn, int(row[0]))
        merged = conn.execute(
            "SELECT id FROM contacts WHERE key IN (SELECT unnest(?::INTEGER[])) AND id <> ?"
            " ORDER BY id",
            [keys, contact_id],
        ).fetchall()
        forget_demo_truth(
            conn,
            "SELECT id FROM activities WHERE contact_key IN (SELECT unnest(?::INTEGER[]))",
            [keys],
        )
        deleted = conn.execute(
            "DELETE FROM activities WHERE contact_key IN (SELECT unnest(?::INTEGER[]))", [keys]
        ).fetchone()
        identities.forget(conn, keys)
        conn.execute(
            "DELETE FROM contacts WHERE key IN (SELECT unnest(?::INTEGER[]))", [keys]
        ).fetchall()
        catalog.rebuild(conn)
        return ErasureReport(
            contact_id,
            int(deleted[0]) if deleted else 0,
            True,
            tuple(str(r[0]) for r in merged),
        )

    return store.write(erase)


def forget_demo_truth(
    conn: duckdb.DuckDBPyConnection, activity_ids: str, params: list[Any]
) -> None:
    """Delete the demo's truth rows of the activities the query ``activity_ids`` selects."""
    if _has_table(conn, "demo_truth"):
        conn.execute(f"DELETE FROM demo_truth WHERE activity_id IN ({activity_ids})", params)


def _has_table(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'",
        [name],
    ).fetchone()
    return bool(row and row[0])
