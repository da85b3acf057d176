"""What the SDK endpoint tests share: an app on a fresh store, raw requests, what was stored."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import httpx
import orjson
from fastapi import FastAPI

from headway.settings import Settings
from headway.store import Store
from headway.web.app import create_app
from tests.web.conftest import Client

REMOTE = ("192.0.2.7", 40000)


def sdk_app(store: Store) -> FastAPI:
    """The real app on ``store``."""
    return create_app(store, Settings(tracking={"enabled": False}))


def post(
    app: FastAPI,
    path: str,
    body: Any = None,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    gzipped: bool = False,
    client: tuple[str, int] | None = None,
) -> httpx.Response:
    """POST ``body`` as JSON (or ``content`` as given), gzip'd on request."""
    # The standard library writes JSON nested deeper than orjson's 255 levels.
    data = content if content is not None else json.dumps(body).encode()
    sent = {"content-type": "application/json", **(headers or {})}
    if gzipped:
        data = gzip.compress(data)
        sent["content-encoding"] = "gzip"
    if client is None:
        return Client(app).post(path, content=data, headers=sent)
    return Remote(app, client).post(path, content=data, headers=sent)


class Remote(Client):
    """An in-process client calling from another machine's address."""

    def __init__(self, app: FastAPI, client: tuple[str, int]) -> None:
        super().__init__(app)
        self.client = client

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=self.client)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return await c.request(method, url, **kw)

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, go()).result()


def basic(key: str) -> dict[str, str]:
    """Segment's Authorization header: HTTP Basic with the write key as user name."""
    return {"authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def stored(store: Store) -> dict[str, dict[str, Any]]:
    """Every stored activity by id: contact as merged, type, source, properties."""
    rows = store.execute(
        """SELECT a.id, c.id AS contact, t.name AS type, a.source, a.properties, a.ts
        FROM activity_log a JOIN contacts c ON c.key = a.contact_key
        JOIN activity_types t ON t.code = a.type_code"""
    ).dicts()
    return {r["id"]: {**r, "properties": orjson.loads(r["properties"] or "{}")} for r in rows}


def attributes(store: Store, contact: str) -> dict[str, Any]:
    """A contact's attributes."""
    value = store.execute("SELECT attributes FROM contacts WHERE id = ?", [contact]).scalar()
    return dict(orjson.loads(value)) if value else {}


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The error object of Headway's error shape (asserting the shape)."""
    body = response.json()
    assert list(body) == ["error"] and set(body["error"]) == {"code", "message", "details"}
    error: dict[str, Any] = body["error"]
    return error
