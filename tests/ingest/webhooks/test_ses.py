"""SNS message checks that need no keys: URL rules, canonical string, SES event mapping."""

from __future__ import annotations

import json

import orjson
import pytest

from headway.errors import InvalidInput
from headway.ingest.webhooks import ses


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
        "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
    ],
)
def test_sns_certificate_urls_are_accepted(url: str) -> None:
    assert ses.is_sns_url(url, pem=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-abc.pem",
        "https://sns.us-east-1.amazonaws.com@evil.com/SimpleNotificationService-abc.pem",
        "https://evil.com/sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://evil.com/?https://sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-abc.pem",
        "https://user@sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sqs.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://xsns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.txt",
        "https://SNS.US-EAST-1.AMAZONAWS.COM.evil.com/a.pem",
        None,
        42,
    ],
)
def test_lookalike_certificate_urls_are_refused(url: object) -> None:
    assert not ses.is_sns_url(url, pem=True)


def test_canonical_string_of_a_notification_skips_absent_subject() -> None:
    message = {
        "Type": "Notification",
        "MessageId": "m-1",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-events",
        "Message": "hello\nworld",
        "Timestamp": "2018-03-26T17:58:59.675Z",
        "SignatureVersion": "1",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }
    assert ses.canonical_string(message) == (
        b"Message\nhello\nworld\nMessageId\nm-1\nTimestamp\n2018-03-26T17:58:59.675Z\n"
        b"TopicArn\narn:aws:sns:us-east-1:123456789012:ses-events\nType\nNotification\n"
    )


def test_canonical_string_of_a_subscription_confirmation() -> None:
    message = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "m-2",
        "Token": "tok",
        "TopicArn": "arn:t",
        "Message": "confirm",
        "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
        "Timestamp": "2012-04-26T20:45:04.751Z",
    }
    assert ses.canonical_string(message) == (
        b"Message\nconfirm\nMessageId\nm-2\nSubscribeURL\n"
        b"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription\n"
        b"Timestamp\n2012-04-26T20:45:04.751Z\nToken\ntok\nTopicArn\narn:t\nType\nSubscriptionConfirmation\n"
    )


def notification(event: object) -> bytes:
    return orjson.dumps(
        {
            "Type": "Notification",
            "MessageId": "19ba9823-d7f2-53c1-860e-cb10e0d13dfc",
            "Message": json.dumps(event) + "\n",
            "Timestamp": "2018-03-26T17:58:59.675Z",
        }
    )


def test_bounce_maps_one_activity_per_bounced_recipient() -> None:
    event = {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Transient",
            "bounceSubType": "MailboxFull",
            "bouncedRecipients": [
                {"emailAddress": "jane@example.com"},
                {"emailAddress": "richard@example.com"},
            ],
        },
        "mail": {
            "messageId": "m",
            "destination": ["jane@example.com", "mary@example.com", "richard@example.com"],
        },
    }
    batch = ses.parse(notification(event), "text/plain")
    assert [(a["contact"], a["properties"]["bounce_type"]) for a in batch.activities] == [
        ("jane@example.com", "soft"),
        ("richard@example.com", "soft"),
    ]
    # No event timestamp in the bounce: the SNS Timestamp is used.
    assert {a["ts"] for a in batch.activities} == {"2018-03-26T17:58:59.675000Z"}
    assert [a["id"] for a in batch.activities] == [
        "ses:19ba9823-d7f2-53c1-860e-cb10e0d13dfc:jane@example.com",
        "ses:19ba9823-d7f2-53c1-860e-cb10e0d13dfc:richard@example.com",
    ]


def test_message_that_is_not_an_ses_event_object_is_invalid() -> None:
    with pytest.raises(InvalidInput, match="SNS Message must be an SES event JSON object"):
        ses.parse(notification("plain text"), "text/plain")


def test_message_that_is_not_json_is_invalid() -> None:
    body = orjson.dumps({"Type": "Notification", "MessageId": "m", "Message": "{oops"})
    with pytest.raises(InvalidInput, match=r"SNS Message \(the SES event\) is not valid JSON"):
        ses.parse(body, "text/plain")
