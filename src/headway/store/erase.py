"""Erasing a contact for a privacy request: every row about them, then every byte.

A contact's data is its ``contacts`` row and its activities (email statistics, journeys'
reports and suppression lists are derived from those, so they follow), its identity links and
its share of the catalogue (types, contacts per type, property values: an address can be a
top value). The demo world's ``demo_truth`` labels name activities, so they go with them. The
other tables hold nothing about one contact: ``SHARED_TABLES`` lists them, and a test checks
that every table of the schema is in one list or the other, so a new per-contact table cannot
be forgotten here. The rows go in one transaction, which also keeps the person's salted
digests (``erased.py``); then the file is rewritten (``Store.rewrite_file``), because DuckDB
leaves deleted rows' bytes in freed blocks. docs/privacy.md tells the whole story.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from headway.errors import NotFound
from headway.store import action_tables, catalog, email_rollup, erased, identities, saved_matches
from headway.store.store import Store

# Tables that hold nothing about any one contact (definitions, registries, replay guards,
# and the salted digests of erased contacts, which name no one).
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
        "erasure_salt",
        "erased_contacts",
        "cohorts",
        "saved_views",
        "property_columns",  # which property paths have typed columns (no values)
        "live_journeys",
        "live_versions",
        *action_tables.SHARED,
        *saved_matches.SHARED,  # which journey views are saved (no contact)
    }
)
# Tables erased here: the contact's row, its activities and labels of those activities, the
# identity merges that name the contact, and its share of the catalogue.
PER_CONTACT_TABLES = frozenset(
    {
        "contacts",
        "activities",
        "demo_truth",
        "identity_links",
        "identity_resolved",
        "cohort_members",
        "live_state",
        "journey_events",
        *email_rollup.TABLE_NAMES,  # the email statistics pre-aggregate
        *catalog.TABLES,
        *action_tables.PER_CONTACT,
        *saved_matches.PER_CONTACT,  # cleared whole: saved_matches.clear
    }
)
_KEYS = "(SELECT unnest(?::INTEGER[]))"


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure removed (rows per table), and that the person stays suppressed."""

    contact: str
    activities_deleted: int
    contact_deleted: bool
    merged_ids: tuple[str, ...] = ()  # ids merged with the contact, erased with it
    removed: dict[str, int] = field(default_factory=dict)
    suppressed: bool = True  # kept as salted digests: webhooks and tokens create nothing

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "merged_ids": list(self.merged_ids)}


def erase_contact(store: Store, contact_id: str) -> ErasureReport:
    """Delete a contact, the ids merged with it (docs/identities.md), all their activities and
    everything derived from them, keep them suppressed as salted digests, and rewrite the file
    so no byte of them is left in it (docs/privacy.md); ``NotFound`` when there is no such
    contact."""
    report = store.write(lambda conn: _erase(conn, contact_id))
    store.rewrite_file()
    return report


def _erase(conn: duckdb.DuckDBPyConnection, contact_id: str) -> ErasureReport:
    row = conn.execute("SELECT key FROM contacts WHERE id = ?", [contact_id]).fetchone()
    if row is None:
        raise NotFound(f"there is no contact {contact_id!r}")
    # A merged person is one person: the ids merged with this one go too.
    keys = identities.person_keys(conn, int(row[0]))
    people = conn.execute(
        f"SELECT id, email FROM contacts WHERE key IN {_KEYS} ORDER BY id", [keys]
    ).fetchall()
    removed = {
        "demo_truth": forget_demo_truth(
            conn, f"SELECT id FROM activities WHERE contact_key IN {_KEYS}", [keys]
        ),
        "identity_links": _count(
            conn,
            f"SELECT count(*) FROM identity_links WHERE alias_key IN {_KEYS}"
            f" OR contact_key IN {_KEYS}",
            [keys, keys],
        ),
        "identity_resolved": _count(
            conn,
            f"SELECT count(*) FROM identity_resolved WHERE alias_key IN {_KEYS}"
            f" OR contact_key IN {_KEYS}",
            [keys, keys],
        ),
    }
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _hw_erased AS SELECT type_code, ts, properties"
        f" FROM activities WHERE contact_key IN {_KEYS}",
        [keys],
    )
    try:
        removed["activities"] = _count(
            conn, f"DELETE FROM activities WHERE contact_key IN {_KEYS}", [keys]
        )
        identities.forget(conn, keys)
        email_rollup.refresh(conn, keys)  # the person's rows go (nothing is left to count)
        removed["cohort_members"] = _count(
            conn, f"DELETE FROM cohort_members WHERE contact_key IN {_KEYS}", [keys]
        )
        removed["contacts"] = _count(conn, f"DELETE FROM contacts WHERE key IN {_KEYS}", [keys])
        for table in ("live_state", "journey_events"):  # live journeys' state and events
            n = _count(conn, f"DELETE FROM {table} WHERE contact_key IN {_KEYS}", [keys])
            if n:  # listed where any, like the actions' tables
                removed[table] = n
        removed.update(action_tables.forget_contacts(conn, [str(p[0]) for p in people]))
        saved_matches.clear(conn)  # saved journey matches held their stage times
        removed.update(catalog.record_removal(conn, "_hw_erased", keys))
    finally:
        conn.execute("DROP TABLE IF EXISTS _hw_erased")
    erased.remember(conn, [str(p[0]) for p in people], [p[1] for p in people])
    return ErasureReport(
        contact_id,
        removed["activities"],
        True,
        tuple(str(p[0]) for p in people if p[0] != contact_id),
        dict(sorted(removed.items())),
    )


def _count(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> int:
    row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def forget_demo_truth(conn: duckdb.DuckDBPyConnection, activity_ids: str, params: list[Any]) -> int:
    """Delete the demo's truth rows of the activities the query ``activity_ids`` selects; how
    many."""
    if not _has_table(conn, "demo_truth"):
        return 0
    return _count(conn, f"DELETE FROM demo_truth WHERE activity_id IN ({activity_ids})", params)


def _has_table(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main'",
        [name],
    ).fetchone()
    return bool(row and row[0])
