"""Amazon SES events through an SNS HTTPS subscription.

SNS signs each message (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA) over a canonical
string of its fields; the signing certificate is fetched from ``SigningCertURL``, which must
be an https URL on an ``sns.<region>.amazonaws.com`` host, and cached. Only messages of the
configured topics (``allowed_topic_arns``, required) whose signed ``Timestamp`` is at most
``max_age_seconds`` old are taken. A ``SubscriptionConfirmation`` is verified, then confirmed
by fetching its ``SubscribeURL`` (same host rule, an allowed topic). A ``Notification``
carries the SES event JSON in ``Message``; Headway ids are ``ses:<SNS MessageId>:<recipient>``.
``headway_email`` / ``headway_campaign`` come from the SES message tags, else from the
``X-Headway-Email`` / ``X-Headway-Campaign`` headers.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from threading import Lock
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from headway.errors import Forbidden, InvalidInput, Unauthorized
from headway.ingest.webhooks.common import (
    ParsedBatch,
    UpstreamUnavailable,
    activity,
    check_signed_time,
    from_iso,
    load_json,
    obj,
)
from headway.ingest.webhooks.settings import Fetcher, SesSettings

NAME = "ses"
CONTENT_TYPES = ("text/plain", "application/json")
SNS_HOST = re.compile(r"sns\.[a-z]{2}(-[a-z]+)+-\d+\.amazonaws\.com(\.cn)?")
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
SIGNED_FIELDS["UnsubscribeConfirmation"] = SIGNED_FIELDS["SubscriptionConfirmation"]
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
CACHE_SIZE = 32

_certificates: OrderedDict[str, x509.Certificate] = OrderedDict()
_cache_lock = Lock()


def is_sns_url(url: Any, *, pem: bool) -> bool:
    """Whether ``url`` is https on an SNS host (no user info, no port); ``pem``: a .pem path."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.username is not None or parts.password is not None:
        return False
    try:
        port = parts.port
    except ValueError:
        return False
    host_ok = port is None and SNS_HOST.fullmatch(parts.netloc) is not None
    return host_ok and (parts.path.endswith(".pem") if pem else True)


def canonical_string(message: Mapping[str, Any]) -> bytes:
    """The text SNS signs: ``name\\nvalue\\n`` for each signed field present, in order."""
    names = SIGNED_FIELDS[message["Type"]]
    lines = [f"{n}\n{message[n]}\n" for n in names if message.get(n) is not None]
    return "".join(lines).encode()


def fetch(url: str) -> bytes:
    """Default fetcher: an https GET without redirects."""
    response = httpx.get(url, timeout=10.0, follow_redirects=False)
    response.raise_for_status()
    return response.content


def clear_certificate_cache() -> None:
    """Forget every cached signing certificate."""
    with _cache_lock:
        _certificates.clear()


def certificate(url: str, fetcher: Fetcher) -> x509.Certificate:
    """The signing certificate at ``url``, fetched once and cached (LRU)."""
    with _cache_lock:
        if url in _certificates:
            _certificates.move_to_end(url)
            return _certificates[url]
    try:
        cert = x509.load_pem_x509_certificate(fetcher(url))
    except ValueError:
        raise Unauthorized(f"SNS signing certificate at {url} is not a PEM certificate") from None
    except Exception as err:  # the fetcher is pluggable: any failure means "not reachable"
        raise UpstreamUnavailable(
            f"cannot fetch the SNS signing certificate {url}: {err}"
        ) from None
    with _cache_lock:
        _certificates[url] = cert
        while len(_certificates) > CACHE_SIZE:
            _certificates.popitem(last=False)
    return cert


def _message(raw_body: bytes) -> dict[str, Any]:
    message = load_json(raw_body, "SNS message")
    if not isinstance(message, dict):
        raise InvalidInput("SNS message must be a JSON object")
    if message.get("Type") not in SIGNED_FIELDS:
        raise InvalidInput(f"SNS message Type {message.get('Type')!r} is not supported")
    return message


def verify(
    settings: SesSettings, headers: Mapping[str, str], raw_body: bytes, url: str, now: datetime
) -> None:
    """Check the topic, the age, the certificate URL and the SNS signature; 401/403 if refused."""
    message = _message(raw_body)
    topic = message.get("TopicArn")
    if topic not in settings.allowed_topic_arns:
        raise Forbidden(f"SNS topic {topic} is not in webhooks.ses.allowed_topic_arns")
    # Cheap checks first: a stale message is refused before any certificate is fetched.
    signed_at = from_iso(message.get("Timestamp"))
    if signed_at is None:
        raise Unauthorized(
            f"SNS message Timestamp {message.get('Timestamp')!r} is not an ISO 8601 time"
        )
    check_signed_time("SNS message", signed_at, settings.max_age_seconds, now)
    digest = HASHES.get(str(message.get("SignatureVersion")))
    if digest is None:
        raise Unauthorized(
            f"SNS SignatureVersion {message.get('SignatureVersion')!r} is not 1 or 2"
        )
    cert_url = message.get("SigningCertURL")
    if not is_sns_url(cert_url, pem=True):
        raise Unauthorized(
            f"SNS SigningCertURL {cert_url!r} is not an https sns.<region>.amazonaws.com URL"
        )
    cert = certificate(str(cert_url), settings.fetcher or fetch)
    naive_now = now.replace(tzinfo=None)
    if (
        not cert.not_valid_before_utc.replace(tzinfo=None)
        <= naive_now
        <= cert.not_valid_after_utc.replace(tzinfo=None)
    ):
        raise Unauthorized("SNS signing certificate is expired or not yet valid")
    _check_signature(cert, message, digest())


