"""Reading contacts: one contact's record and its activity timeline."""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

from headway.store.erased import erased_names
from headway.store.store import Store

# A contact's keys: its own and those of the ids merged into it (docs/identities.md). The
# log is read directly (not through ``activity_log``) with the keys as constants, which the
# scan filters on (an ``IN (subquery)`` would join the whole log instead).
_GROUP_KEYS = """SELECT key FROM contacts WHERE id = $contact
UNION ALL
SELECT r.alias_key FROM identity_resolved r JOIN contacts m ON m.key = r.contact_key
WHERE m.id = $contact"""

_CONTACT = """SELECT c.id, c.email, c.attributes, c.subscription, c.created_at,
       s.activities, s.first_seen, s.last_seen
FROM contacts c,
     (SELECT count(*) AS activities, min(ts) AS first_seen, max(ts) AS last_seen
      FROM activities WHERE contact_key IN {keys}) s
WHERE c.id = $contact"""

_TIMELINE = """SELECT a.id, t.name AS type, a.ts, a.properties, a.bot, a.bot_reason, a.source,
       k.id AS contact
FROM activities a
JOIN activity_types t ON t.code = a.type_code
JOIN contacts k ON k.key = a.contact_key
WHERE a.contact_key IN {keys}
ORDER BY a.ts, a.id
LIMIT $limit"""

_UPDATED = "SELECT updated_at FROM contacts WHERE id = ?"
# A page of the timeline, filtered by type names; {keys} is ``key_list``'s placeholders.
_PAGE_COUNT = """SELECT count(*) FROM activities a JOIN activity_types t ON t.code = a.type_code
WHERE a.contact_key IN {keys} AND ($types IS NULL OR list_contains($types, t.name))"""
_PAGE = """SELECT a.id, t.name AS type, a.ts, a.properties, a.bot, a.bot_reason, a.source,
       k.id AS contact
FROM activities a JOIN activity_types t ON t.code = a.type_code
JOIN contacts k ON k.key = a.contact_key
WHERE a.contact_key IN {keys} AND ($types IS NULL OR list_contains($types, t.name))
ORDER BY a.ts {direction}, a.id {direction} LIMIT $limit OFFSET $offset"""
# The sort direction is a keyword, never a value: one of two constant texts.
_DIRECTIONS = {"newest": "DESC", "oldest": "ASC"}


def key_list(keys: list[int]) -> tuple[str, dict[str, int]]:
    """``($k0, $k1, …)`` and its parameters: a contact's keys as constants of a query."""
    params = {f"k{i}": int(k) for i, k in enumerate(keys)}
    return "(" + ", ".join(f"${name}" for name in params) + ")", params


def group_keys(store: Store, contact_id: str) -> list[int]:
    """The contact's key and the keys of the ids merged into it (empty: no such contact)."""
    return [int(r[0]) for r in store.execute(_GROUP_KEYS, {"contact": contact_id}).rows]


def get_contact(store: Store, contact_id: str) -> dict[str, Any] | None:
    """A contact's id, email, attributes, subscription, created_at, activity count and span
    (the activities of the ids merged into it included)."""
    keys = group_keys(store, contact_id)
    if not keys:
        return None
    sql, params = key_list(keys)
    rows = store.execute(_CONTACT.format(keys=sql), {"contact": contact_id, **params}).dicts()
    contact = rows[0]
    contact["attributes"] = _json(contact["attributes"]) or {}
    return contact


def contact_timeline(
    store: Store, contact_id: str, limit: int | None = None
) -> list[dict[str, Any]]:
    """A contact's activities (those of the ids merged into it too) ordered by time, with
    type names, parsed properties and the id each was recorded under (``contact``)."""
    keys = group_keys(store, contact_id)
    if not keys:
        return []
    sql, params = key_list(keys)
    rows = store.execute(_TIMELINE.format(keys=sql), {"limit": limit, **params}).dicts()
    for row in rows:
        row["properties"] = _json(row["properties"]) or {}
    return rows


def _json(text: str | None) -> Any:
    return orjson.loads(text) if text else None


def contact_updated_at(store: Store, contact_id: str) -> Any:
    """When the contact's record last changed (None: there is no such contact)."""
    row = store.execute(_UPDATED, [contact_id]).first()
    return None if row is None else row[0]


def timeline_page(
    store: Store,
    contact_id: str,
    *,
    types: list[str] | None,
    order: str,
    limit: int,
    offset: int,
) -> tuple[int, list[dict[str, Any]]]:
    """How many of the contact's activities have one of ``types`` (None: any), and the page
    ``offset``..``offset + limit`` of them newest or oldest first (properties as stored)."""
    keys, key_params = key_list(group_keys(store, contact_id))
    params = {**key_params, "types": types or None}
    total = int(store.execute(_PAGE_COUNT.format(keys=keys), params).scalar())
    page = _PAGE.format(keys=keys, direction=_DIRECTIONS[order])
    rows = store.execute(page, {**params, "limit": limit, "offset": offset}).dicts()
    return total, rows


def unsubscribe(store: Store, conn: Any, table: pa.Table, contact: str) -> None:
    """In the write ``conn``: append the unsubscribe activity ``table`` and mark ``contact``
    unsubscribed (nothing for an erased contact: it is suppressed already)."""
    if erased_names(conn, [contact]):
        return
    conn.register("_hw_unsubscribe", table)
    try:
        store.append_relation(conn, "_hw_unsubscribe")
    finally:
        conn.unregister("_hw_unsubscribe")
    conn.execute(
        "UPDATE contacts SET subscription = 'unsubscribed', updated_at = now()::TIMESTAMP "
        "WHERE id = ? AND subscription <> 'unsubscribed'",
        [contact],
    )
