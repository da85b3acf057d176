"""Erased contacts, remembered only as salted hashes, so nothing can bring them back.

Erasing a contact (``store/erase.py``) keeps, per erased id and per email address, the
HMAC-SHA256 under this database's own salt of ``id:<the id as stored>`` and of
``address:<the address trimmed and lower-cased>``; never the id or the address itself. The
salt is 32 random bytes made on the first erasure and kept in ``erasure_salt``. A webhook
event or a tracking hit for a contact is dropped when its id or address hashes to a kept
digest (``web/webhooks.py``, ``web/recorder.py``, ``web/tracking.py``), and the suppression
list counts each erasure as one ``erased`` row without naming anyone.

The salt sits in the same file as the digests: it stops precomputed tables and linking the
digests of two databases, not a guess of one address by someone holding the file (who can
test it as this module does). docs/privacy.md says so.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb

from headway.store.store import Store

SALT_BYTES = 32


def normalised_address(address: str) -> str:
    """An email address as compared: trimmed and lower-cased."""
    return address.strip().lower()


def digests(salt: bytes, name: str) -> list[str]:
    """The digests a contact id or address is known by: as an id, and (with an ``@``) as an
    address."""
    out = [_mac(salt, "id:" + name)]
    if "@" in name:
        out.append(_mac(salt, "address:" + normalised_address(name)))
    return out


def remember(
    conn: duckdb.DuckDBPyConnection, ids: Iterable[str], addresses: Iterable[str | None]
) -> int:
    """Keep the digests of an erased person's ids and addresses (inside the erasure's
    transaction); the number of this erasure."""
    salt = _salt(conn, create=True)
    assert salt is not None
    names = {_mac(salt, "id:" + i) for i in ids}
    for text in (*ids, *(a for a in addresses if a)):
        if "@" in text:
            names.add(_mac(salt, "address:" + normalised_address(text)))
    row = conn.execute("SELECT coalesce(max(erasure), 0) + 1 FROM erased_contacts").fetchone()
    erasure = int(row[0]) if row else 1
    now = datetime.now(UTC).replace(tzinfo=None)
    conn.executemany(
        "INSERT INTO erased_contacts VALUES (?, ?, ?) ON CONFLICT (digest) DO NOTHING",
        [[name, erasure, now] for name in sorted(names)],
    )
    return erasure


def erased_names(source: Store | duckdb.DuckDBPyConnection, names: Sequence[str]) -> set[str]:
    """The ``names`` (contact ids or addresses) of erased contacts; ``source`` is the store
    (a read) or the connection of a write in progress."""
    if not names:
        return set()
    salt = _salt(source, create=False)
    if salt is None:
        return set()
    by_digest = {d: name for name in set(names) for d in digests(salt, name)}
    found = _rows(
        source,
        "SELECT digest FROM erased_contacts WHERE digest IN (SELECT unnest(?::VARCHAR[]))",
        [list(by_digest)],
    )
    return {by_digest[r[0]] for r in found}


def is_erased(store: Store, name: str) -> bool:
    """Whether ``name`` (a contact id or an email address) belongs to an erased contact."""
    return bool(erased_names(store, [name]))


def _rows(
    source: Store | duckdb.DuckDBPyConnection, sql: str, params: list[Any]
) -> list[tuple[Any, ...]]:
    # Through the store, a read waits out a file rewrite (Store.rewrite_file) instead of failing.
    if isinstance(source, Store):
        return source.execute(sql, params).rows
    return source.execute(sql, params).fetchall()


def _salt(source: Store | duckdb.DuckDBPyConnection, *, create: bool) -> bytes | None:
    rows = _rows(source, "SELECT salt FROM erasure_salt LIMIT 1", [])
    if rows:
        return bytes(rows[0][0])
    if not create or isinstance(source, Store):
        return None
    salt = secrets.token_bytes(SALT_BYTES)
    source.execute("INSERT INTO erasure_salt VALUES (?)", [salt])
    return salt


def _mac(salt: bytes, text: str) -> str:
    return hmac.new(salt, text.encode(), hashlib.sha256).hexdigest()
