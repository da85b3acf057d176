"""Mailgun webhooks: HMAC-SHA256(signing key, timestamp + token), one-time tokens.

The body is one JSON object ``{"signature": {timestamp, token, signature}, "event-data":
{...}}``. Custom variables ``headway_email`` / ``headway_campaign`` come from
``event-data.user-variables``; ``event-data.id`` is the event id. Token replay is refused by
the route through ``replay.py`` (tokens are remembered in the database).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from headway.errors import InvalidInput, Unauthorized
from headway.ingest.webhooks.common import (
    ParsedBatch,
    activity,
    check_age,
    from_epoch,
    headway_ids,
    load_json,
    obj,
)
from headway.ingest.webhooks.settings import MailgunSettings

NAME = "mailgun"
CONTENT_TYPES = ("application/json",)

TYPES = {
    "accepted": "email_sent",
    "delivered": "email_delivered",
    "failed": "email_bounce",
    "opened": "email_open",
    "clicked": "email_click",
    "unsubscribed": "email_unsubscribe",
    "complained": "email_spam_report",
}


def _signature(raw_body: bytes) -> Mapping[str, Any]:
    body = load_json(raw_body, "Mailgun body")
    signature = body.get("signature") if isinstance(body, dict) else None
    if not isinstance(signature, dict):
        raise Unauthorized("Mailgun signature is missing from the body")
    return signature


def verify(
    settings: MailgunSettings, headers: Mapping[str, str], raw_body: bytes, url: str, now: datetime
) -> None:
    """Check the HMAC signature and the age of the timestamp; 401/403 when refused."""
    signature = _signature(raw_body)
    stamp, token, given = (str(signature.get(k, "")) for k in ("timestamp", "token", "signature"))
    key = settings.signing_key.get_secret_value().encode()
    # As bytes: a forged field may hold any text (non-ASCII, lone surrogates), never a 500.
    signed = (stamp + token).encode("utf-8", "surrogatepass")
    expected = hmac.new(key, signed, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(expected, given.lower().encode("utf-8", "surrogatepass")):
        raise Unauthorized("Mailgun signature does not match")
    check_age("Mailgun", stamp, settings.max_age_seconds, now)


def replay_token(raw_body: bytes) -> str:
    """The one-time token of a verified request."""
    return str(_signature(raw_body).get("token", ""))


def parse(raw_body: bytes, content_type: str) -> ParsedBatch:
    """Map the Mailgun event to an activity; unknown event types are counted as skipped."""
    body = load_json(raw_body, "Mailgun body")
    event = body.get("event-data") if isinstance(body, dict) else None
    if not isinstance(event, dict):
        raise InvalidInput("Mailgun body has no event-data object")
    batch = ParsedBatch()
    name = event.get("event")
    kind = TYPES.get(name) if isinstance(name, str) else None
    if kind is None:
        batch.skip(name)
    else:
        batch.add(0, _activity(event, str(name), kind))
    return batch


def _activity(event: Mapping[str, Any], name: str, kind: str) -> dict[str, Any]:
    client = obj(event.get("client-info"))
    bot_flag = client.get("bot")
    headers = obj(obj(event.get("message")).get("headers"))
    props: dict[str, Any] = {
        **headway_ids(event.get("user-variables")),
        "esp_event": name,
        "message_id": headers.get("message-id"),
        "user_agent": client.get("user-agent"),
        "ip": event.get("ip"),
        "url": event.get("url") if kind == "email_click" else None,
        "tags": event.get("tags") or None,
        "client_bot": bot_flag or None,
        "severity": event.get("severity"),
        "reason": event.get("reason"),
    }
    if kind == "email_bounce":
        props["bounce_type"] = "hard" if event.get("severity") == "permanent" else "soft"
    return activity(
        NAME,
        event.get("id") if isinstance(event.get("id"), str) else None,
        event,
        contact=event.get("recipient"),
        kind=kind,
        ts=from_epoch(event.get("timestamp")),
        properties=props,
        bot=bool(bot_flag),
    )
