"""What the dashboard's pickers read about the log: its newest activity time and the property
and attribute names seen in a sample of it."""

from __future__ import annotations

from datetime import datetime

from headway.store.store import Store

# Property and attribute names of a bounded sample (the picker's suggestions, not a census).
_FIELD_NAMES = (
    "SELECT DISTINCT k FROM ("
    " SELECT unnest(json_keys(properties)) AS k FROM (SELECT properties FROM activities"
    "  WHERE properties IS NOT NULL LIMIT 2000)"
    " UNION ALL SELECT unnest(json_keys(attributes)) FROM (SELECT attributes FROM contacts"
    "  WHERE attributes IS NOT NULL LIMIT 500)) ORDER BY k"
)


def last_activity(store: Store) -> datetime | None:
    """The time of the newest activity in the database (None: no activity yet)."""
    return store.execute("SELECT max(ts) FROM activities").scalar()  # type: ignore[no-any-return]


def field_names_sample(store: Store) -> list[str]:
    """Property and attribute names seen in a sample of the data, sorted."""
    return [str(r[0]) for r in store.execute(_FIELD_NAMES).rows]