def _check_signature(
    cert: x509.Certificate, message: Mapping[str, Any], digest: hashes.HashAlgorithm
) -> None:
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise Unauthorized("SNS signing certificate does not hold an RSA key")
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
        key.verify(signature, canonical_string(message), padding.PKCS1v15(), digest)
    except (InvalidSignature, binascii.Error, ValueError):
        raise Unauthorized("SNS signature does not match") from None


def confirm(settings: SesSettings, subscribe_url: str) -> None:
    """Confirm a verified SNS subscription: fetch its SubscribeURL (SNS host, allowed topic)."""
    if not is_sns_url(subscribe_url, pem=False):
        raise Forbidden(
            f"SNS SubscribeURL {subscribe_url!r} is not an https sns.<region>.amazonaws.com URL"
        )
    query = parse_qs(urlsplit(subscribe_url).query)
    topics = query.get("TopicArn", [])
    if query.get("Action") != ["ConfirmSubscription"] or len(topics) != 1:
        raise Forbidden("SNS SubscribeURL is not a ConfirmSubscription URL naming one topic")
    if topics[0] not in settings.allowed_topic_arns:
        raise Forbidden(
            f"SNS SubscribeURL confirms topic {topics[0]}, not in webhooks.ses.allowed_topic_arns"
        )
    try:
        (settings.fetcher or fetch)(subscribe_url)
    except Exception as err:  # any fetch failure: SNS will send the confirmation again
        raise UpstreamUnavailable(f"cannot confirm the SNS subscription: {err}") from None


def parse(raw_body: bytes, content_type: str) -> ParsedBatch:
    """Map the SES event in an SNS notification to activities (one per recipient)."""
    message = _message(raw_body)
    kind = message["Type"]
    if kind == "SubscriptionConfirmation":
        return ParsedBatch(confirm_url=str(message.get("SubscribeURL")))
    batch = ParsedBatch()
    if kind != "Notification":
        batch.skip(kind)
        return batch
    event = load_json(str(message.get("Message", "")), "SNS Message (the SES event)")
    if not isinstance(event, dict):
        raise InvalidInput("SNS Message must be an SES event JSON object")
    _map_event(batch, message, event)
    return batch


def _map_event(batch: ParsedBatch, message: Mapping[str, Any], event: Mapping[str, Any]) -> None:
    name = event.get("eventType") or event.get("notificationType")
    mapped = _kind(name, event)
    if mapped is None:
        batch.skip(name)
        return
    kind, detail, recipients = mapped
    mail = obj(event.get("mail"))
    ts = from_iso(detail.get("timestamp")) or from_iso(message.get("Timestamp"))
    for recipient in recipients:
        props = {**_headway_ids(mail), **_properties(name, kind, mail, detail, event)}
        record = activity(
            NAME,
            f"{message.get('MessageId')}:{recipient}",
            event,
            contact=recipient,
            kind=kind,
            ts=ts,
            properties=props,
        )
        batch.add(0, record)


def _kind(name: Any, event: Mapping[str, Any]) -> tuple[str, Mapping[str, Any], list[Any]] | None:
    mail = obj(event.get("mail"))
    everyone = list(mail.get("destination") or [])
    section = event.get(str(name).lower()) if isinstance(name, str) else None
    detail = obj(section)
    if name == "Bounce":
        return "email_bounce", detail, _addresses(detail.get("bouncedRecipients"))
    if name == "Complaint":
        return "email_spam_report", detail, _addresses(detail.get("complainedRecipients"))
    if name == "Delivery":
        return "email_delivered", detail, list(detail.get("recipients") or everyone)
    if name == "Subscription":
        prefs = detail.get("newTopicPreferences") or {}
        return (
            ("email_unsubscribe", detail, everyone) if prefs.get("unsubscribeAll") is True else None
        )
    simple = {
        "Send": ("email_sent", mail),
        "Open": ("email_open", detail),
        "Click": ("email_click", detail),
    }
    if name in simple:
        kind, where = simple[name]
        return kind, where, everyone
    return None


def _addresses(items: Any) -> list[Any]:
    return [i.get("emailAddress") for i in items or [] if isinstance(i, dict)]


def _properties(
    name: Any,
    kind: str,
    mail: Mapping[str, Any],
    detail: Mapping[str, Any],
    event: Mapping[str, Any],
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "esp_event": name,
        "message_id": mail.get("messageId"),
        "user_agent": detail.get("userAgent"),
        "ip": detail.get("ipAddress"),
        "url": detail.get("link") if kind == "email_click" else None,
    }
    if kind == "email_bounce":
        props["bounce_type"] = "hard" if detail.get("bounceType") == "Permanent" else "soft"
        props["ses_bounce_type"] = detail.get("bounceType")
        props["ses_bounce_subtype"] = detail.get("bounceSubType")
    if kind == "email_spam_report":
        props["complaint_type"] = detail.get("complaintFeedbackType")
    return props


def _headway_ids(mail: Mapping[str, Any]) -> dict[str, Any]:
    tags = obj(mail.get("tags"))
    headers = {
        str(h.get("name", "")).lower(): h.get("value")
        for h in mail.get("headers") or []
        if isinstance(h, dict)
    }

    def pick(tag: str, header: str) -> Any:
        values = tags.get(tag)
        if isinstance(values, list) and values:
            return values[0]
        return headers.get(header)

    return {
        "email": pick("headway_email", "x-headway-email"),
        "campaign": pick("headway_campaign", "x-headway-campaign"),
    }
