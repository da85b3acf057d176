"""Reading contacts: one contact's record and its activity timeline."""

from __future__ import annotations

from typing import Any

import orjson

from headway.store.store import Store

_CONTACT = """SELECT c.id, c.email, c.attributes, c.subscription, c.created_at,
       count(a.contact_key) AS activities, min(a.ts) AS first_seen, max(a.ts) AS last_seen
FROM contacts c LEFT JOIN activities a ON a.contact_key = c.key
WHERE c.id = ?
GROUP BY ALL"""

_TIMELINE = """SELECT a.id, t.name AS type, a.ts, a.properties, a.bot, a.bot_reason, a.source
FROM activities a
JOIN activity_types t ON t.code = a.type_code
WHERE a.contact_key = (SELECT key FROM contacts WHERE id = ?)
ORDER BY a.ts, a.id
LIMIT ?"""


def get_contact(store: Store, contact_id: str) -> dict[str, Any] | None:
    """A contact's id, email, attributes, subscription, created_at, activity count and span."""
    rows = store.execute(_CONTACT, [contact_id]).dicts()
    if not rows:
        return None
    contact = rows[0]
    contact["attributes"] = _json(contact["attributes"]) or {}
    return contact


def contact_timeline(
    store: Store, contact_id: str, limit: int | None = None
) -> list[dict[str, Any]]:
    """A contact's activities ordered by time, with type names and parsed properties."""
    rows = store.execute(_TIMELINE, [contact_id, limit]).dicts()
    for row in rows:
        row["properties"] = _json(row["properties"]) or {}
    return rows


def _json(text: str | None) -> Any:
    return orjson.loads(text) if text else None
