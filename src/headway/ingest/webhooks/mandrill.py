"""Mailchimp Transactional (Mandrill) webhooks: base64 HMAC-SHA1 over URL + sorted form fields.

The body is form-encoded ``mandrill_events=<JSON array>``. Metadata ``headway_email`` /
``headway_campaign`` come from ``msg.metadata``. Mandrill's ``_id`` names the message, not
the event, so ids are derived from the event content.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from headway.errors import InvalidInput, Unauthorized
from headway.ingest.webhooks.common import (
    ParsedBatch,
    activity,
    from_epoch,
    headway_ids,
    load_json,
    map_events,
    obj,
)
from headway.ingest.webhooks.settings import MandrillSettings

NAME = "mandrill"
CONTENT_TYPES = ("application/x-www-form-urlencoded",)
SIGNATURE_HEADER = "x-mandrill-signature"

TYPES = {
    "send": "email_sent",
    "delivered": "email_delivered",
    "hard_bounce": "email_bounce",
    "soft_bounce": "email_bounce",
    "open": "email_open",
    "click": "email_click",
    "spam": "email_spam_report",
    "unsub": "email_unsubscribe",
}


def form_fields(raw_body: bytes) -> list[tuple[str, str]]:
    """The decoded form fields of the body, or 422."""
    try:
        return parse_qsl(raw_body.decode(), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("Mandrill body is not form-encoded (mandrill_events=...)") from None


def signature(key: str, url: str, fields: list[tuple[str, str]]) -> str:
    """Mandrill's signature: base64(HMAC-SHA1(key, url + each sorted key + value))."""
    signed = url + "".join(k + v for k, v in sorted(fields))
    return base64.b64encode(hmac.new(key.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def verify(
    settings: MandrillSettings, headers: Mapping[str, str], raw_body: bytes, url: str, now: datetime
) -> None:
    """Check X-Mandrill-Signature against the configured (or request) URL; 401 on mismatch."""
    given = headers.get(SIGNATURE_HEADER)
    if not given:
        raise Unauthorized("Mandrill signature header X-Mandrill-Signature is missing")
    expected = signature(
        settings.webhook_key.get_secret_value(), settings.url or url, form_fields(raw_body)
    )
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise Unauthorized("Mandrill signature does not match")


def parse(raw_body: bytes, content_type: str) -> ParsedBatch:
    """Map Mandrill events to activities; sync and unknown events are counted as skipped."""
    values = dict(form_fields(raw_body))
    if "mandrill_events" not in values:
        raise InvalidInput("Mandrill body has no mandrill_events field")
    events = load_json(values["mandrill_events"], "mandrill_events")
    if not isinstance(events, list):
        raise InvalidInput("mandrill_events must be a JSON array")
    return map_events(events, TYPES, _activity, _sync_label)


def _sync_label(event: Mapping[str, Any]) -> str:
    # Sync events (blacklist/whitelist changes) carry "type" instead of "event".
    name = event.get("event")
    return str(name) if name is not None else f"sync:{event.get('type')}"


def _activity(event: Mapping[str, Any], name: str, kind: str) -> dict[str, Any]:
    msg = obj(event.get("msg"))
    props: dict[str, Any] = {
        **headway_ids(msg.get("metadata")),
        "esp_event": name,
        "message_id": event.get("_id"),
        "user_agent": event.get("user_agent"),
        "ip": event.get("ip"),
        "url": event.get("url") if kind == "email_click" else None,
        "tags": msg.get("tags") or None,
        "reason": msg.get("bounce_description") or msg.get("diag"),
    }
    if kind == "email_bounce":
        props["bounce_type"] = "hard" if name == "hard_bounce" else "soft"
    return activity(
        NAME,
        None,
        event,
        contact=msg.get("email"),
        kind=kind,
        ts=from_epoch(event.get("ts")),
        properties=props,
    )
