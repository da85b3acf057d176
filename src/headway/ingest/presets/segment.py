"""Segment's spec (``track``, ``page``, ``screen``, ``identify``, ``group``, ``alias``) as Headway
activities, identity claims and contact attributes (docs/sdks.md, docs/import.md).

One message is one activity, whatever its call:

- ``contact`` is ``userId``, else ``anonymousId`` (numbers are written as their decimal text);
- ``type``: a ``track`` call's ``event`` verbatim (``Order Completed``); ``page`` ->
  ``page_visit`` and ``screen`` -> ``screen_view``, with the call's ``name`` and ``category``
  and the page's ``url``, ``path``, ``title``, ``referrer``, ``search`` (taken from
  ``context.page`` when the properties lack them) in the properties; ``identify``, ``group`` and
  ``alias`` keep their call's name as type;
- ``ts`` is ``timestamp``, else ``originalTimestamp``, ``receivedAt``, ``sentAt``;
- ``id`` is ``messageId`` (so a re-sent message is a duplicate, not a second activity);
- ``properties`` are the call's ``properties`` (a ``track``, ``page`` or ``screen``) or
  ``{"traits": ...}`` (``identify``, plus ``groupId`` for ``group``, ``previousId`` for
  ``alias``), with the message's ``context`` nested under a ``context`` key (a property named
  ``context`` wins); ``integrations`` and the other envelope fields are left out.

Identities: a message carrying both ``userId`` and ``anonymousId`` claims that the anonymous id
is that user from the message's time on; an ``alias`` claims ``previousId`` is ``userId``. An
``identify`` call's ``traits`` (else ``context.traits``, where RudderStack's SDKs put them)
become the contact's attributes. A message that cannot be mapped
raises ``Rejected`` naming the message's field (``userId``, ``event``, ``timestamp``, ...).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from headway.ingest.presets import IdentityClaim, Mapped
from headway.ingest.presets.fields import optional_id, parsed_time
from headway.ingest.records import Rejected

SOURCE = "segment"
CALLS = ("track", "page", "screen", "identify", "group", "alias")
PAGE_TYPE = "page_visit"
SCREEN_TYPE = "screen_view"
TIME_FIELDS = ("timestamp", "originalTimestamp", "receivedAt", "sentAt")
PAGE_FIELDS = ("url", "path", "title", "referrer", "search")


def map_record(raw: dict[str, Any]) -> Mapped:
    """One Segment message as Headway's activity, identity claims and attributes."""
    return map_message(raw, source=SOURCE)


def map_message(raw: Any, *, source: str) -> Mapped:
    """``map_record`` for any tool that follows Segment's spec, labelled with ``source``."""
    if not isinstance(raw, dict):
        raise Rejected(None, "is not a JSON object")
    call = _call(raw)
    contact = _contact(raw, call)
    at, ts = _time(raw)
    message_id = _text_id(raw, "messageId")
    kind, props = _TYPES[call](raw)
    context = _object(raw, "context")
    if context and "context" not in props:
        props["context"] = context
    activity = {"contact": contact, "type": kind, "ts": ts, "properties": props}
    if message_id is not None:
        activity["id"] = message_id
    activity["source"] = source
    mapped = Mapped(activities=[activity])
    anonymous = _text_id(raw, "anonymousId")
    if anonymous is not None and anonymous != contact:
        mapped.identities.append(IdentityClaim(anonymous, contact, at, message_id, source))
    if call == "alias":
        previous = _required_id(raw, "previousId")
        if previous != contact:
            mapped.identities.append(IdentityClaim(previous, contact, at, message_id, source))
    if call == "identify" and props.get("traits"):
        mapped.attributes.append((contact, dict(props["traits"])))
    return mapped


def _call(raw: dict[str, Any]) -> str:
    value = raw.get("type")
    if value is None:
        raise Rejected("type", f"is required (one of {', '.join(CALLS)})")
    if not isinstance(value, str) or value.lower() not in CALLS:
        raise Rejected("type", f"{value!r} is not a Segment call (one of {', '.join(CALLS)})")
    return value.lower()


def _contact(raw: dict[str, Any], call: str) -> str:
    user = _text_id(raw, "userId")
    if call == "alias":
        if user is None:
            raise Rejected("userId", "is required in an alias call")
        return user
    if user is not None:
        return user
    anonymous = _text_id(raw, "anonymousId")
    if anonymous is None:
        raise Rejected("userId", "a message needs a userId or an anonymousId")
    return anonymous


def _time(raw: dict[str, Any]) -> tuple[datetime, str]:
    for field in TIME_FIELDS:
        value = raw.get(field)
        if value is not None:
            parsed = parsed_time(value, field)
            return parsed, parsed.isoformat(timespec="microseconds") + "Z"
    raise Rejected("timestamp", f"is required (or one of {', '.join(TIME_FIELDS[1:])})")


def _text_id(raw: dict[str, Any], field: str) -> str | None:
    return optional_id(raw.get(field), field)  # Segment's clients send "" for an absent id


def _required_id(raw: dict[str, Any], field: str) -> str:
    value = _text_id(raw, field)
    if value is None:
        raise Rejected(field, "is required")
    return value


def _object(raw: dict[str, Any], field: str) -> dict[str, Any]:
    value = raw.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Rejected(field, "must be a JSON object")
    return dict(value)


def _name(raw: dict[str, Any], field: str) -> str | None:
    value = raw.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Rejected(field, "must be a string")
    return value


def _track(raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    event = raw.get("event")
    if event is None:
        raise Rejected("event", "is required in a track call")
    if not isinstance(event, str):
        raise Rejected("event", "must be a string")
    if not event.strip():
        raise Rejected("event", "must not be empty")
    return event, _object(raw, "properties")


def _view(kind: str) -> Any:
    def view(raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        props = _object(raw, "properties")
        for field in ("name", "category"):
            value = _name(raw, field)
            if value is not None:
                props.setdefault(field, value)
        page = _object(raw, "context").get("page")
        if isinstance(page, dict):
            for field in PAGE_FIELDS:
                if page.get(field) is not None:
                    props.setdefault(field, page[field])
        return kind, props

    return view


def _identify(raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    traits = _object(raw, "traits")
    if not traits:  # RudderStack's SDKs send an identify call's traits in its context
        nested = _object(raw, "context").get("traits")
        traits = dict(nested) if isinstance(nested, dict) else {}
    return "identify", ({"traits": traits} if traits else {})


def _group(raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    props: dict[str, Any] = {"groupId": _required_id(raw, "groupId")}
    traits = _object(raw, "traits")
    if traits:
        props["traits"] = traits
    return "group", props


def _alias(raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "alias", {"previousId": _required_id(raw, "previousId")}


_TYPES = {
    "track": _track,
    "page": _view(PAGE_TYPE),
    "screen": _view(SCREEN_TYPE),
    "identify": _identify,
    "group": _group,
    "alias": _alias,
}
