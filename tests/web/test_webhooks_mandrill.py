"""Mandrill webhooks through ``POST /webhooks/mandrill``: signature over URL + form fields."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from test_webhooks import AppClient, assert_error, client_for, stored

from headway.ingest.webhooks import mandrill
from headway.ingest.webhooks.settings import MandrillSettings
from headway.store import Store

KEY = "TEST_WEBHOOK_KEY"
URL = "http://testserver/webhooks/mandrill"
FORM = {"content-type": "application/x-www-form-urlencoded"}

# Documented Mandrill events (Mandrill's webhook format, as in Anymail's Mandrill suite).
SEND = {
    "event": "send",
    "msg": {
        "ts": 1461095211,
        "subject": "Webhook Test",
        "email": "Recipient@Example.com",
        "sender": "sender@example.com",
        "tags": ["tag1", "tag2"],
        "metadata": {"headway_email": "welcome-1", "headway_campaign": "onboarding"},
        "_id": "abcdef012345789abcdef012345789",
    },
    "_id": "abcdef012345789abcdef012345789",
    "ts": 1461095246,
}
HARD_BOUNCE = {
    "event": "hard_bounce",
    "msg": {
        "ts": 1461095211,
        "subject": "Webhook Test",
        "email": "bounce@example.com",
        "sender": "sender@example.com",
        "bounce_description": "bad_mailbox",
        "bgtools_code": 10,
        "diag": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "_id": "abcdef012345789abcdef012345789",
    },
    "_id": "abcdef012345789abcdef012345789",
    "ts": 1461095246,
}
CLICK = {
    "event": "click",
    "msg": {
        "ts": 1461095211,
        "subject": "Webhook Test",
        "email": "recipient@example.com",
        "sender": "sender@example.com",
        "opens": [{"ts": 1461095242}],
        "clicks": [{"ts": 1461095246, "url": "http://example.com"}],
        "_id": "abcdef012345789abcdef012345789",
    },
    "user_agent": "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0",
    "url": "http://example.com",
    "_id": "abcdef012345789abcdef012345789",
    "ts": 1461095246,
}
SYNC = {
    "type": "blacklist",
    "action": "add",
    "reject": {"email": "recipient@example.com", "reason": "manual edit"},
}


def signed_form(
    events: list[Any], *, key: str = KEY, url: str = URL
) -> tuple[bytes, dict[str, str]]:
    """The form body and headers Mandrill would send (signature as in Anymail's test helper)."""
    payload = json.dumps(events)
    digest = hmac.new(
        key.encode(), (url + "mandrill_events" + payload).encode(), hashlib.sha1
    ).digest()
    body = urlencode({"mandrill_events": payload}).encode()
    return body, {**FORM, "X-Mandrill-Signature": base64.b64encode(digest).decode()}


@pytest.fixture
def client(store: Store) -> AppClient:
    return client_for(store, mandrill=MandrillSettings(webhook_key=KEY))


def post(client: AppClient, events: list[Any], **signing: Any) -> Any:
    body, headers = signed_form(events, **signing)
    return client.post("/webhooks/mandrill", content=body, headers=headers)


def test_signature_helper_matches_a_hand_computed_value() -> None:
    fields = [("b", "2"), ("a", "1")]
    expected = base64.b64encode(
        hmac.new(b"k", b"https://x.test/hooka1b2", hashlib.sha1).digest()
    ).decode()
    assert mandrill.signature("k", "https://x.test/hook", fields) == expected


def test_documented_events_map(client: AppClient, store: Store) -> None:
    response = post(client, [SEND, HARD_BOUNCE, CLICK, SYNC])
    assert response.json() == {"accepted": 3, "duplicates": 0, "skipped": {"sync:blacklist": 1}}
    rows = {r["type"]: r for r in stored(store)}
    sent = rows["email_sent"]
    assert (sent["contact"], sent["source"], str(sent["ts"])) == (
        "recipient@example.com",
        "mandrill",
        "2016-04-19 19:47:26",
    )
    assert (sent["properties"]["email"], sent["properties"]["campaign"]) == (
        "welcome-1",
        "onboarding",
    )
    assert sent["properties"]["tags"] == ["tag1", "tag2"]
    assert rows["email_bounce"]["properties"]["bounce_type"] == "hard"
    assert rows["email_bounce"]["contact"] == "bounce@example.com"
    click = rows["email_click"]
    assert click["properties"]["url"] == "http://example.com"
    assert click["properties"]["user_agent"].startswith("Mozilla/5.0 (Windows NT 5.1")
    assert len({r["id"] for r in rows.values()}) == 3


@pytest.mark.parametrize(
    ("name", "kind", "bounce_type"),
    [
        ("soft_bounce", "email_bounce", "soft"),
        ("open", "email_open", None),
        ("spam", "email_spam_report", None),
        ("unsub", "email_unsubscribe", None),
        ("deferral", None, None),
        ("reject", None, None),
    ],
)
def test_other_event_names(
    client: AppClient, store: Store, name: str, kind: str | None, bounce_type: str | None
) -> None:
    answer = post(client, [{**SEND, "event": name}]).json()
    if kind is None:
        assert answer["skipped"] == {name: 1}
        return
    [row] = stored(store)
    assert (row["type"], row["properties"].get("bounce_type")) == (kind, bounce_type)


def test_same_batch_twice_counts_once(client: AppClient, store: Store) -> None:
    post(client, [SEND, CLICK])
    assert post(client, [SEND, CLICK]).json() == {"accepted": 0, "duplicates": 2, "skipped": {}}


def test_bad_signature_is_401_and_nothing_stored(client: AppClient, store: Store) -> None:
    assert_error(
        post(client, [SEND], key="wrong API key"),
        401,
        "unauthorized",
        "Mandrill signature does not match",
    )
    assert_error(post(client, [SEND], url="https://elsewhere.example/hook"), 401, "unauthorized")
    body, _ = signed_form([SEND])
    missing = client.post("/webhooks/mandrill", content=body, headers=FORM)
    assert_error(missing, 401, "unauthorized", "X-Mandrill-Signature")
    assert stored(store) == []


def test_configured_url_is_the_one_signed(store: Store) -> None:
    public = "https://hooks.example.com/webhooks/mandrill"
    client = client_for(store, mandrill=MandrillSettings(webhook_key=KEY, url=public))
    assert post(client, [SEND], url=public).json()["accepted"] == 1


def test_json_body_is_415(client: AppClient) -> None:
    response = client.post(
        "/webhooks/mandrill", content=b"[]", headers={"content-type": "application/json"}
    )
    assert_error(response, 415, "unsupported_media_type", "application/x-www-form-urlencoded")


def test_malformed_events_json_is_422(client: AppClient) -> None:
    digest = hmac.new(
        KEY.encode(), (URL + "mandrill_events" + "GARBAGE DATA").encode(), hashlib.sha1
    ).digest()
    headers = {**FORM, "X-Mandrill-Signature": base64.b64encode(digest).decode()}
    response = client.post(
        "/webhooks/mandrill",
        content=urlencode({"mandrill_events": "GARBAGE DATA"}).encode(),
        headers=headers,
    )
    assert_error(response, 422, "invalid_input", "mandrill_events is not valid JSON")
