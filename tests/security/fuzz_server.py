"""A real ``headway serve`` in keys mode for the fuzz tests: a seeded database and one key per scope.

The server trusts tracking keys, has four ESP webhooks enabled (their secrets are known here,
so tests can sign), holds one email, contacts who were sent it and the Signup journey, and
has an ``admin``, a ``read`` and an ``ingest`` API key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from headway.store import Store
from headway.store.api_keys import create_key
from tests.web.conftest import NEW_KEY, OLD_KEY, SIGNUP, LiveServer, config_text, seed, start_server

WEBHOOKS = """
[webhooks.postmark]
secret = "postmark-secret-0123456789"
[webhooks.brevo]
token = "brevo-token-0123456789"
[webhooks.mailgun]
signing_key = "mailgun-key-0123456789"
[webhooks.mandrill]
webhook_key = "mandrill-key-0123456789"
"""


@dataclass
class FuzzServer:
    """The running server and a key of each scope (``Bearer`` values)."""

    server: LiveServer
    keys: dict[str, str]

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.server.url

    def headers(self, scope: str | None) -> dict[str, str]:
        """Headers authenticating with the key of ``scope`` (none for ``None``)."""
        return {} if scope is None else {"Authorization": f"Bearer {self.keys[scope]}"}


def start_fuzz_server(root: Path) -> FuzzServer:
    """Seed a database under ``root``, create the keys and start the server on it."""
    db_path, config_path = root / "fuzz.duckdb", root / "headway.toml"
    config_path.write_text(config_text(NEW_KEY, OLD_KEY) + WEBHOOKS)
    links = seed(db_path)
    with Store(db_path) as store:
        keys = {scope: create_key(store, [scope], f"fuzz-{scope}")[1] for scope in SCOPES}
    server = start_server(db_path, config_path)
    server.links = links
    fuzz = FuzzServer(server, keys)
    answer = httpx.post(
        fuzz.url + "/api/v1/journeys",
        content=SIGNUP,
        headers={"Content-Type": "application/yaml", **fuzz.headers("admin")},
    )
    assert answer.status_code in (200, 201), answer.text
    return fuzz


SCOPES = ("admin", "read", "ingest")
