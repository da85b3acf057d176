"""Brevo (ex Sendinblue) webhooks: a shared token as bearer, custom header or query parameter.

The body is one event object (transactional) or an array of them (batched marketing
webhooks). ``headway_email`` / ``headway_campaign`` come from the ``X-Mailin-custom`` header
value (a JSON object) set when sending. Brevo sends no event ids: ids are derived from
the event content. Proxy opens (Apple Mail Privacy Protection and similar) are labelled bot.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from headway.errors import Unauthorized
from headway.ingest.webhooks.common import (
    ParsedBatch,
    activity,
    events_list,
    from_epoch,
    headway_ids,
    load_json,
    map_events,
    same_secret,
)
from headway.ingest.webhooks.settings import BrevoSettings

NAME = "brevo"
CONTENT_TYPES = ("application/json",)

# Transactional and marketing webhooks name some events differently.
TYPES = {
    "request": "email_sent",
    "sent": "email_sent",
    "delivered": "email_delivered",
    "hard_bounce": "email_bounce",
    "hardBounce": "email_bounce",
    "soft_bounce": "email_bounce",
    "softBounce": "email_bounce",
    "opened": "email_open",
    "unique_opened": "email_open",
    "proxy_open": "email_open",
    "unique_proxy_open": "email_open",
    "click": "email_click",
    "unsubscribed": "email_unsubscribe",
    "unsubscribe": "email_unsubscribe",
    "spam": "email_spam_report",
    "complaint": "email_spam_report",
}
PROXY_OPENS = frozenset({"proxy_open", "unique_proxy_open"})


def verify(
    settings: BrevoSettings, headers: Mapping[str, str], raw_body: bytes, url: str, now: datetime
) -> None:
    """Check the shared token (constant time); 401 when it is missing or wrong."""
    token = settings.token.get_secret_value()
    if settings.auth == "bearer":
        scheme, _, given = (headers.get("authorization") or "").partition(" ")
        ok = scheme.lower() == "bearer" and same_secret(given.strip(), token)
        where = "the Authorization bearer token"
    elif settings.auth == "header":
        ok = same_secret(headers.get(settings.header_name.lower()), token)
        where = settings.header_name
    else:
        values = parse_qs(urlsplit(url).query).get(settings.query_param) or []
        ok = len(values) == 1 and same_secret(values[0], token)
        where = f"the {settings.query_param!r} query parameter"
    if not ok:
        raise Unauthorized(f"Brevo token in {where} does not match")


def parse(raw_body: bytes, content_type: str) -> ParsedBatch:
    """Map Brevo events to activities; unknown event types are counted as skipped."""
    events = events_list(load_json(raw_body, "Brevo body"), "Brevo body")
    return map_events(events, TYPES, _activity)


def _activity(event: Mapping[str, Any], name: str, kind: str) -> dict[str, Any]:
    proxy = name in PROXY_OPENS
    props: dict[str, Any] = {
        **headway_ids(_custom(event.get("X-Mailin-custom"))),
        "esp_event": name,
        "message_id": event.get("message-id"),
        "user_agent": event.get("user_agent"),
        "ip": event.get("sending_ip") if kind == "email_sent" else event.get("ip"),
        "url": (event.get("link") or event.get("URL")) if kind == "email_click" else None,
        "tags": event.get("tags") or None,
        "brevo_campaign_id": event.get("camp_id"),
        "reason": event.get("reason"),
        "proxy_open": True if proxy else None,
    }
    if kind == "email_bounce":
        props["bounce_type"] = "hard" if name in ("hard_bounce", "hardBounce") else "soft"
    return activity(
        NAME,
        None,
        event,
        contact=event.get("email"),
        kind=kind,
        ts=_when(event),
        properties=props,
        bot=proxy,
    )


def _custom(value: Any) -> Any:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return None


def _when(event: Mapping[str, Any]) -> datetime | None:
    # ts_epoch is UTC milliseconds; ts_event / ts are UTC seconds on the events without it.
    for key in ("ts_epoch", "ts_event", "ts"):
        parsed = from_epoch(event.get(key))
        if parsed is not None:
            return parsed
    return None
