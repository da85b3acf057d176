"""Postmark webhooks through ``POST /webhooks/postmark``: shared secret, documented records."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from test_webhooks import AppClient, assert_error, client_for, stored

from headway.ingest.webhooks.settings import PostmarkSettings
from headway.store import Store

SECRET = "postmark-shared-secret"
JSON = {"content-type": "application/json"}

# Documented Postmark webhook records (as in Anymail's Postmark suite), with Headway metadata.
BOUNCE = {
    "RecordType": "Bounce",
    "ID": 901542550,
    "Type": "HardBounce",
    "TypeCode": 1,
    "ServerID": 23,
    "Name": "Hard bounce",
    "MessageID": "2706ee8a-737c-4285-b032-ccd317af53ed",
    "Description": (
        "The server was unable to deliver your message (ex: unknown user, mailbox not found)."
    ),
    "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    "Email": "Bounce@Example.com",
    "From": "sender@example.com",
    "BouncedAt": "2016-04-27T16:28:50.3963933-04:00",
    "DumpAvailable": True,
    "Inactive": True,
    "CanActivate": True,
    "Subject": "Postmark event test",
    "Content": "...",
    "Metadata": {"headway_email": "welcome-1", "headway_campaign": "onboarding"},
}
DELIVERY = {
    "RecordType": "Delivery",
    "ServerId": 23,
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "Recipient": "recipient@example.com",
    "Tag": "welcome-email",
    "Metadata": {"cohort": "2014-08-A", "userid": "12345", "headway_email": "welcome-1"},
    "DeliveredAt": "2014-08-01T13:28:10.2735393-04:00",
    "Details": "Test delivery webhook details",
}
OPEN = {
    "RecordType": "Open",
    "FirstOpen": True,
    "Client": {"Name": "Gmail", "Company": "Google", "Family": "Gmail"},
    "OS": {"Name": "unknown", "Company": "unknown", "Family": "unknown"},
    "Platform": "Unknown",
    "UserAgent": "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0",
    "ReadSeconds": 0,
    "Geo": {},
    "MessageID": "f4830d10-9c35-4f0c-bca3-3d9b459821f8",
    "ReceivedAt": "2016-04-27T16:21:41.2493688-04:00",
    "Recipient": "recipient@example.com",
}
CLICK = {
    "RecordType": "Click",
    "ClickLocation": "HTML",
    "Client": {"Name": "Chrome 35.0.1916.153", "Company": "Google", "Family": "Chrome"},
    "Platform": "Desktop",
    "UserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7_5) etc.",
    "OriginalLink": "https://example.com/click/me",
    "Geo": {"CountryISOCode": "RS", "Country": "Serbia", "City": "Novi Sad", "IP": "8.8.8.8"},
    "MessageID": "f4830d10-9c35-4f0c-bca3-3d9b459821f8",
    "ReceivedAt": "2017-10-25T15:21:11.9065619Z",
    "Tag": "welcome-email",
    "Recipient": "recipient@example.com",
}
SPAM = {
    "RecordType": "SpamComplaint",
    "ID": 901542550,
    "Type": "SpamComplaint",
    "TypeCode": 512,
    "Name": "Spam complaint",
    "Tag": "Test",
    "MessageID": "2706ee8a-737c-4285-b032-ccd317af53ed",
    "ServerID": 1234,
    "Description": "",
    "Details": "Test spam complaint details",
    "Email": "spam@example.com",
    "From": "sender@example.com",
    "BouncedAt": "2016-04-27T16:28:50.3963933-04:00",
}
UNSUBSCRIBE = {
    "RecordType": "SubscriptionChange",
    "MessageID": "a4909a96-73d7-4c49-b148-a54522d3f7ac",
    "ServerID": 23,
    "MessageStream": "outbound",
    "ChangedAt": "2022-06-05T17:17:32Z",
    "Recipient": "john@example.com",
    "Origin": "Recipient",
    "SuppressSending": True,
    "SuppressionReason": "ManualSuppression",
    "Tag": "welcome-email",
}


@pytest.fixture
def client(store: Store) -> AppClient:
    return client_for(store, postmark=PostmarkSettings(secret=SECRET))


def post(client: AppClient, record: Any, auth: tuple[str, str] = ("headway", SECRET)) -> Any:
    return client.post("/webhooks/postmark", content=orjson.dumps(record), headers=JSON, auth=auth)


def test_documented_records_map_to_activities(client: AppClient, store: Store) -> None:
    for record in (BOUNCE, DELIVERY, OPEN, CLICK, SPAM, UNSUBSCRIBE):
        assert post(client, record).json()["accepted"] == 1
    rows = {r["type"]: r for r in stored(store)}
    assert set(rows) == {
        "email_bounce",
        "email_delivered",
        "email_open",
        "email_click",
        "email_spam_report",
        "email_unsubscribe",
    }
    bounce = rows["email_bounce"]
    assert (bounce["id"], bounce["contact"]) == ("postmark:Bounce:901542550", "bounce@example.com")
    assert str(bounce["ts"]) == "2016-04-27 20:28:50.396393"
    assert bounce["properties"]["bounce_type"] == "hard"
    assert (bounce["properties"]["email"], bounce["properties"]["campaign"]) == (
        "welcome-1",
        "onboarding",
    )
    assert rows["email_spam_report"]["id"] == "postmark:SpamComplaint:901542550"
    click = rows["email_click"]
    assert (click["properties"]["url"], click["properties"]["ip"]) == (
        "https://example.com/click/me",
        "8.8.8.8",
    )
    assert click["properties"]["tags"] == ["welcome-email"]
    assert str(click["ts"]) == "2017-10-25 15:21:11.906561"
    assert rows["email_open"]["properties"]["user_agent"].startswith("Mozilla/5.0 (Windows")
    assert rows["email_delivered"]["properties"]["email"] == "welcome-1"
    assert rows["email_unsubscribe"]["contact"] == "john@example.com"


def test_soft_bounce_and_skipped_record_types(client: AppClient, store: Store) -> None:
    soft = {**BOUNCE, "ID": 2, "Type": "SoftBounce"}
    assert post(client, soft).json()["accepted"] == 1
    assert stored(store)[0]["properties"]["bounce_type"] == "soft"
    auto = {**BOUNCE, "ID": 3, "Type": "AutoResponder"}
    assert post(client, auto).json() == {
        "accepted": 0,
        "duplicates": 0,
        "skipped": {"Bounce:AutoResponder": 1},
    }
    resubscribe = {**UNSUBSCRIBE, "SuppressSending": False, "SuppressionReason": None}
    assert post(client, resubscribe).json()["skipped"] == {"SubscriptionChange": 1}
    assert post(client, {"RecordType": "Inbound"}).json()["skipped"] == {"Inbound": 1}


def test_records_without_ids_dedupe_by_content(client: AppClient, store: Store) -> None:
    assert post(client, OPEN).json()["accepted"] == 1
    assert post(client, OPEN).json() == {"accepted": 0, "duplicates": 1, "skipped": {}}
    assert len(stored(store)) == 1


@pytest.mark.parametrize(
    "auth", [("headway", "wrong"), ("someone", SECRET), ("headway", SECRET + "x")], ids=str
)
def test_wrong_basic_auth_is_401(client: AppClient, store: Store, auth: tuple[str, str]) -> None:
    assert_error(post(client, BOUNCE, auth=auth), 401, "unauthorized", "Postmark basic auth")
    assert stored(store) == []


def test_missing_auth_is_401(client: AppClient) -> None:
    response = client.post("/webhooks/postmark", content=orjson.dumps(BOUNCE), headers=JSON)
    assert_error(response, 401, "unauthorized", "Postmark")


def test_secret_in_a_custom_header(store: Store) -> None:
    client = client_for(
        store, postmark=PostmarkSettings(secret=SECRET, auth="header", header_name="X-Hook-Key")
    )
    ok = client.post(
        "/webhooks/postmark", content=orjson.dumps(OPEN), headers={**JSON, "X-Hook-Key": SECRET}
    )
    assert ok.json()["accepted"] == 1
    bad = client.post(
        "/webhooks/postmark", content=orjson.dumps(CLICK), headers={**JSON, "X-Hook-Key": "nope"}
    )
    assert_error(bad, 401, "unauthorized", "X-Hook-Key")
    assert len(stored(store)) == 1


def test_malformed_json_is_422(client: AppClient) -> None:
    response = client.post(
        "/webhooks/postmark",
        content=b'{"RecordType": "Open",,}',
        headers=JSON,
        auth=("headway", SECRET),
    )
    assert_error(response, 422, "invalid_input", "Postmark body is not valid JSON", "line 1")
