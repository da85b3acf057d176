"""Mixpanel: the raw event export (``/api/2.0/export``) and the profiles export (Engage).

An event is ``{"event": NAME, "properties": {"time", "distinct_id", "$insert_id", ...}}``;
``time`` is epoch seconds (milliseconds with ``time_in_ms``), told apart by magnitude. The
contact is ``$user_id`` when present, else ``distinct_id``. Identities: ``$identify``
(``$anon_distinct_id`` is ``$identified_id``), ``$create_alias`` (``distinct_id`` is
``alias``) and, with Simplified ID Merge, an event carrying both ``$device_id`` and
``$user_id`` (``$device:<device_id>``, the anonymous events' distinct_id, is the user). A
profile ``{"$distinct_id", "$properties": {...}}`` sets contact attributes.
"""

from __future__ import annotations

from typing import Any

from headway.ingest.presets import Mapped
from headway.ingest.presets.fields import (
    as_object,
    claim_tie,
    epoch_text,
    event_name,
    first_id,
    ident,
)
from headway.ingest.records import Rejected

SOURCE = "mixpanel"
# Keys every record of an export has (checked on the first records: one message if absent).
EXPECTED = ("event", "properties")
_NOT_PROPERTIES = frozenset({"time", "distinct_id", "$insert_id"})


def map_record(raw: dict[str, Any]) -> Mapped:
    """One line of a Mixpanel export: an event, or a profile."""
    if "$distinct_id" in raw and "event" not in raw:
        return _profile(raw)
    name = event_name(raw, "event")
    props = as_object(raw.get("properties"), "properties")
    ts = epoch_text(props.get("time"), "properties.time")
    contact = first_id(props.get("$user_id"), props.get("distinct_id"))
    if contact is None:
        raise Rejected("properties.distinct_id", "is required")
    event_id = ident(props.get("$insert_id"))
    activity = {
        "id": event_id,
        "contact": contact,
        "type": name,
        "ts": ts,
        "properties": {k: v for k, v in props.items() if k not in _NOT_PROPERTIES},
    }
    mapped = Mapped(activities=[activity])
    for alias, known in _claims(name, props, contact):
        claim_tie(mapped, alias, known, ts, event_id, SOURCE)
    return mapped


def _claims(name: str, props: dict[str, Any], contact: str) -> list[tuple[str, str]]:
    """(anonymous id, known id) pairs the event states."""
    found = []
    if name == "$identify":
        anon = ident(props.get("$anon_distinct_id"))
        known = first_id(props.get("$identified_id"), contact)
        if anon and known:
            found.append((anon, known))
    if name == "$create_alias":
        alias, original = ident(props.get("alias")), ident(props.get("distinct_id"))
        if alias and original:
            found.append((original, alias))
    device, user = ident(props.get("$device_id")), ident(props.get("$user_id"))
    if device and user:
        found.append((f"$device:{device}", user))
    return found


def _profile(raw: dict[str, Any]) -> Mapped:
    contact = ident(raw.get("$distinct_id"))
    if contact is None:
        raise Rejected("$distinct_id", "is required")
    attributes = as_object(raw.get("$properties"), "$properties")
    return Mapped(attributes=[(contact, attributes)] if attributes else [])
