"""Amazon SES via SNS through ``POST /webhooks/ses`` with an RSA key and certificate the tests make."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from headway.ingest.webhooks.settings import SesSettings
from headway.store import Store
from tests.web.webhook_support import (
    SNS_KEY,
    SNS_TOPIC,
    AppClient,
    FakeSns,
    assert_error,
    certificate_pem,
    client_for,
    sns_sign,
    sns_subscription,
    sns_time,
    stored,
)

KEY = SNS_KEY
TOPIC = SNS_TOPIC
TEXT = {"content-type": "text/plain; charset=UTF-8"}
sign = sns_sign


def notification(
    sns: FakeSns, event: dict[str, Any], message_id: str = "19ba9823-d7f2-53c1-860e-cb10e0d13dfc"
) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": TOPIC,
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(event) + "\n",
        "Timestamp": sns_time(),
        "SigningCertURL": sns.cert_url,
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn...",
    }


# The documented SES bounce notification (AWS "notification examples", as in Anymail's tests).
BOUNCE = {
    "notificationType": "Bounce",
    "bounce": {
        "bounceType": "Permanent",
        "reportingMTA": "dns; email.example.com",
        "bouncedRecipients": [
            {
                "emailAddress": "jane@example.com",
                "status": "5.1.1",
                "action": "failed",
                "diagnosticCode": "smtp; 550 5.1.1 <jane@example.com>... User unknown",
            }
        ],
        "bounceSubType": "General",
        "timestamp": "2016-01-27T14:59:44.101Z",
        "feedbackId": "00000138111222aa-44455566-cccc-cccc-cccc-ddddaaaa068a-000000",
        "remoteMtaIp": "127.0.2.0",
    },
    "mail": {
        "timestamp": "2016-01-27T14:59:38.237Z",
        "source": "john@example.com",
        "messageId": "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",
        "destination": ["jane@example.com", "mary@example.com", "richard@example.com"],
        "headers": [
            {"name": "From", "value": '"John Doe" <john@example.com>'},
            {"name": "X-Headway-Email", "value": "welcome-1"},
            {"name": "X-Headway-Campaign", "value": "onboarding"},
        ],
    },
}


def published(kind: str, detail: dict[str, Any]) -> dict[str, Any]:
    """An SES event-publishing record (eventType) with message tags."""
    return {
        "eventType": kind,
        "mail": {
            "timestamp": "2017-08-09T21:59:49.927Z",
            "messageId": "7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
            "destination": ["Recipient@Example.com"],
            "tags": {
                "ses:configuration-set": ["ConfigSet"],
                "headway_email": ["welcome-2"],
                "headway_campaign": ["spring"],
            },
        },
        kind.lower(): detail,
    }


OPEN = published(
    "Open",
    {
        "ipAddress": "192.0.2.1",
        "timestamp": "2017-08-09T22:00:19.652Z",
        "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_3 like Mac OS X)",
    },
)
CLICK = published(
    "Click",
    {
        "ipAddress": "192.0.2.1",
        "timestamp": "2017-08-09T23:51:25.570Z",
        "userAgent": "Mozilla/5.0",
        "link": "http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html",
        "linkTags": {"samplekey0": ["samplevalue0"]},
    },
)


@pytest.fixture
def sns() -> Iterator[FakeSns]:
    yield FakeSns(certificate_pem(KEY))


@pytest.fixture
def client(store: Store, sns: FakeSns) -> AppClient:
    return client_for(store, ses=SesSettings(fetcher=sns, allowed_topic_arns=[TOPIC]))


def post(client: AppClient, message: dict[str, Any]) -> Any:
    return client.post("/webhooks/ses", content=orjson.dumps(message), headers=TEXT)


@pytest.mark.parametrize("version", ["1", "2"])
def test_documented_bounce_is_verified_and_mapped(
    client: AppClient, store: Store, sns: FakeSns, version: str
) -> None:
    response = post(client, sign(notification(sns, BOUNCE), version=version))
    assert response.json() == {"accepted": 1, "duplicates": 0, "skipped": {}}
    [row] = stored(store)
    assert row["id"] == "ses:19ba9823-d7f2-53c1-860e-cb10e0d13dfc:jane@example.com"
    assert (row["contact"], row["type"], row["source"]) == (
        "jane@example.com",
        "email_bounce",
        "ses",
    )
    assert str(row["ts"]) == "2016-01-27 14:59:44.101000"
    props = row["properties"]
    assert (props["bounce_type"], props["email"], props["campaign"]) == (
        "hard",
        "welcome-1",
        "onboarding",
    )


def test_published_open_and_click(client: AppClient, store: Store, sns: FakeSns) -> None:
    post(client, sign(notification(sns, OPEN, "m-open")))
    post(client, sign(notification(sns, CLICK, "m-click")))
    rows = {r["type"]: r for r in stored(store)}
    assert set(rows) == {"email_open", "email_click"}
    click = rows["email_click"]
    assert click["contact"] == "recipient@example.com"
    assert click["properties"]["url"].endswith("send-email-smtp.html")
    assert (click["properties"]["email"], click["properties"]["campaign"]) == (
        "welcome-2",
        "spring",
    )
    assert rows["email_open"]["properties"]["ip"] == "192.0.2.1"
    assert str(rows["email_open"]["ts"]) == "2017-08-09 22:00:19.652000"


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (
            {
                "notificationType": "Delivery",
                "mail": {"destination": ["a@x.com", "b@x.com"]},
                "delivery": {"timestamp": "2016-01-27T14:59:38.237Z", "recipients": ["a@x.com"]},
            },
            "email_delivered",
        ),
        (
            {
                "notificationType": "Complaint",
                "mail": {"destination": ["a@x.com"]},
                "complaint": {
                    "complainedRecipients": [{"emailAddress": "a@x.com"}],
                    "complaintFeedbackType": "abuse",
                    "timestamp": "2016-01-27T14:59:38.237Z",
                },
            },
            "email_spam_report",
        ),
        (
            {
                "eventType": "Send",
                "mail": {"timestamp": "2016-10-14T05:02:16.645Z", "destination": ["a@x.com"]},
                "send": {},
            },
            "email_sent",
        ),
        (
            {
                "eventType": "Subscription",
                "mail": {"destination": ["a@x.com"], "timestamp": "2022-01-12T01:00:14.340Z"},
                "subscription": {"newTopicPreferences": {"unsubscribeAll": True}},
            },
            "email_unsubscribe",
        ),
    ],
)
def test_other_event_types(
    client: AppClient, store: Store, sns: FakeSns, event: dict[str, Any], kind: str
) -> None:
    assert post(client, sign(notification(sns, event))).json()["accepted"] == 1
    assert [(r["contact"], r["type"]) for r in stored(store)] == [("a@x.com", kind)]


def test_unknown_ses_event_is_skipped(client: AppClient, sns: FakeSns) -> None:
    event = {"eventType": "Rendering Failure", "mail": {"destination": ["a@x.com"]}}
    assert post(client, sign(notification(sns, event))).json()["skipped"] == {
        "Rendering Failure": 1
    }


def test_same_notification_twice_counts_once(client: AppClient, store: Store, sns: FakeSns) -> None:
    message = sign(notification(sns, BOUNCE))
    post(client, message)
    again = post(client, message).json()
    assert (again["accepted"], again["duplicates"]) == (0, 1)
    assert len(stored(store)) == 1


def test_certificate_is_fetched_once_and_cached(client: AppClient, sns: FakeSns) -> None:
    post(client, sign(notification(sns, OPEN, "m-1")))
    post(client, sign(notification(sns, CLICK, "m-2")))
    assert sns.fetched == [sns.cert_url]


def test_tampered_message_is_401_and_nothing_stored(
    client: AppClient, store: Store, sns: FakeSns
) -> None:
    message = sign(notification(sns, BOUNCE))
    message["Message"] = message["Message"].replace("jane@", "eve@")
    assert_error(post(client, message), 401, "unauthorized", "SNS signature does not match")
    assert stored(store) == []


def test_signature_from_another_key_is_401(client: AppClient, sns: FakeSns) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert_error(
        post(client, sign(notification(sns, BOUNCE), key=other)),
        401,
        "unauthorized",
        "does not match",
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-1.pem",
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
        "https://evil.example/SimpleNotificationService-1.pem",
    ],
)
def test_foreign_certificate_url_is_refused_without_fetching(
    client: AppClient, store: Store, sns: FakeSns, url: str
) -> None:
    message = sign({**notification(sns, BOUNCE), "SigningCertURL": url})
    assert_error(
        post(client, message), 401, "unauthorized", "SigningCertURL", "sns.<region>.amazonaws.com"
    )
    assert sns.fetched == []
    assert stored(store) == []


def test_unknown_signature_version_is_401(client: AppClient, sns: FakeSns) -> None:
    message = {**sign(notification(sns, BOUNCE)), "SignatureVersion": "3"}
    assert_error(post(client, message), 401, "unauthorized", "SignatureVersion")


def test_expired_certificate_is_401(store: Store) -> None:
    sns = FakeSns(certificate_pem(KEY, days=-1))
    client = client_for(store, ses=SesSettings(fetcher=sns, allowed_topic_arns=[TOPIC]))
    assert_error(post(client, sign(notification(sns, BOUNCE))), 401, "unauthorized", "expired")


def test_topic_outside_the_allowed_list_is_403(
    client: AppClient, store: Store, sns: FakeSns
) -> None:
    message = sign(
        {**notification(sns, BOUNCE), "TopicArn": "arn:aws:sns:us-east-1:999999999999:other"}
    )
    assert_error(post(client, message), 403, "forbidden", "not in webhooks.ses.allowed_topic_arns")
    assert stored(store) == []


def test_unreachable_certificate_is_502(store: Store) -> None:
    def offline(url: str) -> bytes:
        raise OSError("network is unreachable")

    sns = FakeSns(b"")
    client = client_for(store, ses=SesSettings(fetcher=offline, allowed_topic_arns=[TOPIC]))
    error = assert_error(post(client, sign(notification(sns, BOUNCE))), 502, "upstream_unavailable")
    assert "network is unreachable" in error["message"]


def subscription(sns: FakeSns, subscribe_url: str) -> dict[str, Any]:
    return {**sns_subscription(sns), "SubscribeURL": subscribe_url}


def test_subscription_confirmation_is_verified_then_confirmed(
    client: AppClient, store: Store, sns: FakeSns
) -> None:
    url = f"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=2336"
    response = post(client, sign(subscription(sns, url), version="1"))
    assert response.json() == {
        "accepted": 0,
        "duplicates": 0,
        "skipped": {},
        "subscription": "confirmed",
    }
    assert sns.fetched == [sns.cert_url, url]
    assert stored(store) == []


def test_subscription_to_a_foreign_host_is_not_fetched(client: AppClient, sns: FakeSns) -> None:
    url = "https://sns.us-east-1.amazonaws.com.evil.com/?Action=ConfirmSubscription"
    assert_error(post(client, sign(subscription(sns, url))), 403, "forbidden", "SubscribeURL")
    assert sns.fetched == [sns.cert_url]


def test_unsigned_subscription_is_not_confirmed(client: AppClient, sns: FakeSns) -> None:
    url = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=x"
    message = {**sign(subscription(sns, url)), "Signature": base64.b64encode(b"forged").decode()}
    assert_error(post(client, message), 401, "unauthorized")
    assert url not in sns.fetched


def test_malformed_and_wrong_type_bodies(client: AppClient) -> None:
    assert_error(
        post_raw(client, b"{not json"), 422, "invalid_input", "SNS message is not valid JSON"
    )
    assert_error(post_raw(client, b'{"Type": "Weird"}'), 422, "invalid_input", "'Weird'")


def post_raw(client: AppClient, body: bytes) -> Any:
    return client.post("/webhooks/ses", content=body, headers=TEXT)
