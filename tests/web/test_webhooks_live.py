"""Webhooks against a real ``headway serve`` subprocess (settings from the environment)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import orjson
import pytest
from test_webhooks import MAILGUN_KEY, mailgun_body

from headway.ingest.tokens import SigningKey

KEY = SigningKey("k-live", b"live-secret-0123456789abcdef-0123456789")
JSON = {"content-type": "application/json"}


@pytest.mark.slow
def test_mailgun_webhook_on_a_live_server(
    live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWAY_WEBHOOKS__MAILGUN__SIGNING_KEY", MAILGUN_KEY)
    monkeypatch.setenv("HEADWAY_WEBHOOKS__MAX_BODY_BYTES", "4096")
    server = live_server.restart(KEY)
    event = {
        "event": "delivered",
        "id": "live-1",
        "recipient": "Alice@Example.com",
        "timestamp": time.time(),
        "user-variables": {"headway_email": "welcome-1"},
    }
    body = mailgun_body(event)
    url = server.url + "/webhooks/mailgun"

    first = httpx.post(url, content=body, headers=JSON)
    assert first.json() == {"accepted": 1, "duplicates": 0, "skipped": {}}
    replay = httpx.post(url, content=body, headers=JSON)
    assert replay.status_code == 403
    assert replay.json()["error"]["message"] == "Mailgun token was already used"
    wrong_type = httpx.post(url, content=body, headers={"content-type": "text/plain"})
    assert wrong_type.status_code == 415
    # Over webhooks.max_body_bytes (4096 here), far under the server-wide limit.
    big = mailgun_body({**event, "id": "live-2", "pad": "x" * 5000})
    assert httpx.post(url, content=big, headers=JSON).status_code == 413
    broken = httpx.post(url, content=b'{"signature": ', headers=JSON)
    assert broken.status_code == 422
    assert "not valid JSON" in broken.json()["error"]["message"]

    [row] = server.activities("email_delivered")
    assert (row["id"], row["contact"], row["source"]) == (
        "mailgun:live-1",
        "alice@example.com",
        "mailgun",
    )
    assert orjson.loads(str(row["properties"]))["email"] == "welcome-1"
