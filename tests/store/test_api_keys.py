"""API keys: stored hashed, scoped, revocable."""

from __future__ import annotations

from pathlib import Path

import pytest

from headway.errors import InvalidInput, NotFound
from headway.store import Store
from headway.store.api_keys import (
    Principal,
    any_keys,
    authenticate,
    create_key,
    digest,
    list_keys,
    revoke_key,
)


def test_a_new_key_authenticates_with_its_scopes(store: Store) -> None:
    info, plaintext = create_key(store, ["read", "ingest"], "loader")
    assert plaintext.startswith(f"hw_{info.id}_")
    assert info.scopes == ("ingest", "read") and info.name == "loader" and info.active
    principal = authenticate(store, plaintext)
    assert principal == Principal(info.id, frozenset({"ingest", "read"}))
    assert principal.allows("read") and not principal.allows("admin")


def test_admin_implies_every_scope(store: Store) -> None:
    _, plaintext = create_key(store, ["admin"])
    principal = authenticate(store, plaintext)
    assert principal is not None
    assert principal.scopes == frozenset({"ingest", "read", "admin"})
    assert all(principal.allows(s) for s in ("ingest", "read", "admin"))


def test_the_plaintext_is_nowhere_in_the_database_file(db_path: Path) -> None:
    with Store(db_path) as store:
        info, plaintext = create_key(store, ["admin"])
    secret = plaintext.split("_", 2)[2]
    raw = db_path.read_bytes()
    wal = db_path.with_name(db_path.name + ".wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert info.id.encode() in raw  # the id is stored, as a sanity check of the search
    assert secret.encode() not in raw and plaintext.encode() not in raw
    assert digest(secret).encode() in raw


def test_secrets_are_long_and_random(store: Store) -> None:
    keys = {create_key(store, ["read"])[1] for _ in range(20)}
    assert len(keys) == 20
    assert all(len(k.split("_", 2)[2]) >= 43 for k in keys)  # 32 bytes, base64


@pytest.mark.parametrize(
    "token",
    ["", "hw", "hw__", "nope", "hw_0123456789ab_wrongsecret", "Bearer x", "hw_unknown_secret"],
)
def test_unknown_or_malformed_keys_do_not_authenticate(store: Store, token: str) -> None:
    create_key(store, ["admin"])
    assert authenticate(store, token) is None


def test_a_wrong_secret_for_a_real_id_fails(store: Store) -> None:
    info, plaintext = create_key(store, ["admin"])
    assert authenticate(store, plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
    assert authenticate(store, f"hw_{info.id}_") is None


def test_revoked_keys_stop_authenticating_and_stay_listed(store: Store) -> None:
    assert not any_keys(store)
    info, plaintext = create_key(store, ["read"], "old")
    assert any_keys(store)
    revoked = revoke_key(store, info.id)
    assert not revoked.active and revoked.revoked_at is not None
    assert authenticate(store, plaintext) is None
    assert not any_keys(store)
    assert [k.id for k in list_keys(store)] == [info.id]
    assert revoke_key(store, info.id).revoked_at == revoked.revoked_at  # idempotent


def test_revoking_an_unknown_key_names_it(store: Store) -> None:
    with pytest.raises(NotFound, match="no API key with id 'nope'"):
        revoke_key(store, "nope")


@pytest.mark.parametrize(
    ("scopes", "message"),
    [([], "at least one scope"), (["write"], "unknown scope 'write'"), (["Read"], "'Read'")],
)
def test_scope_names_are_validated(store: Store, scopes: list[str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        create_key(store, scopes)
    assert list_keys(store) == []


def test_repeated_scopes_are_stored_once(store: Store) -> None:
    info, _ = create_key(store, ["read", "read", "admin"])
    assert info.scopes == ("read", "admin")
    assert list_keys(store)[0].scopes == ("read", "admin")
