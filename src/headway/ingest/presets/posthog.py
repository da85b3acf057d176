"""PostHog events (its capture API and its exports) as Headway activities, identity claims and
contact attributes (docs/sdks.md, docs/import.md).

Every event is one activity:

- ``type`` is ``event`` verbatim (``$pageview``, ``$autocapture``, ``$identify``, ``signed up``);
- ``contact`` is ``distinct_id`` (top level, else ``properties.distinct_id`` or
  ``properties.$distinct_id`` as the JavaScript client sends it);
- ``id`` is ``uuid`` (a re-sent event is a duplicate, not a second activity);
- ``ts`` is ``timestamp``, else ``properties.$time`` (epoch seconds), else ``offset``
  milliseconds before the time it was received (the capture API only);
- ``properties`` are the event's ``properties`` without ``$set``/``$set_once`` (and without the
  project key ``token``/``api_key``, which is a Headway API key here and is never stored).
  PostHog's batch exports are read too: ``properties``, ``$set`` and ``$set_once`` may be JSON
  text, and ``set``/``set_once`` stand for ``$set``/``$set_once``.

``$set`` (top level or in ``properties``) becomes the contact's attributes; ``$set_once`` too,
for the keys ``$set`` does not name. Identities: ``$identify`` claims that
``properties.$anon_distinct_id`` is ``distinct_id`` from then on; ``$create_alias`` and
``$merge_dangerously`` claim that ``properties.alias`` is ``distinct_id`` (the id that is kept,
as PostHog merges them). A malformed event raises ``Rejected`` naming its field.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson

from headway.ingest.presets import IdentityClaim, Mapped
from headway.ingest.presets.fields import optional_id, parsed_time
from headway.ingest.records import Rejected

SOURCE = "posthog"
SECRET_KEYS = ("token", "api_key")
ALIAS_EVENTS = ("$create_alias", "$merge_dangerously")


def map_record(raw: dict[str, Any]) -> Mapped:
    """One PostHog event as Headway's activity, identity claims and attributes."""
    return map_event(raw)


def map_event(raw: Any, *, received: datetime | None = None, source: str = SOURCE) -> Mapped:
    """``map_record``; ``received`` (UTC, naive) dates an event that has only an ``offset``."""
    if not isinstance(raw, dict):
        raise Rejected(None, "is not a JSON object")
    kind = _event(raw)
    props = _object(raw.get("properties"), "properties")
    raw = _export_fields(raw)
    contact = _contact(raw, props)
    at = _time(raw, props, received)
    uuid = optional_id(raw.get("uuid"), "uuid")
    attributes = {
        **_object(_pop_either(raw, props, "$set_once"), "$set_once"),
        **_object(_pop_either(raw, props, "$set"), "$set"),
    }
    for key in SECRET_KEYS:
        props.pop(key, None)
    activity: dict[str, Any] = {
        "contact": contact,
        "type": kind,
        "ts": at.isoformat(timespec="microseconds") + "Z",
        "properties": props,
        "source": source,
    }
    if uuid is not None:
        activity["id"] = uuid
    mapped = Mapped(activities=[activity])
    if attributes:
        mapped.attributes.append((contact, attributes))
    other = _claimed_alias(kind, props)
    if other is not None and other != contact:
        mapped.identities.append(IdentityClaim(other, contact, at, uuid, source))
    return mapped


def _event(raw: dict[str, Any]) -> str:
    value = raw.get("event")
    if value is None:
        raise Rejected("event", "is required")
    if not isinstance(value, str):
        raise Rejected("event", "must be a string")
    if not value.strip():
        raise Rejected("event", "must not be empty")
    return value


def _contact(raw: dict[str, Any], props: dict[str, Any]) -> str:
    for field, value in (
        ("distinct_id", raw.get("distinct_id")),
        ("properties.distinct_id", props.get("distinct_id")),
        ("properties.$distinct_id", props.get("$distinct_id")),
    ):
        found = optional_id(value, field)
        if found is not None:
            return found
    raise Rejected("distinct_id", "is required")


def _time(raw: dict[str, Any], props: dict[str, Any], received: datetime | None) -> datetime:
    for field, value in (
        ("timestamp", raw.get("timestamp")),
        ("properties.$time", props.get("$time")),
    ):
        if value is not None:
            return parsed_time(value, field)
    if received is not None:
        offset = raw.get("offset", 0)
        if isinstance(offset, bool) or not isinstance(offset, int | float) or offset < 0:
            raise Rejected("offset", "must be a number of milliseconds, at least 0")
        try:
            return received - timedelta(milliseconds=offset)
        except OverflowError:
            raise Rejected("offset", f"{offset} milliseconds is too long ago") from None
    raise Rejected("timestamp", "is required")


def _claimed_alias(kind: str, props: dict[str, Any]) -> str | None:
    if kind == "$identify":
        return optional_id(props.get("$anon_distinct_id"), "properties.$anon_distinct_id")
    if kind in ALIAS_EVENTS:
        alias = optional_id(props.get("alias"), "properties.alias")
        if alias is None:
            raise Rejected("properties.alias", f"is required in a {kind} event")
        return alias
    return None


def _pop_either(raw: dict[str, Any], props: dict[str, Any], key: str) -> Any:
    inside = props.pop(key, None)
    outside = raw.get(key)
    if isinstance(inside, dict) and isinstance(outside, dict):
        return {**inside, **outside}
    return outside if outside is not None else inside


def _export_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """PostHog's batch exports name ``$set``/``$set_once`` ``set``/``set_once``."""
    renamed = {f"${k}": raw[k] for k in ("set", "set_once") if k in raw and f"${k}" not in raw}
    return {**raw, **renamed} if renamed else raw


def _object(value: Any, field: str) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):  # batch exports (S3, Parquet, BigQuery) ship JSON text
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise Rejected(field, "must be a JSON object (or its JSON text)") from None
    if not isinstance(value, dict):
        raise Rejected(field, "must be a JSON object")
    return dict(value)
