"""Helpers of the webhook suites: an in-process app client and real signing for each provider.

SendGrid requests are signed with an ECDSA P-256 key made here, Mailgun bodies with an HMAC
key, SNS messages (Amazon SES) with an RSA key whose self-signed certificate a ``FakeSns``
fetcher serves. Timestamps are "now" unless a test asks for another age.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from fastapi import FastAPI

from headway.ingest.webhooks import ses
from headway.ingest.webhooks.settings import WebhookSettings
from headway.settings import Settings
from headway.store import Store
from headway.web.app import create_app

MAILGUN_KEY = "key-for-tests-0123456789"
SENDGRID_PRIVATE = ec.generate_private_key(ec.SECP256R1())
SENDGRID_PUBLIC = base64.b64encode(
    SENDGRID_PRIVATE.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
SNS_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SNS_TOPIC = "arn:aws:sns:us-east-1:123456789012:ses-events"
_urls = itertools.count()


class AppClient:
    """A synchronous in-process ASGI client (httpx over ``ASGITransport``)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request to the app and return its response."""

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return await c.request(method, url, **kwargs)

        return asyncio.run(send())

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """POST to the app."""
        return self.request("POST", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> httpx.Response:
        """HEAD to the app."""
        return self.request("HEAD", url, **kwargs)


def client_for(store: Store, **providers: Any) -> AppClient:
    """An in-process client of the real Headway app with these webhook settings."""
    limit = providers.pop("max_body_bytes", 5_000_000)
    webhooks = WebhookSettings(max_body_bytes=limit, **providers)
    return AppClient(create_app(store, Settings(webhooks=webhooks)))


def stored(store: Store) -> list[dict[str, Any]]:
    """Every stored activity, ordered by id, with properties decoded."""
    rows = store.execute(
        """SELECT a.id, c.id AS contact, t.name AS type, a.ts, a.properties, a.bot,
                  a.bot_reason, a.source
           FROM activities a
           JOIN contacts c ON c.key = a.contact_key
           JOIN activity_types t ON t.code = a.type_code
           ORDER BY a.id"""
    ).dicts()
    for row in rows:
        row["properties"] = json.loads(row["properties"]) if row["properties"] else {}
    return rows


def assert_error(response: httpx.Response, status: int, code: str, *words: str) -> dict[str, Any]:
    """The response is the JSON error shape with this status, code and message words."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "details"}
    for word in words:
        assert word in error["message"], error["message"]
    return error


def mailgun_body(event: dict[str, Any], *, key: str = MAILGUN_KEY, **signature: Any) -> bytes:
    """A signed Mailgun webhook body (timestamp now unless given)."""
    stamp = str(signature.get("timestamp", int(time.time())))
    token = signature.get("token", "tok-" + hashlib.sha256(orjson.dumps(event)).hexdigest()[:40])
    digest = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    return orjson.dumps(
        {
            "signature": {"timestamp": stamp, "token": token, "signature": digest},
            "event-data": event,
        }
    )


def sendgrid_headers(
    body: bytes, key: ec.EllipticCurvePrivateKey = SENDGRID_PRIVATE, *, age: float = 0
) -> dict[str, str]:
    """Headers of a SendGrid request signed ``age`` seconds ago (negative: in the future)."""
    stamp = str(int(time.time() - age))
    signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "content-type": "application/json",
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
    }


def certificate_pem(key: rsa.RSAPrivateKey, *, days: int = 30) -> bytes:
    """A self-signed certificate for ``key`` (valid around now unless ``days`` < 0)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    start, end = (
        (now - timedelta(days=1), now + timedelta(days=days))
        if days > 0
        else (now + timedelta(days=days - 1), now + timedelta(days=days))
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


class FakeSns:
    """A pluggable fetcher serving one certificate and recording every URL fetched."""

    def __init__(self, pem: bytes) -> None:
        # A fresh URL per test keeps the module's certificate cache from leaking between tests.
        self.cert_url = (
            f"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-{next(_urls)}.pem"
        )
        self.pem = pem
        self.fetched: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.fetched.append(url)
        return self.pem if url == self.cert_url else b"<ConfirmSubscriptionResponse/>"


def sns_time(age: float = 0) -> str:
    """An SNS ``Timestamp`` ``age`` seconds ago (negative: in the future), as SNS writes it."""
    moment = datetime.now(UTC) - timedelta(seconds=age)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sns_sign(
    message: dict[str, Any], *, version: str = "2", key: rsa.RSAPrivateKey = SNS_KEY
) -> dict[str, Any]:
    """``message`` with SignatureVersion and Signature set as SNS does."""
    message = {**message, "SignatureVersion": version}
    digest = hashes.SHA256() if version == "2" else hashes.SHA1()
    signature = key.sign(ses.canonical_string(message), padding.PKCS1v15(), digest)
    return {**message, "Signature": base64.b64encode(signature).decode()}


def sns_subscription(sns: FakeSns, topic: str = SNS_TOPIC, *, age: float = 0) -> dict[str, Any]:
    """An unsigned SNS SubscriptionConfirmation for ``topic`` (AWS's documented example)."""
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3"
        "beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb"
        "82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
        "TopicArn": topic,
        "Message": f"You have chosen to subscribe to the topic {topic}.",
        "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
        f"&TopicArn={topic}&Token=2336",
        "Timestamp": sns_time(age),
        "SigningCertURL": sns.cert_url,
    }
