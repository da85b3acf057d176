"""Google Analytics 4: the BigQuery export (``events_YYYYMMDD`` rows as JSON Lines or Parquet).

``event_name`` is the type, ``user_id`` the contact (else ``user_pseudo_id``, the cookie),
``event_timestamp`` (epoch microseconds) the time. ``event_params``, a list of
``{key, value: {string_value | int_value | float_value | double_value}}``, is flattened
into properties (``{"page_location": "…", "ga_session_id": 171…}``), next to the row's
``CONTEXT`` records (``device``, ``geo``, ``traffic_source``, …) kept as nested objects.
``user_properties`` (same shape) become contact attributes. A row with both ``user_id`` and
``user_pseudo_id`` ties the cookie to the user. GA4 rows carry no event id: the id is derived
from the content, so re-importing an export (or the daily table after the intraday one)
adds nothing.
"""

from __future__ import annotations

from typing import Any

from headway.ingest.presets import Mapped
from headway.ingest.presets.fields import claim_tie, epoch_text, event_name, first_id
from headway.ingest.records import Rejected

SOURCE = "ga4"
EXPECTED = ("event_name", "event_timestamp")
CONTEXT = (
    "platform",
    "stream_id",
    "device",
    "geo",
    "app_info",
    "traffic_source",
    "collected_traffic_source",
    "ecommerce",
    "items",
    "event_value_in_usd",
)
_VALUE_KINDS = ("string_value", "int_value", "double_value", "float_value")


def map_record(raw: dict[str, Any]) -> Mapped:
    """One row of a GA4 BigQuery export."""
    name = event_name(raw, "event_name")
    user, cookie = first_id(raw.get("user_id")), first_id(raw.get("user_pseudo_id"))
    contact = user or cookie
    if contact is None:
        raise Rejected("user_pseudo_id", "is required (or user_id)")
    ts = epoch_text(raw.get("event_timestamp"), "event_timestamp", unit="us")
    props: dict[str, Any] = {}
    for key in CONTEXT:
        value = _compact(raw.get(key))
        if value not in (None, {}, []):
            props[key] = value
    props.update(flatten(raw.get("event_params"), "event_params"))
    activity = {"id": None, "contact": contact, "type": name, "ts": ts, "properties": props}
    mapped = Mapped(activities=[activity])
    claim_tie(mapped, cookie, user, ts, None, SOURCE)
    attributes = flatten(raw.get("user_properties"), "user_properties")
    if attributes:
        mapped.attributes.append((contact, attributes))
    return mapped


def flatten(params: Any, field: str) -> dict[str, Any]:
    """GA4's ``[{key, value: {string_value, int_value, …}}]`` as ``{key: value}``."""
    if params is None:
        return {}
    if not isinstance(params, list):
        raise Rejected(field, "must be a list of {key, value} records")
    out: dict[str, Any] = {}
    for param in params:
        if not isinstance(param, dict) or not isinstance(param.get("key"), str):
            raise Rejected(field, "must be a list of {key, value} records")
        out[param["key"]] = _value(param.get("value"))
    return out


def _value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    for kind in _VALUE_KINDS:
        found = value.get(kind)
        if found is None:
            continue
        # BigQuery's JSON export writes INT64 as text.
        if kind == "int_value" and isinstance(found, str) and found.lstrip("-").isdigit():
            return int(found)
        return found
    return None


def _compact(value: Any) -> Any:
    """Nested records without their null fields (BigQuery writes every field)."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value
