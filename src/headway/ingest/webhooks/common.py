"""Shared parts of the ESP webhook adapters: the parsed batch, activity building, JSON, ids.

Every adapter turns a provider's events into canonical activity records (``contact``,
``type``, ``ts``, ``properties``, ``bot``, ``bot_reason``, ``source``, ``id``). The id is the
provider's event id prefixed with the provider (``sendgrid:<sg_event_id>``), or, for
providers without event ids, a hash of the event's content, so retries count once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa

from headway.errors import Detail, Forbidden, HeadwayError, InvalidInput, Unauthorized
from headway.ingest import timestamps
from headway.ingest.records import validate_records

BOT_FLAG = "provider_flag"
# How far ahead of the server clock a signed timestamp may be (the providers' clocks drift).
CLOCK_SKEW_SECONDS = 60


class UpstreamUnavailable(HeadwayError):
    """A service Headway needs to verify a webhook (SNS certificates) did not answer."""

    code = "upstream_unavailable"
    http_status = 502


@dataclass
class ParsedBatch:
    """Activities of one webhook request and the count of skipped events per event type."""

    activities: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    # An SNS SubscriptionConfirmation asks us to GET this URL once verified.
    confirm_url: str | None = None

    def add(self, index: int, record: dict[str, Any]) -> None:
        """Keep one activity of event ``index``, or 422 if it has no recipient or time."""
        if not isinstance(record["contact"], str) or not record["contact"]:
            raise InvalidInput(
                "an event has no recipient address",
                [Detail("missing recipient address", field="contact", record=index)],
            )
        if record["ts"] is None:
            raise InvalidInput(
                "an event has no usable timestamp",
                [Detail("missing or unreadable timestamp", field="ts", record=index)],
            )
        self.activities.append(record)

    def skip(self, event_type: Any) -> None:
        """Count an event Headway does not map (never fatal)."""
        self.skipped[str(event_type) if event_type is not None else "(none)"] += 1


def load_json(raw: bytes | str, what: str) -> Any:
    """Parsed JSON, or 422 saying where the text broke."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        where = f"line {err.lineno} column {err.colno}"
        raise InvalidInput(
            f"{what} is not valid JSON ({err.msg} at {where})", [Detail(err.msg, record=where)]
        ) from None


def activity(
    source: str,
    event_id: str | None,
    event: Mapping[str, Any],
    *,
    contact: Any,
    kind: str,
    ts: datetime | None,
    properties: Mapping[str, Any],
    bot: bool = False,
) -> dict[str, Any]:
    """One canonical activity record; the id falls back to a hash of ``event``."""
    return {
        "id": f"{source}:{event_id}" if event_id else content_id(source, event),
        "contact": contact.strip().lower() if isinstance(contact, str) else contact,
        "type": kind,
        "ts": iso(ts) if ts is not None else None,
        "properties": {k: v for k, v in properties.items() if v is not None},
        "bot": bot,
        "bot_reason": BOT_FLAG if bot else None,
        "source": source,
    }


def content_id(source: str, event: Mapping[str, Any]) -> str:
    """A stable id derived from an event's content (for providers without event ids)."""
    text = orjson.dumps(event, option=orjson.OPT_SORT_KEYS)
    return f"{source}:h{hashlib.sha256(text).hexdigest()[:32]}"


def iso(ts: datetime) -> str:
    """ISO 8601 text in UTC with a ``Z``, as the record validator takes it."""
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return ts.isoformat(timespec="microseconds") + "Z"


def from_epoch(value: Any) -> datetime | None:
    """A UTC naive datetime from epoch seconds (number or digit text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    try:
        return timestamps.from_epoch(float(value))
    except (OverflowError, ValueError):
        return None


def from_iso(value: Any) -> datetime | None:
    """A UTC naive datetime from ISO 8601 text with a zone (7 fraction digits allowed)."""
    if not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        # .NET (Postmark) writes 7 fraction digits; Python takes at most 6.
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None)


def obj(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty mapping."""
    return value if isinstance(value, Mapping) else {}


def headway_ids(fields: Any) -> dict[str, Any]:
    """``email`` and ``campaign`` from a provider's custom-argument mapping."""
    if not isinstance(fields, Mapping):
        return {}
    return {"email": fields.get("headway_email"), "campaign": fields.get("headway_campaign")}


def check_age(label: str, stamp: Any, limit: int, now: datetime) -> None:
    """401 when ``stamp`` (epoch seconds) is unreadable, else as ``check_signed_time``."""
    signed = from_epoch(stamp)
    if signed is None:
        raise Unauthorized(f"{label} signature timestamp is not a number")
    check_signed_time(label, signed, limit, now)


def check_signed_time(label: str, signed: datetime, limit: int, now: datetime) -> None:
    """403 when the signed time (UTC naive) is over ``limit`` s old or too far ahead of ``now``.

    Ahead of the server clock, ``CLOCK_SKEW_SECONDS`` are allowed (clocks drift a little).
    """
    age = int((now.astimezone(UTC).replace(tzinfo=None) - signed).total_seconds())
    if age > limit:
        raise Forbidden(f"{label} timestamp is {age} s old (limit {limit} s)")
    if -age > CLOCK_SKEW_SECONDS:
        raise Forbidden(
            f"{label} timestamp is {-age} s in the future (allowed clock skew "
            f"{CLOCK_SKEW_SECONDS} s; check this server's clock)"
        )


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented secret with the configured one."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def events_list(payload: Any, what: str) -> list[Any]:
    """A JSON array of events, or a single event object as a one-element list."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        return [payload]
    raise InvalidInput(f"{what} must be a JSON object or array of events")


def require_object(event: Any, index: int) -> Mapping[str, Any]:
    """An event that is a JSON object, or 422 naming the record."""
    if not isinstance(event, Mapping):
        raise InvalidInput(
            "an event is not a JSON object", [Detail("must be a JSON object", record=index)]
        )
    return event


Build = Callable[[Mapping[str, Any], str, str], dict[str, Any]]


def map_events(
    events: list[Any],
    types: Mapping[str, str],
    build: Build,
    unknown_label: Callable[[Mapping[str, Any]], Any] | None = None,
) -> ParsedBatch:
    """Activities of events named by their ``event`` field; unmapped names are skipped.

    ``build(event, name, headway_type)`` makes the activity; ``unknown_label`` names the
    skipped events (default: their ``event`` value).
    """
    batch = ParsedBatch()
    for index, item in enumerate(events):
        event = require_object(item, index)
        name = event.get("event")
        kind = types.get(name) if isinstance(name, str) else None
        if kind is None:
            batch.skip(unknown_label(event) if unknown_label else name)
            continue
        batch.add(index, build(event, str(name), kind))
    return batch


def to_table(batch: ParsedBatch) -> pa.Table:
    """The canonical Arrow table of a batch, or 422 naming each bad event."""
    table, details = validate_records(batch.activities, source="webhook")
    if details:
        raise InvalidInput(f"{len(details)} event(s) cannot be stored", details)
    return table
