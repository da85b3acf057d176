"""Brevo webhooks through ``POST /webhooks/brevo``: token check, documented events, proxy opens."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from test_webhooks import AppClient, assert_error, client_for, stored

from headway.ingest.webhooks.settings import BrevoSettings
from headway.store import Store

TOKEN = "brevo-webhook-token-0123"
JSON = {"content-type": "application/json"}
CUSTOM = '{"headway_email": "welcome-1", "headway_campaign": "onboarding"}'

# Documented transactional events (Brevo's docs; live captures as in Anymail's Brevo suite).
SENT = {
    "event": "request",
    "email": "Recipient@Example.com",
    "id": 9999999,
    "message-id": "<201803062010.27287306012@smtp-relay.mailin.fr>",
    "subject": "Test subject",
    "date": "2018-03-06 11:10:23",
    "ts": 1520331023,
    "ts_event": 1520331023,
    "ts_epoch": 1520363423000,
    "X-Mailin-custom": CUSTOM,
    "tag": '["tag1","tag2"]',
    "tags": ["tag1", "tag2"],
    "template_id": 12,
    "sending_ip": "333.33.33.33",
}


def brief(event: str, **extra: Any) -> dict[str, Any]:
    return {
        "event": event,
        "email": "recipient@example.com",
        "ts_epoch": 1520363423000,
        "message-id": "<201803011158.9876543210@smtp-relay.mailin.fr>",
        "X-Mailin-custom": CUSTOM,
        **extra,
    }


@pytest.fixture
def client(store: Store) -> AppClient:
    return client_for(store, brevo=BrevoSettings(token=TOKEN))


def post(client: AppClient, body: Any, token: str = TOKEN) -> Any:
    headers = {**JSON, "Authorization": f"Bearer {token}"}
    return client.post("/webhooks/brevo", content=orjson.dumps(body), headers=headers)


def test_documented_sent_event(client: AppClient, store: Store) -> None:
    assert post(client, SENT).json() == {"accepted": 1, "duplicates": 0, "skipped": {}}
    [row] = stored(store)
    assert (row["contact"], row["type"], row["source"]) == (
        "recipient@example.com",
        "email_sent",
        "brevo",
    )
    assert str(row["ts"]) == "2018-03-06 19:10:23"
    props = row["properties"]
    assert (props["email"], props["campaign"], props["tags"]) == (
        "welcome-1",
        "onboarding",
        ["tag1", "tag2"],
    )
    assert row["id"].startswith("brevo:h")


@pytest.mark.parametrize(
    ("event", "kind", "extra"),
    [
        (brief("delivered"), "email_delivered", {}),
        (
            brief("hard_bounce", reason=" RecipientError: 550 5.5.0"),
            "email_bounce",
            {"bounce_type": "hard"},
        ),
        (brief("soft_bounce", reason="Unable to find MX"), "email_bounce", {"bounce_type": "soft"}),
        (brief("opened", ip="1.2.3.4"), "email_open", {"ip": "1.2.3.4"}),
        (brief("unique_opened"), "email_open", {}),
        (
            brief("click", link="https://example.com/pricing"),
            "email_click",
            {"url": "https://example.com/pricing"},
        ),
        (brief("unsubscribed"), "email_unsubscribe", {}),
        (brief("spam"), "email_spam_report", {}),
        (brief("complaint"), "email_spam_report", {}),
    ],
)
def test_event_types_map(
    client: AppClient, store: Store, event: dict[str, Any], kind: str, extra: dict[str, Any]
) -> None:
    assert post(client, event).json()["accepted"] == 1
    [row] = stored(store)
    assert (row["type"], row["bot"]) == (kind, False)
    assert extra.items() <= row["properties"].items()


@pytest.mark.parametrize("name", ["proxy_open", "unique_proxy_open"])
def test_proxy_opens_are_labelled_bot(client: AppClient, store: Store, name: str) -> None:
    post(client, brief(name))
    [row] = stored(store)
    assert (row["type"], row["bot"], row["bot_reason"]) == ("email_open", True, "provider_flag")
    assert row["properties"]["proxy_open"] is True


def test_batched_marketing_events(client: AppClient, store: Store) -> None:
    events = [
        {
            "id": 1,
            "camp_id": 12,
            "email": "a@example.com",
            "campaign name": "Spring",
            "event": "hardBounce",
            "date_event": "2020-10-09 00:00:00",
            "ts_event": 1604933654,
        },
        {
            "id": 1,
            "camp_id": 12,
            "email": "b@example.com",
            "event": "click",
            "URL": "https://example.com/x",
            "ts_event": 1604933655,
        },
        {
            "id": 1,
            "camp_id": 12,
            "email": "c@example.com",
            "event": "list_addition",
            "ts_event": 1604933656,
        },
    ]
    assert post(client, events).json() == {
        "accepted": 2,
        "duplicates": 0,
        "skipped": {"list_addition": 1},
    }
    rows = {r["contact"]: r for r in stored(store)}
    assert rows["a@example.com"]["properties"]["bounce_type"] == "hard"
    assert rows["b@example.com"]["properties"]["url"] == "https://example.com/x"
    assert rows["b@example.com"]["properties"]["brevo_campaign_id"] == 12
    assert str(rows["a@example.com"]["ts"]) == "2020-11-09 14:54:14"


def test_same_event_twice_counts_once(client: AppClient, store: Store) -> None:
    post(client, brief("opened"))
    assert post(client, brief("opened")).json() == {"accepted": 0, "duplicates": 1, "skipped": {}}


def test_wrong_token_is_401_and_nothing_stored(client: AppClient, store: Store) -> None:
    assert_error(post(client, SENT, token="guess"), 401, "unauthorized", "Brevo token", "bearer")
    response = client.post("/webhooks/brevo", content=orjson.dumps(SENT), headers=JSON)
    assert_error(response, 401, "unauthorized")
    assert stored(store) == []


def test_token_in_query_parameter(store: Store) -> None:
    client = client_for(store, brevo=BrevoSettings(token=TOKEN, auth="query", query_param="key"))
    body = orjson.dumps(brief("delivered"))
    assert (
        client.post(f"/webhooks/brevo?key={TOKEN}", content=body, headers=JSON).json()["accepted"]
        == 1
    )
    bad = client.post("/webhooks/brevo?key=nope", content=body, headers=JSON)
    assert_error(bad, 401, "unauthorized", "'key' query parameter")


def test_token_in_custom_header(store: Store) -> None:
    client = client_for(store, brevo=BrevoSettings(token=TOKEN, auth="header"))
    body = orjson.dumps(brief("delivered"))
    ok = client.post(
        "/webhooks/brevo", content=body, headers={**JSON, "X-Headway-Webhook-Token": TOKEN}
    )
    assert ok.json()["accepted"] == 1


def test_malformed_json_and_wrong_shape_are_422(client: AppClient) -> None:
    headers = {**JSON, "Authorization": f"Bearer {TOKEN}"}
    broken = client.post("/webhooks/brevo", content=b'{"event": "opened"', headers=headers)
    assert_error(broken, 422, "invalid_input", "Brevo body is not valid JSON")
    assert_error(post(client, "just text"), 422, "invalid_input", "JSON object or array")
    assert_error(post(client, [brief("opened"), 7]), 422, "invalid_input", "not a JSON object")
