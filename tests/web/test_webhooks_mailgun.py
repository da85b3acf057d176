"""Mailgun webhooks through ``POST /webhooks/mailgun``: signature, replay, staleness, mapping."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from test_webhooks import MAILGUN_KEY, AppClient, assert_error, client_for, mailgun_body, stored

from headway.ingest.webhooks.settings import MailgunSettings
from headway.store import Store

JSON = {"content-type": "application/json"}

# The documented "delivered" event (Mailgun's sanitized sample, as in Anymail's test suite).
DELIVERED = {
    "tags": [],
    "timestamp": 1534108637.153125,
    "storage": {
        "url": "https://sw.api.mailgun.net/v3/domains/example.org/messages/eyJwI...",
        "key": "eyJwI...",
    },
    "recipient-domain": "example.com",
    "id": "hTWCTD81RtiDN-...",
    "campaigns": [],
    "user-variables": {"headway_email": "welcome-1", "headway_campaign": "onboarding"},
    "flags": {
        "is-routed": False,
        "is-authenticated": True,
        "is-system-test": False,
        "is-test-mode": False,
    },
    "log-level": "info",
    "envelope": {
        "sending-ip": "333.123.123.200",
        "sender": "test@example.org",
        "transport": "smtp",
        "targets": "recipient@example.com",
    },
    "message": {
        "headers": {
            "to": "recipient@example.com",
            "message-id": "20180812211713.1.DF5966851B4BAA99@example.org",
            "from": "test@example.org",
            "subject": "Testing",
        },
        "attachments": [],
        "size": 809,
    },
    "recipient": "recipient@example.com",
    "event": "delivered",
    "delivery-status": {
        "tls": True,
        "mx-host": "smtp-in.example.com",
        "attempt-no": 1,
        "description": "",
        "session-seconds": 3.57,
        "utf8": True,
        "code": 250,
        "message": "OK",
        "certificate-verified": True,
    },
}


def event(name: str, event_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "event": name,
        "id": event_id,
        "timestamp": 1534110422.389832,
        "recipient": "Invalid@Example.com",
        **extra,
    }


EVENTS = {
    "permanent": event("failed", "e-perm", severity="permanent", reason="bounce"),
    "temporary": event("failed", "e-temp", severity="temporary", reason="generic"),
    "opened": event(
        "opened",
        "e-open",
        ip="50.56.129.169",
        **{"client-info": {"client-type": "browser", "user-agent": "Mozilla/5.0", "bot": ""}},
    ),
    "bot_open": event(
        "opened",
        "e-bot",
        ip="17.58.0.1",
        **{
            "client-info": {
                "client-type": "mobile browser",
                "user-agent": "Mozilla/5.0",
                "bot": "apple",
            }
        },
    ),
    "clicked": event("clicked", "e-click", url="https://example.com/pricing"),
    "unsubscribed": event("unsubscribed", "e-unsub"),
    "complained": event("complained", "e-spam"),
    "accepted": event("accepted", "e-acc"),
}


@pytest.fixture
def client(store: Store) -> AppClient:
    return client_for(store, mailgun=MailgunSettings(signing_key=MAILGUN_KEY))


def post(client: AppClient, body: bytes) -> Any:
    return client.post("/webhooks/mailgun", content=body, headers=JSON)


def test_documented_delivered_event(client: AppClient, store: Store) -> None:
    response = post(client, mailgun_body(DELIVERED))
    assert response.json() == {"accepted": 1, "duplicates": 0, "skipped": {}}
    [row] = stored(store)
    assert row["id"] == "mailgun:hTWCTD81RtiDN-..."
    assert (row["contact"], row["type"], row["source"]) == (
        "recipient@example.com",
        "email_delivered",
        "mailgun",
    )
    assert str(row["ts"]) == "2018-08-12 21:17:17.153125"
    props = row["properties"]
    assert (props["email"], props["campaign"]) == ("welcome-1", "onboarding")
    assert props["message_id"] == "20180812211713.1.DF5966851B4BAA99@example.org"


@pytest.mark.parametrize(
    ("name", "kind", "extra"),
    [
        ("permanent", "email_bounce", {"bounce_type": "hard"}),
        ("temporary", "email_bounce", {"bounce_type": "soft"}),
        ("opened", "email_open", {"ip": "50.56.129.169", "user_agent": "Mozilla/5.0"}),
        ("clicked", "email_click", {"url": "https://example.com/pricing"}),
        ("unsubscribed", "email_unsubscribe", {}),
        ("complained", "email_spam_report", {}),
        ("accepted", "email_sent", {}),
    ],
)
def test_event_types_map(
    client: AppClient, store: Store, name: str, kind: str, extra: dict[str, Any]
) -> None:
    assert post(client, mailgun_body(EVENTS[name])).json()["accepted"] == 1
    [row] = stored(store)
    assert (row["type"], row["contact"], row["bot"]) == (kind, "invalid@example.com", False)
    assert extra.items() <= row["properties"].items()


def test_client_info_bot_is_labelled(client: AppClient, store: Store) -> None:
    post(client, mailgun_body(EVENTS["bot_open"]))
    [row] = stored(store)
    assert (row["bot"], row["bot_reason"]) == (True, "provider_flag")
    assert row["properties"]["client_bot"] == "apple"


def test_replayed_token_is_403_and_nothing_more_stored(client: AppClient, store: Store) -> None:
    body = mailgun_body(EVENTS["clicked"], token="one-time-token-0123456789")
    assert post(client, body).status_code == 200
    assert_error(post(client, body), 403, "forbidden", "Mailgun token was already used")
    again = mailgun_body(EVENTS["opened"], token="one-time-token-0123456789")
    assert_error(post(client, again), 403, "forbidden", "Mailgun token was already used")
    assert [r["id"] for r in stored(store)] == ["mailgun:e-click"]


def test_replay_is_refused_after_a_restart(db_path: Path) -> None:
    body = mailgun_body(EVENTS["clicked"], token="survives-restarts-0123456789")
    with Store(db_path) as first:
        assert (
            post(
                client_for(first, mailgun=MailgunSettings(signing_key=MAILGUN_KEY)), body
            ).status_code
            == 200
        )
    with Store(db_path) as second:
        response = post(client_for(second, mailgun=MailgunSettings(signing_key=MAILGUN_KEY)), body)
        assert_error(response, 403, "forbidden", "already used")


def test_stale_timestamp_is_403_with_its_age(client: AppClient, store: Store) -> None:
    body = mailgun_body(EVENTS["clicked"], timestamp=int(time.time()) - 3600)
    error = assert_error(post(client, body), 403, "forbidden", "s old (limit 300 s)")
    # The age is measured when the request arrives: 3600 s, plus any delay of a loaded machine.
    age = re.fullmatch(r"Mailgun timestamp is (\d+) s old \(limit 300 s\)", error["message"])
    assert age is not None and 3600 <= int(age.group(1)) <= 3660, error["message"]
    assert stored(store) == []


def test_future_timestamp_is_403(client: AppClient, store: Store) -> None:
    body = mailgun_body(EVENTS["clicked"], timestamp=int(time.time()) + 3600)
    assert_error(post(client, body), 403, "forbidden", "in the future")


def test_tolerance_comes_from_settings(store: Store) -> None:
    client = client_for(
        store, mailgun=MailgunSettings(signing_key=MAILGUN_KEY, max_age_seconds=7200)
    )
    body = mailgun_body(EVENTS["clicked"], timestamp=int(time.time()) - 3600)
    assert post(client, body).status_code == 200


def test_bad_signature_is_401_and_nothing_stored(client: AppClient, store: Store) -> None:
    body = mailgun_body(EVENTS["clicked"], key="not-the-signing-key")
    assert_error(post(client, body), 401, "unauthorized", "Mailgun signature does not match")
    assert stored(store) == []


def test_missing_signature_is_401(client: AppClient) -> None:
    assert_error(post(client, b'{"event-data": {}}'), 401, "unauthorized", "signature is missing")


def test_retry_with_a_new_token_counts_once(client: AppClient, store: Store) -> None:
    assert (
        post(client, mailgun_body(EVENTS["clicked"], token="first-delivery-token-000")).json()[
            "accepted"
        ]
        == 1
    )
    retry = post(client, mailgun_body(EVENTS["clicked"], token="second-delivery-token-00")).json()
    assert (retry["accepted"], retry["duplicates"]) == (0, 1)


def test_unknown_event_is_skipped(client: AppClient, store: Store) -> None:
    body = mailgun_body(event("stored", "e-stored"))
    assert post(client, body).json() == {"accepted": 0, "duplicates": 0, "skipped": {"stored": 1}}


def test_malformed_json_is_422(client: AppClient) -> None:
    assert_error(
        post(client, b'{"signature": {'), 422, "invalid_input", "Mailgun body is not valid JSON"
    )
