"""Postmark webhooks: a shared secret in HTTP basic auth or a custom header.

The body is one JSON object with a ``RecordType``. Metadata ``headway_email`` /
``headway_campaign`` come from ``Metadata``; ``ID`` (bounces, spam complaints) is the event
id, other records get an id derived from their content.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from headway.errors import Unauthorized
from headway.ingest.webhooks.common import (
    ParsedBatch,
    activity,
    events_list,
    from_iso,
    headway_ids,
    load_json,
    obj,
    require_object,
    same_secret,
)
from headway.ingest.webhooks.settings import PostmarkSettings

NAME = "postmark"
CONTENT_TYPES = ("application/json",)

HARD_BOUNCES = frozenset({"HardBounce", "BadEmailAddress"})
SOFT_BOUNCES = frozenset({"SoftBounce", "Transient", "DnsError", "Blocked", "DMARCPolicy"})


def verify(
    settings: PostmarkSettings, headers: Mapping[str, str], raw_body: bytes, url: str, now: datetime
) -> None:
    """Check the shared secret (constant time); 401 when it is missing or wrong."""
    secret = settings.secret.get_secret_value()
    if settings.auth == "header":
        given = headers.get(settings.header_name.lower())
        if not same_secret(given, secret):
            raise Unauthorized(f"Postmark secret in {settings.header_name} does not match")
        return
    user, password = _basic_auth(headers.get("authorization"))
    if not (same_secret(user, settings.username) & same_secret(password, secret)):
        raise Unauthorized("Postmark basic auth credentials do not match")


def _basic_auth(value: str | None) -> tuple[str | None, str | None]:
    scheme, _, encoded = (value or "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return (user, password) if sep else (None, None)


def parse(raw_body: bytes, content_type: str) -> ParsedBatch:
    """Map Postmark records to activities; other record types are counted as skipped."""
    batch = ParsedBatch()
    for index, item in enumerate(
        events_list(load_json(raw_body, "Postmark body"), "Postmark body")
    ):
        event = require_object(item, index)
        mapped = _kind(event)
        if mapped is None:
            batch.skip(_label(event))
            continue
        batch.add(index, _activity(event, *mapped))
    return batch


def _label(event: Mapping[str, Any]) -> str:
    record = str(event.get("RecordType"))
    return f"{record}:{event.get('Type')}" if record == "Bounce" else record


def _kind(event: Mapping[str, Any]) -> tuple[str, str | None] | None:
    record = event.get("RecordType")
    if record == "Bounce":
        bounce = event.get("Type")
        if bounce in HARD_BOUNCES:
            return "email_bounce", "hard"
        return ("email_bounce", "soft") if bounce in SOFT_BOUNCES else None
    if record == "SubscriptionChange":
        # Bounces and complaints also suppress; they arrive as their own records.
        manual = event.get("SuppressSending") is True
        return (
            ("email_unsubscribe", None)
            if manual and event.get("SuppressionReason") == "ManualSuppression"
            else None
        )
    simple = {
        "Delivery": "email_delivered",
        "Open": "email_open",
        "Click": "email_click",
        "SpamComplaint": "email_spam_report",
    }
    return (simple[record], None) if record in simple else None


def _activity(event: Mapping[str, Any], kind: str, bounce_type: str | None) -> dict[str, Any]:
    geo = obj(event.get("Geo"))
    props: dict[str, Any] = {
        **headway_ids(event.get("Metadata")),
        "esp_event": event.get("RecordType"),
        "message_id": event.get("MessageID"),
        "user_agent": event.get("UserAgent"),
        "ip": geo.get("IP"),
        "url": event.get("OriginalLink"),
        "tags": [event["Tag"]] if event.get("Tag") else None,
        "bounce_type": bounce_type,
        "postmark_type": event.get("Type"),
    }
    when = next(
        (event[k] for k in ("DeliveredAt", "BouncedAt", "ReceivedAt", "ChangedAt") if event.get(k)),
        None,
    )
    event_id = event.get("ID")
    return activity(
        NAME,
        # Bounce and SpamComplaint records share one ID space (a complaint is a bounce).
        f"{event.get('RecordType')}:{event_id}"
        if isinstance(event_id, int | str) and event_id != ""
        else None,
        event,
        contact=event.get("Recipient") or event.get("Email"),
        kind=kind,
        ts=from_iso(when),
        properties=props,
    )
