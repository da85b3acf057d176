"""API keys with scopes, stored hashed in the ``api_keys`` table.

A key reads ``hw_<id>_<secret>``: the id finds the row, the secret proves the caller holds
the key. Only SHA-256 of the secret is stored. The secret is 32 random bytes from
``secrets``, so a fast hash is enough: nobody can guess or brute-force 256 bits, and a slow
password hash (bcrypt, scrypt) would only add latency to every API request. Digests are
compared in constant time.

Scopes: ``ingest`` (send activities), ``read`` (reports, dashboard), ``admin`` (everything,
including journeys and keys); ``admin`` implies the other two.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import duckdb

from headway.errors import Detail, InvalidInput, NotFound
from headway.store.store import Store

SCOPES = ("ingest", "read", "admin")
# Bumped by every write of this module, per database file: caches of the active keys reload
# when it changes (and only then: activity appends, which bump Store.generation many times a
# second, leave the keys alone). Only this module writes api_keys, and only this process can
# write the file while it holds it open.
_versions: dict[str, int] = {}
_versions_lock = threading.Lock()
PREFIX = "hw"
ID_BYTES = 6  # 12 hex digits: enough to never collide in one database
SECRET_BYTES = 32
MAX_NAME = 100
T = TypeVar("T")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the key's id and its scopes (``local`` when keys are off)."""

    key_id: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        """Whether this caller holds ``scope`` (``admin`` holds every scope)."""
        return scope in self.scopes or "admin" in self.scopes


@dataclass(frozen=True)
class KeyInfo:
    """One stored API key, without its secret."""

    id: str
    name: str | None
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether the key still authenticates (not revoked)."""
        return self.revoked_at is None


@dataclass(frozen=True)
class StoredKey:
    """What authentication needs of an active key: its digest and scopes."""

    id: str
    secret_hash: str
    scopes: tuple[str, ...]
    last_used_at: datetime | None


def keys_version(store: Store) -> int:
    """A number that changes whenever this process writes the store's keys."""
    return _versions.get(_file(store), 0)


def _write_keys(store: Store, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    try:
        return store.write(fn)
    finally:  # bumped even on failure: a reload is cheap, a stale cache is not
        with _versions_lock:
            _versions[_file(store)] = _versions.get(_file(store), 0) + 1


def _file(store: Store) -> str:
    return str(store.path.resolve())


def effective_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes a key holds, ``admin`` expanded to every scope."""
    held = frozenset(scopes)
    return frozenset(SCOPES) if "admin" in held else held


def check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Validated scope names, sorted and without repeats."""
    given = list(scopes)
    if not given:
        raise InvalidInput("a key needs at least one scope: ingest, read or admin")
    for scope in given:
        if scope not in SCOPES:
            raise InvalidInput(
                f"unknown scope {scope!r}; the scopes are ingest, read and admin",
                [Detail("not one of ingest, read, admin", field="scope")],
            )
    return tuple(s for s in SCOPES if s in given)


def create_key(store: Store, scopes: Iterable[str], name: str | None = None) -> tuple[KeyInfo, str]:
    """Store a new key; its description and the plaintext key (shown once, never stored)."""
    checked = check_scopes(scopes)
    if name is not None and len(name) > MAX_NAME:
        raise InvalidInput(f"a key name has at most {MAX_NAME} characters")
    key_id = secrets.token_hex(ID_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    info = KeyInfo(key_id, name, checked, _now(), None, None)
    _write_keys(
        store,
        lambda conn: conn.execute(
            "INSERT INTO api_keys (id, name, secret_hash, scopes, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [key_id, name, digest(secret), list(checked), info.created_at],
        ),
    )
    return info, f"{PREFIX}_{key_id}_{secret}"


def list_keys(store: Store) -> list[KeyInfo]:
    """Every key, revoked ones included, oldest first."""
    rows = store.execute(
        "SELECT id, name, scopes, created_at, last_used_at, revoked_at FROM api_keys "
        "ORDER BY created_at, id"
    ).rows
    return [KeyInfo(r[0], r[1], tuple(r[2]), r[3], r[4], r[5]) for r in rows]


def revoke_key(store: Store, key_id: str) -> KeyInfo:
    """Revoke a key (it stops working at once); the key as it now is."""

    def revoke(conn: duckdb.DuckDBPyConnection) -> None:
        found = conn.execute("SELECT revoked_at FROM api_keys WHERE id = ?", [key_id]).fetchone()
        if found is None:
            raise NotFound(f"there is no API key with id {key_id!r} (see 'headway keys list')")
        if found[0] is None:
            conn.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?", [_now(), key_id])

    _write_keys(store, revoke)
    return next(k for k in list_keys(store) if k.id == key_id)


def active_keys(store: Store) -> dict[str, StoredKey]:
    """Every active key by id, with its digest: what ``authenticate`` checks against."""
    rows = store.execute(
        "SELECT id, secret_hash, scopes, last_used_at FROM api_keys WHERE revoked_at IS NULL"
    ).rows
    return {r[0]: StoredKey(r[0], r[1], tuple(r[2]), r[3]) for r in rows}


def any_keys(store: Store) -> bool:
    """Whether the database holds at least one active key."""
    return bool(store.execute("SELECT count(*) FROM api_keys WHERE revoked_at IS NULL").scalar())


def authenticate(store: Store, token: str) -> Principal | None:
    """The caller holding ``token``, or None for an unknown, malformed or revoked key."""
    return match_key(active_keys(store), token)


def match_key(keys: dict[str, StoredKey], token: str) -> Principal | None:
    """The caller holding ``token`` among ``keys`` (active keys by id), or None."""
    parts = parse_token(token)
    if parts is None:
        return None
    key = keys.get(parts[0])
    if key is None or not hmac.compare_digest(key.secret_hash, digest(parts[1])):
        return None
    return Principal(key.id, effective_scopes(key.scopes))


def parse_token(token: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a well-formed key, else None."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def touch_key(store: Store, key_id: str) -> None:
    """Record that a key was used now."""
    _write_keys(
        store,
        lambda conn: conn.execute(
            "UPDATE api_keys SET last_used_at = ? WHERE id = ?", [_now(), key_id]
        ),
    )


def digest(secret: str) -> str:
    """The stored form of a key's secret: SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
