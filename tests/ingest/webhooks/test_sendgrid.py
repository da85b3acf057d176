"""SendGrid signature verification against SendGrid's own published test vectors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from headway.errors import Forbidden, Unauthorized
from headway.ingest.webhooks import sendgrid
from headway.ingest.webhooks.settings import SendGridSettings

# From sendgrid/sendgrid-python test/unit/test_eventwebhook.py (the SDK's unit test vector).
PUBLIC_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe6"
    "2gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
)
SIGNATURE = (
    "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15T"
    "luLtEZtM="
)
TIMESTAMP = "1600112502"
PAYLOAD = (
    json.dumps(
        [
            {
                "email": "hello@world.com",
                "event": "dropped",
                "reason": "Bounced Address",
                "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
                "sg_message_id": (
                    "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0"
                ),
                "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
                "timestamp": 1600112492,
            }
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    + "\r\n"
).encode()
OTHER_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo"
    "7aNDthvj+y7GjUuFDb/R1NGe1OPzpA=="
)
NOW = datetime(2020, 9, 14, 19, 41, 50, tzinfo=UTC)


def headers(signature: str = SIGNATURE, timestamp: str = TIMESTAMP) -> dict[str, str]:
    return {sendgrid.SIGNATURE_HEADER: signature, sendgrid.TIMESTAMP_HEADER: timestamp}


def test_published_vector_verifies() -> None:
    sendgrid.verify(SendGridSettings(public_key=PUBLIC_KEY), headers(), PAYLOAD, "", NOW)


def test_published_vector_maps_the_dropped_event() -> None:
    batch = sendgrid.parse(PAYLOAD, "application/json")
    [record] = batch.activities
    assert record["id"] == "sendgrid:ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA"
    assert record["type"] == "email_bounce"
    assert record["properties"]["bounce_type"] == "soft"
    assert record["ts"] == "2020-09-14T19:41:32.000000Z"


@pytest.mark.parametrize(
    ("key", "body", "hdrs"),
    [
        (OTHER_KEY, PAYLOAD, headers()),
        (PUBLIC_KEY, b"payload", headers()),
        (PUBLIC_KEY, PAYLOAD, headers(timestamp="timestamp")),
        (
            PUBLIC_KEY,
            PAYLOAD,
            headers(
                signature="MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0="
            ),
        ),
        (PUBLIC_KEY, PAYLOAD, headers(signature="not base64 !")),
    ],
    ids=["other key", "other payload", "other timestamp", "other signature", "garbage signature"],
)
def test_published_negative_vectors_are_refused(
    key: str, body: bytes, hdrs: dict[str, str]
) -> None:
    with pytest.raises(Unauthorized, match="SendGrid signature does not match"):
        sendgrid.verify(SendGridSettings(public_key=key), hdrs, body, "", NOW)


def test_missing_headers_are_refused() -> None:
    with pytest.raises(Unauthorized, match="headers are missing"):
        sendgrid.verify(SendGridSettings(public_key=PUBLIC_KEY), {}, PAYLOAD, "", NOW)


def test_age_limit_is_300_s_by_default() -> None:
    settings = SendGridSettings(public_key=PUBLIC_KEY)
    sendgrid.verify(settings, headers(), PAYLOAD, "", NOW)
    later = datetime(2020, 9, 14, 20, 41, 42, tzinfo=UTC)
    with pytest.raises(Forbidden, match=r"SendGrid timestamp is 3600 s old \(limit 300 s\)"):
        sendgrid.verify(settings, headers(), PAYLOAD, "", later)


def test_settings_refuse_a_key_that_is_not_ecdsa() -> None:
    with pytest.raises(ValueError, match="base64 DER public key"):
        SendGridSettings(public_key="not-a-key")
