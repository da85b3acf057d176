"""``POST /webhooks/{provider}``: the pipeline shared by every provider.

The helpers (``client_for``, ``stored``, ``assert_error``, signing) live in
``webhook_support.py``; this module re-exports the older names for suites that import them here.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from headway.ingest.webhooks.settings import MailgunSettings, PostmarkSettings
from headway.store import Store
from tests.web.webhook_support import (
    MAILGUN_KEY,
    AppClient,
    assert_error,
    client_for,
    mailgun_body,
    stored,
)

__all__ = ["MAILGUN_KEY", "AppClient", "assert_error", "client_for", "mailgun_body", "stored"]


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
