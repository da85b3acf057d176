"""SendGrid Event Webhook: ECDSA (P-256, SHA-256) signature over timestamp + raw body.

The signed timestamp must be at most ``max_age_seconds`` (default 300) old.

The body is a JSON array of events. Custom args ``headway_email`` / ``headway_campaign``
appear as top-level keys of each event; ``sg_event_id`` is the event id.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from headway.errors import Unauthorized
from headway.ingest.webhooks.common import (
    ParsedBatch,
    activity,
    check_age,
    events_list,
    from_epoch,
    headway_ids,
    load_json,
    map_events,
)
from headway.ingest.webhooks.settings import SendGridSettings

NAME = "sendgrid"
CONTENT_TYPES = ("application/json",)
SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature"
TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp"

TYPES = {
    "processed": "email_sent",
    "delivered": "email_delivered",
    "bounce": "email_bounce",
    "blocked": "email_bounce",
    "dropped": "email_bounce",
    "open": "email_open",
    "click": "email_click",
    "spamreport": "email_spam_report",
    "unsubscribe": "email_unsubscribe",
    "group_unsubscribe": "email_unsubscribe",
}


def verify(
    settings: SendGridSettings, headers: Mapping[str, str], raw_body: bytes, url: str, now: datetime
) -> None:
    """Check the ECDSA signature (401) and the age of its timestamp (403)."""
    signature = headers.get(SIGNATURE_HEADER)
    stamp = headers.get(TIMESTAMP_HEADER)
    if not signature or not stamp:
        raise Unauthorized("SendGrid signature headers are missing")
    key = load_der_public_key(base64.b64decode(settings.public_key))
    assert isinstance(key, ec.EllipticCurvePublicKey)  # checked when settings load
    try:
        key.verify(
            base64.b64decode(signature), stamp.encode() + raw_body, ec.ECDSA(hashes.SHA256())
        )
    except (InvalidSignature, binascii.Error, ValueError):
        raise Unauthorized("SendGrid signature does not match") from None
    check_age("SendGrid", stamp, settings.max_age_seconds, now)


def parse(raw_body: bytes, content_type: str) -> ParsedBatch:
    """Map SendGrid events to activities; unknown event types are counted as skipped."""
    events = events_list(load_json(raw_body, "SendGrid body"), "SendGrid body")
    return map_events(events, TYPES, _activity)


def _activity(event: Mapping[str, Any], name: str, kind: str) -> dict[str, Any]:
    bot = event.get("sg_machine_open") is True
    props: dict[str, Any] = {
        **headway_ids(event),
        "esp_event": name,
        "message_id": event.get("sg_message_id"),
        "user_agent": event.get("useragent"),
        "ip": event.get("ip"),
        "url": event.get("url") if kind == "email_click" else None,
        "sg_machine_open": event.get("sg_machine_open"),
        "reason": event.get("reason"),
        "category": event.get("category"),
    }
    if kind == "email_bounce":
        props["bounce_type"] = _bounce_type(event, name)
    return activity(
        NAME,
        _text(event.get("sg_event_id")),
        event,
        contact=event.get("email"),
        kind=kind,
        ts=from_epoch(event.get("timestamp")),
        properties=props,
        bot=bot,
    )


def _bounce_type(event: Mapping[str, Any], name: str) -> str:
    # SendGrid reports temporary blocks as event "bounce" with type "blocked" (newer) or as
    # event "blocked" (older); "dropped" means SendGrid did not attempt delivery at all.
    if name == "bounce" and event.get("type", "bounce") == "bounce":
        return "hard"
    return "soft"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
