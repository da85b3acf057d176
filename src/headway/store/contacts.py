"""Reading contacts: one contact's record and its activity timeline."""

from __future__ import annotations

from typing import Any

import orjson

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
