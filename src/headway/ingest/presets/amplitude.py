"""Amplitude: the Export API's events (JSON lines in hourly ``.json.gz`` files).

``event_type`` is the type, ``user_id`` the contact (else ``device_id``), ``event_time`` the
time (UTC, written without a zone by Amplitude: ``2024-03-01 10:00:00.123000``), ``uuid``
(else ``$insert_id``) the id. ``event_properties`` become the properties, with the event's
device and place fields (``CONTEXT``) where the event properties do not name them;
``user_properties`` become contact attributes (``$set``/``$setOnce`` operations of identify
events are applied). An event with both ``user_id`` and ``device_id`` ties the device to the
user.
"""

from __future__ import annotations

import re
from typing import Any

from headway.ingest.presets import Mapped
from headway.ingest.presets.fields import as_object, claim_tie, epoch_text, event_name, first_id
from headway.ingest.records import Rejected

SOURCE = "amplitude"
EXPECTED = ("event_type", "event_time")
CONTEXT = (
    "platform",
    "os_name",
    "os_version",
    "device_type",
    "device_family",
    "country",
    "region",
    "city",
    "language",
    "session_id",
    "version_name",
    "library",
)
_UTC_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def map_record(raw: dict[str, Any]) -> Mapped:
    """One exported Amplitude event."""
    name = event_name(raw, "event_type")
    user, device = first_id(raw.get("user_id")), first_id(raw.get("device_id"))
    contact = user or device
    if contact is None:
        raise Rejected("user_id", "is required (or device_id)")
    ts = _time(raw)
    props = dict(as_object(raw.get("event_properties"), "event_properties"))
    for key in CONTEXT:
        value = raw.get(key)
        if value is not None and key not in props:
            props[key] = value
    event_id = first_id(raw.get("uuid"), raw.get("$insert_id"), raw.get("insert_id"))
    activity = {
        "id": event_id,
        "contact": contact,
        "type": name,
        "ts": ts,
        "properties": props,
    }
    mapped = Mapped(activities=[activity])
    claim_tie(mapped, device, user, ts, event_id, SOURCE)
    attributes = _attributes(as_object(raw.get("user_properties"), "user_properties"))
    if attributes:
        mapped.attributes.append((contact, attributes))
    return mapped


def _time(raw: dict[str, Any]) -> str:
    for field in ("event_time", "client_event_time"):
        value = raw.get(field)
        if isinstance(value, str) and _UTC_TEXT.match(value.strip()):
            return value.strip().replace(" ", "T") + "Z"  # Amplitude's times are UTC
        if value is not None:
            return epoch_text(value, field)
    if raw.get("time") is not None:  # the HTTP API's shape: epoch milliseconds
        return epoch_text(raw["time"], "time")
    raise Rejected("event_time", "is required")


def _attributes(props: dict[str, Any]) -> dict[str, Any]:
    """User properties; identify operations (``$set``, ``$setOnce``) applied."""
    if not any(k.startswith("$") for k in props):
        return props
    out = {k: v for k, v in props.items() if not k.startswith("$")}
    set_once = props.get("$setOnce")
    if isinstance(set_once, dict):
        out = {**set_once, **out}
    values = props.get("$set")
    if isinstance(values, dict):
        out.update(values)
    return out
