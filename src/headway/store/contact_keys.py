"""Every contact's dense key in memory, so appends skip probing the ``contacts`` table.

Finding the keys of a batch's contacts in SQL scans the whole ``contacts`` table each commit
(~20 ms at 500k contacts). This map answers from memory: a contact it does not hold is new.
That is only true while the map is complete and current, so it is trusted only when no other
write that may change contacts has happened since the append that last updated it: the
store's ``_keys_generation`` (bumped under the write lock by every committed write except
those that keep contacts, activities and the catalogue as they are: live stage state, journey
events, action deliveries) must be exactly the one that append left. Any other write (an
erasure, a contact import, a rolled-back append) makes the next append reload it.
"""

from __future__ import annotations

import duckdb

from headway.store.catalog import TypeContacts


class ContactKeys:
    """Contact id -> dense key, for every contact of the database."""

    def __init__(self) -> None:
        self.keys: dict[str, int] = {}
        self.next_key = 0
        self.generation: int | None = None  # the store generation this map is current for
        # The catalogue's (type, contact) pairs, current under the same rule.
        self.type_contacts = TypeContacts()

    def sync(self, conn: duckdb.DuckDBPyConnection, generation: int) -> None:
        """Reload from ``contacts`` unless the map is current for ``generation``."""
        if self.generation == generation:
            return
        table = conn.execute("SELECT id, key FROM contacts").fetchnumpy()
        self.keys = dict(zip(table["id"].tolist(), table["key"].tolist(), strict=True))
        self.next_key = max(self.keys.values(), default=-1) + 1
        self.type_contacts.load(conn)
        self.generation = generation

    def resolve(self, contacts: list[str]) -> tuple[list[int], list[bool]]:
        """Keys of distinct ``contacts`` and which are new (numbered on in sorted id order)."""
        known = self.keys
        new = sorted(c for c in contacts if c not in known)
        for offset, contact in enumerate(new):
            known[contact] = self.next_key + offset
        self.next_key += len(new)
        fresh = set(new)
        return [known[c] for c in contacts], [c in fresh for c in contacts]

    def committed(self, generation: int) -> None:
        """The append that updated the map committed as ``generation``."""
        self.generation = generation

    def forget(self) -> None:
        """Drop the map (its append failed): the next append reloads it."""
        self.generation = None
