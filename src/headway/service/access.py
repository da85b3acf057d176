"""API keys: create, list, revoke, and what authentication reads (docs/security.md)."""

from __future__ import annotations

from collections.abc import Iterable

from headway.service.base import ServiceBase
from headway.store import api_keys


class AccessService(ServiceBase):
    """The API keys stored in the database."""

    def create_key(
        self, scopes: Iterable[str], name: str | None = None
    ) -> tuple[api_keys.KeyInfo, str]:
        """A new key with ``scopes``: its record and the secret token (shown once)."""
        return api_keys.create_key(self.store, scopes, name)

    def list_keys(self) -> list[api_keys.KeyInfo]:
        """Every key, revoked ones too."""
        return api_keys.list_keys(self.store)

    def revoke_key(self, key_id: str) -> api_keys.KeyInfo:
        """Revoke key ``key_id``; its record."""
        return api_keys.revoke_key(self.store, key_id)

    def any_keys(self) -> bool:
        """Whether any key was ever created (no key: the server is open on loopback)."""
        return api_keys.any_keys(self.store)

    def active_keys(self) -> dict[str, api_keys.StoredKey]:
        """The keys not revoked, by id (what a token is checked against)."""
        return api_keys.active_keys(self.store)

    def keys_version(self) -> int:
        """A number that changes whenever a key is created or revoked."""
        return api_keys.keys_version(self.store)

    def touch_key(self, key_id: str) -> None:
        """Record that key ``key_id`` was just used."""
        api_keys.touch_key(self.store, key_id)
