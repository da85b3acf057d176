"""``POST /webhooks/{provider}``: the pipeline shared by every provider.

Helpers here (``client_for``, ``stored``, ``assert_error``) are imported by the provider
suites ``test_webhooks_<provider>.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from fastapi import FastAPI

from headway.ingest.webhooks.settings import MailgunSettings, PostmarkSettings, WebhookSettings
from headway.settings import Settings
from headway.store import Store
from headway.web.app import create_app

MAILGUN_KEY = "key-for-tests-0123456789"


class AppClient:
    """A synchronous in-process ASGI client (httpx over ``ASGITransport``)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request to the app and return its response."""

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return await c.request(method, url, **kwargs)

        return asyncio.run(send())

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """POST to the app."""
        return self.request("POST", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> httpx.Response:
        """HEAD to the app."""
        return self.request("HEAD", url, **kwargs)


def client_for(store: Store, **providers: Any) -> AppClient:
    """An in-process client of the real Headway app with these webhook settings."""
    limit = providers.pop("max_body_bytes", 5_000_000)
    webhooks = WebhookSettings(max_body_bytes=limit, **providers)
    return AppClient(create_app(store, Settings(webhooks=webhooks)))


def stored(store: Store) -> list[dict[str, Any]]:
    """Every stored activity, ordered by id, with properties decoded."""
    rows = store.execute(
        """SELECT a.id, c.id AS contact, t.name AS type, a.ts, a.properties, a.bot,
                  a.bot_reason, a.source
           FROM activities a
           JOIN contacts c ON c.key = a.contact_key
           JOIN activity_types t ON t.code = a.type_code
           ORDER BY a.id"""
    ).dicts()
    for row in rows:
        row["properties"] = json.loads(row["properties"]) if row["properties"] else {}
    return rows


def assert_error(response: httpx.Response, status: int, code: str, *words: str) -> dict[str, Any]:
    """The response is the JSON error shape with this status, code and message words."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "details"}
    for word in words:
        assert word in error["message"], error["message"]
    return error


def mailgun_body(event: dict[str, Any], *, key: str = MAILGUN_KEY, **signature: Any) -> bytes:
    """A signed Mailgun webhook body (timestamp now unless given)."""
    stamp = str(signature.get("timestamp", int(time.time())))
    token = signature.get("token", "tok-" + hashlib.sha256(orjson.dumps(event)).hexdigest()[:40])
    digest = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    return orjson.dumps(
        {
            "signature": {"timestamp": stamp, "token": token, "signature": digest},
            "event-data": event,
        }
    )


def test_unknown_provider_is_404(store: Store) -> None:
    client = client_for(store)
    response = client.post(
        "/webhooks/acme", content=b"{}", headers={"content-type": "application/json"}
    )
    assert_error(response, 404, "not_found", "'acme'", "sendgrid")


def test_provider_without_settings_is_disabled(store: Store) -> None:
    client = client_for(store)
    response = client.post(
        "/webhooks/sendgrid", content=b"[]", headers={"content-type": "application/json"}
    )
    assert_error(
        response, 404, "not_found", "SendGrid webhooks are not enabled", "webhooks.sendgrid"
    )


def test_wrong_content_type_is_415(store: Store) -> None:
    client = client_for(store, postmark=PostmarkSettings(secret="s3cret"))
    response = client.post(
        "/webhooks/postmark",
        content=b"a=b",
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=("headway", "s3cret"),
    )
    error = assert_error(response, 415, "unsupported_media_type", "Postmark", "application/json")
    assert error["details"] == [{"field": "content-type", "reason": "expected application/json"}]
    assert stored(store) == []


def test_oversized_body_is_413_and_nothing_stored(store: Store) -> None:
    client = client_for(
        store, mailgun=MailgunSettings(signing_key=MAILGUN_KEY), max_body_bytes=2048
    )
    event = {
        "event": "delivered",
        "recipient": "a@example.com",
        "timestamp": time.time(),
        "id": "big",
        "user-variables": {"pad": "x" * 4000},
    }
    response = client.post(
        "/webhooks/mailgun",
        content=mailgun_body(event),
        headers={"content-type": "application/json"},
    )
    assert_error(response, 413, "payload_too_large", "webhooks.max_body_bytes", "2048")
    assert stored(store) == []


def test_oversized_chunked_body_is_413(store: Store) -> None:
    client = client_for(
        store, mailgun=MailgunSettings(signing_key=MAILGUN_KEY), max_body_bytes=2048
    )

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 512

    response = client.post(
        "/webhooks/mailgun", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "payload_too_large")


def test_head_probe_answers_200(store: Store) -> None:
    client = client_for(store)
    assert client.head("/webhooks/mandrill").status_code == 200
    assert client.head("/webhooks/acme").status_code == 404
