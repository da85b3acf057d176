"""A real Headway server: ``headway serve`` as a subprocess on a seeded database file.

The server process owns the database while it runs, so tests read what it recorded after
stopping it (``LiveServer.stop()`` then ``Store(..., read_only=True)``).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest
from fastapi import FastAPI

from headway.ingest.tokens import Signer, SigningKey
from headway.store import Store
from headway.store.emails import add_link, register_email

HEADWAY = Path(sys.executable).parent / "headway"
NEW_KEY = SigningKey("k-new", b"new-secret-0123456789abcdef-0123456789")
OLD_KEY = SigningKey("k-old", b"old-secret-0123456789abcdef-0123456789")
EMAIL = "welcome-1"
CAMPAIGN = "onboarding"
PRICING = "https://example.com/pricing?plan=pro&utm_source=email"
CONTACTS = ("alice@example.com", "bob@example.com", "carol@example.com")
# The journey the end-to-end tests save: Visit (page_visit) → Form → Buy (purchase).
SIGNUP = """name: Signup
window: 30d
stages:
  - name: Visit
    when: {type: page_visit}
  - name: Form
    when: {type: form_submission}
  - name: Buy
    when: {type: purchase}
"""


class World:
    """What the seeded database holds and the keys the server trusts."""

    email = EMAIL
    campaign = CAMPAIGN
    pricing = PRICING
    contacts = CONTACTS
    new_key = NEW_KEY
    old_key = OLD_KEY


def config_text(*keys: SigningKey) -> str:
    """A TOML settings file holding ``keys`` (first signs)."""
    lines = ["[tracking]", 'base_url = "https://t.example.com"']
    for key in keys:
        lines += ["[[tracking.keys]]", f'id = "{key.id}"', f'secret = "{key.secret.decode()}"']
    return "\n".join(lines) + "\n"


@dataclass
class LiveServer:
    """A running ``headway serve`` subprocess."""

    url: str
    db_path: Path
    config_path: Path
    process: subprocess.Popen[bytes]
    links: dict[str, str] = field(default_factory=dict)
    log: str = ""

    def restart(self, *keys: SigningKey) -> LiveServer:
        """Stop this server; start another on the same database trusting only ``keys``."""
        self.stop()
        self.config_path.write_text(config_text(*keys))
        return start_server(self.db_path, self.config_path)

    def stop(self) -> str:
        """Stop the server (SIGTERM, graceful); its stderr."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        err = self.process.stderr
        if err is not None and not err.closed:
            self.log = err.read().decode()
            err.close()
        return self.log

    def activities(self, type: str) -> list[dict[str, object]]:
        """Stop the server and read the recorded activities of one type."""
        self.stop()
        with Store(self.db_path, read_only=True) as store:
            return store.execute(
                """SELECT a.id, c.id AS contact, a.ts, a.properties, a.bot, a.bot_reason, a.source
                FROM activities a JOIN contacts c ON c.key = a.contact_key
                JOIN activity_types t ON t.code = a.type_code WHERE t.name = ? ORDER BY a.ts""",
                [type],
            ).dicts()

    def subscriptions(self) -> dict[str, str]:
        """Stop the server and read every contact's subscription state."""
        self.stop()
        with Store(self.db_path, read_only=True) as store:
            return dict(store.execute("SELECT id, subscription FROM contacts").rows)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    db_path: Path, config_path: Path, env: Mapping[str, str] | None = None
) -> LiveServer:
    """Start ``headway serve`` (with ``env`` added to its environment) and wait until it answers."""
    port = free_port()
    cmd = [str(HEADWAY), "--db", str(db_path), "serve", "--port", str(port)]
    cmd += ["--config", str(config_path)]
    environ = {**os.environ, **(env or {})}
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environ)
    server = LiveServer(f"http://127.0.0.1:{port}", db_path, config_path, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"headway serve exited: {server.stop()}")
        try:
            if httpx.get(server.url + "/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.stop()
    raise AssertionError("headway serve did not answer within 30 s")


def seed(db_path: Path) -> dict[str, str]:
    """One email with one registered link, and contacts who were sent it; link ids by URL."""
    with Store(db_path) as store:
        register_email(store, EMAIL, "Welcome", "Hello!", CAMPAIGN, send_time=datetime(2026, 1, 1))
        links = {PRICING: add_link(store, EMAIL, PRICING, "pricing")}
        sent = [
            {"id": f"sent-{c}", "contact": c, "type": "email_sent", "ts": datetime(2026, 1, 1),
             "properties": f'{{"email": "{EMAIL}"}}', "bot": False, "bot_reason": None,
             "source": "api"}
            for c in CONTACTS
        ]  # fmt: skip
        store.append_activities(pa.Table.from_pylist(sent))
    return links


@pytest.fixture
def world() -> type[World]:
    """Constants of the seeded world (email, link URL, contacts, keys)."""
    return World


@pytest.fixture
def signer() -> Signer:
    """Signs with the server's newest key."""
    return Signer([NEW_KEY])


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real server on a seeded database, keys k-new (signs) and k-old (verifies)."""
    db_path = tmp_path / "live.duckdb"
    config_path = tmp_path / "headway.toml"
    config_path.write_text(config_text(NEW_KEY, OLD_KEY))
    links = seed(db_path)
    server = start_server(db_path, config_path)
    server.links = links
    try:
        yield server
    finally:
        server.stop()


class Client:
    """A synchronous in-process client (httpx's ASGI transport, one event loop per request)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return await c.request(method, url, **kw)

        # In a worker thread: Playwright's sync API (browser tests in the same session) leaves
        # an event loop running on the main thread, where asyncio.run refuses to start.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, go()).result()

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", url, **kw)


@pytest.fixture
def asgi_client() -> type[Client]:
    """In-process client class: ``asgi_client(app).get(...)``."""
    return Client
