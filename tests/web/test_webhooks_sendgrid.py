"""SendGrid Event Webhook through ``POST /webhooks/sendgrid`` with a key the tests generate."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from headway.ingest.webhooks.settings import SendGridSettings
from headway.store import Store
from tests.web.webhook_support import (
    SENDGRID_PRIVATE,
    SENDGRID_PUBLIC,
    AppClient,
    assert_error,
    client_for,
    sendgrid_headers,
    stored,
)

PRIVATE, PUBLIC = SENDGRID_PRIVATE, SENDGRID_PUBLIC


def base(event: str, n: int, **extra: Any) -> dict[str, Any]:
    """One event in the shape of SendGrid's documented example (distinct sg_event_id)."""
    return {
        "email": "Example@Test.com",
        "timestamp": 1513299569,
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "event": event,
        "category": "cat facts",
        "sg_event_id": f"sg-event-{n}",
        "sg_message_id": "sg_message_id",
        "headway_email": "welcome-1",
        "headway_campaign": "onboarding",
        **extra,
    }


UA = "Mozilla/4.0 (compatible; MSIE 6.1; Windows XP; .NET CLR 1.1.4322; .NET CLR 2.0.50727)"
DOCUMENTED = [
    base("processed", 1),
    base("deferred", 2, response="400 try again later", attempt="5"),
    base("delivered", 3, response="250 OK"),
    base("open", 4, useragent=UA, ip="255.255.255.255", sg_machine_open=False),
    base("click", 5, useragent=UA, ip="255.255.255.255", url="http://www.sendgrid.com/"),
    base("bounce", 6, reason="500 unknown recipient", status="5.0.0", type="bounce"),
    base("bounce", 7, reason="blocked by receiver", status="4.0.0", type="blocked"),
    base("dropped", 8, reason="Bounced Address", status="5.0.0"),
    base("spamreport", 9),
    base("unsubscribe", 10),
    base("group_unsubscribe", 11, useragent=UA, ip="255.255.255.255", asm_group_id=10),
    base("group_resubscribe", 12, useragent=UA, ip="255.255.255.255", asm_group_id=10),
    base("open", 13, useragent="Mozilla/5.0", ip="17.58.0.1", sg_machine_open=True),
]


def signed(body: bytes, key: ec.EllipticCurvePrivateKey = PRIVATE) -> dict[str, str]:
    return sendgrid_headers(body, key)


@pytest.fixture
def client(store: Store) -> AppClient:
    return client_for(store, sendgrid=SendGridSettings(public_key=PUBLIC))


def post(client: AppClient, events: Any) -> Any:
    body = orjson.dumps(events)
    return client.post("/webhooks/sendgrid", content=body, headers=signed(body))


def test_documented_events_map_to_activities(client: AppClient, store: Store) -> None:
    response = post(client, DOCUMENTED)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "accepted": 11,
        "duplicates": 0,
        "skipped": {"deferred": 1, "group_resubscribe": 1},
    }
    rows = {r["id"]: r for r in stored(store)}
    kinds = {k: (r["type"], r["properties"].get("bounce_type")) for k, r in rows.items()}
    assert kinds == {
        "sendgrid:sg-event-1": ("email_sent", None),
        "sendgrid:sg-event-3": ("email_delivered", None),
        "sendgrid:sg-event-4": ("email_open", None),
        "sendgrid:sg-event-5": ("email_click", None),
        "sendgrid:sg-event-6": ("email_bounce", "hard"),
        "sendgrid:sg-event-7": ("email_bounce", "soft"),
        "sendgrid:sg-event-8": ("email_bounce", "soft"),
        "sendgrid:sg-event-9": ("email_spam_report", None),
        "sendgrid:sg-event-10": ("email_unsubscribe", None),
        "sendgrid:sg-event-11": ("email_unsubscribe", None),
        "sendgrid:sg-event-13": ("email_open", None),
    }
    click = rows["sendgrid:sg-event-5"]
    assert click["contact"] == "example@test.com"
    assert click["source"] == "sendgrid"
    assert str(click["ts"]) == "2017-12-15 00:59:29"
    assert click["properties"]["url"] == "http://www.sendgrid.com/"
    assert click["properties"]["email"] == "welcome-1"
    assert click["properties"]["campaign"] == "onboarding"
    assert click["properties"]["user_agent"] == UA
    assert click["properties"]["ip"] == "255.255.255.255"


def test_machine_open_is_labelled_bot_and_keeps_the_flag(client: AppClient, store: Store) -> None:
    post(client, DOCUMENTED)
    rows = {r["id"]: r for r in stored(store)}
    machine, human = rows["sendgrid:sg-event-13"], rows["sendgrid:sg-event-4"]
    assert (machine["bot"], machine["bot_reason"]) == (True, "provider_flag")
    assert machine["properties"]["sg_machine_open"] is True
    assert (human["bot"], human["bot_reason"]) == (False, None)


def test_same_batch_twice_counts_once(client: AppClient, store: Store) -> None:
    assert post(client, DOCUMENTED).json()["accepted"] == 11
    again = post(client, DOCUMENTED).json()
    assert (again["accepted"], again["duplicates"]) == (0, 11)
    assert len(stored(store)) == 11


def test_bad_signature_is_401_and_nothing_stored(client: AppClient, store: Store) -> None:
    body = orjson.dumps(DOCUMENTED)
    other = ec.generate_private_key(ec.SECP256R1())
    response = client.post("/webhooks/sendgrid", content=body, headers=signed(body, other))
    assert_error(response, 401, "unauthorized", "SendGrid signature does not match")
    assert stored(store) == []


def test_tampered_body_is_401(client: AppClient, store: Store) -> None:
    body = orjson.dumps(DOCUMENTED)
    headers = signed(body)
    response = client.post(
        "/webhooks/sendgrid", content=body.replace(b"welcome-1", b"welcome-2"), headers=headers
    )
    assert_error(response, 401, "unauthorized", "does not match")
    assert stored(store) == []


def test_malformed_json_is_422_saying_where(client: AppClient, store: Store) -> None:
    body = b'[{"event": "open",\n "email": }]'
    response = client.post("/webhooks/sendgrid", content=body, headers=signed(body))
    error = assert_error(
        response, 422, "invalid_input", "SendGrid body is not valid JSON", "line 2"
    )
    assert error["details"][0]["record"].startswith("line 2 column")
    assert stored(store) == []


def test_event_without_recipient_is_422_naming_it(client: AppClient, store: Store) -> None:
    events = [base("delivered", 1), {**base("open", 2), "email": None}]
    error = assert_error(post(client, events), 422, "invalid_input", "no recipient")
    assert error["details"] == [
        {"record": 1, "field": "contact", "reason": "missing recipient address"}
    ]
    assert stored(store) == []


def test_unknown_event_types_are_counted_not_fatal(client: AppClient, store: Store) -> None:
    events = [
        base("delivered", 1),
        base("future_event", 2),
        base("future_event", 3),
        {"no": "event"},
    ]
    assert post(client, events).json() == {
        "accepted": 1,
        "duplicates": 0,
        "skipped": {"(none)": 1, "future_event": 2},
    }
