"""The Segment and RudderStack presets: a Segment-spec message -> activity, claims, attributes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from headway.ingest.presets import IdentityClaim, rudderstack, segment
from headway.ingest.records import Rejected

T = "2025-03-01T10:00:00+01:00"
AT = datetime(2025, 3, 1, 9, 0)


def message(**fields: Any) -> dict[str, Any]:
    """A track message from a known user, overridden by ``fields``."""
    base = {"type": "track", "event": "Order Completed", "userId": "u1", "timestamp": T}
    return {**base, "messageId": "m1", **fields}


def test_a_track_call() -> None:
    raw = message(properties={"total": 9, "$x": [1]}, context={"ip": "1"}, integrations={"A": 1})
    mapped = segment.map_record(raw)
    assert mapped.activities == [
        {
            "contact": "u1",
            "type": "Order Completed",
            "ts": "2025-03-01T09:00:00.000000Z",
            "properties": {"total": 9, "$x": [1], "context": {"ip": "1"}},
            "id": "m1",
            "source": "segment",
        }
    ]
    assert (mapped.identities, mapped.attributes) == ([], [])


def test_the_anonymous_id_is_the_contact_until_a_user_id_claims_it() -> None:
    anonymous = segment.map_record(message(userId=None, anonymousId="a1"))
    assert anonymous.activities[0]["contact"] == "a1" and anonymous.identities == []
    both = segment.map_record(message(anonymousId="a1"))
    assert both.identities == [IdentityClaim("a1", "u1", AT, "m1", "segment")]
    empty = segment.map_record(message(userId="", anonymousId="a1"))  # as analytics.js sends
    assert empty.activities[0]["contact"] == "a1"
    numeric = segment.map_record(message(userId=42))
    assert numeric.activities[0]["contact"] == "42"


def test_a_page_takes_its_fields_from_the_context_unless_the_properties_have_them() -> None:
    page = {"url": "https://x.example/a", "path": "/a", "title": "A", "referrer": "r"}
    raw = message(type="page", name="Docs", category="Help", event=None)
    raw["properties"] = {"title": "Own title"}
    raw["context"] = {"page": page}
    props = segment.map_record(raw).activities[0]["properties"]
    assert segment.map_record(raw).activities[0]["type"] == "page_visit"
    assert props["title"] == "Own title"
    assert (props["url"], props["path"], props["referrer"]) == ("https://x.example/a", "/a", "r")
    assert (props["name"], props["category"]) == ("Docs", "Help")
    screen = segment.map_record(message(type="screen", name="Home"))
    assert screen.activities[0]["type"] == "screen_view"


def test_identify_sets_attributes_from_traits_or_context_traits() -> None:
    raw = message(type="identify", anonymousId="a1", traits={"email": "e@x.io"})
    mapped = segment.map_record(raw)
    assert mapped.activities[0]["type"] == "identify"
    assert mapped.activities[0]["properties"] == {"traits": {"email": "e@x.io"}}
    assert mapped.attributes == [("u1", {"email": "e@x.io"})]
    assert mapped.identities == [IdentityClaim("a1", "u1", AT, "m1", "segment")]
    rudder = rudderstack.map_record(message(type="identify", context={"traits": {"plan": "pro"}}))
    assert rudder.attributes == [("u1", {"plan": "pro"})]
    assert rudder.activities[0]["source"] == "rudderstack"


def test_group_and_alias() -> None:
    group = segment.map_record(message(type="group", groupId=7, traits={"name": "Acme"}))
    assert group.activities[0]["properties"] == {"groupId": "7", "traits": {"name": "Acme"}}
    assert group.attributes == []
    alias = segment.map_record(message(type="alias", previousId="old"))
    assert alias.activities[0]["properties"] == {"previousId": "old"}
    assert alias.identities == [IdentityClaim("old", "u1", AT, "m1", "segment")]


def test_the_time_falls_back_through_the_spec_fields() -> None:
    raw = message(timestamp=None, originalTimestamp=None, receivedAt="2025-03-01T10:00:00Z")
    assert segment.map_record(raw).activities[0]["ts"] == "2025-03-01T10:00:00.000000Z"
    raw = message(timestamp=None, originalTimestamp=1740823200)
    assert segment.map_record(raw).activities[0]["ts"] == "2025-03-01T10:00:00.000000Z"


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"type": None}, "type", "is required"),
        ({"type": "jump"}, "type", "is not a Segment call"),
        ({"event": None}, "event", "is required in a track call"),
        ({"event": "  "}, "event", "must not be empty"),
        ({"event": 5}, "event", "must be a string"),
        ({"userId": None}, "userId", "needs a userId or an anonymousId"),
        ({"userId": []}, "userId", "must be a string"),
        ({"timestamp": None}, "timestamp", "is required"),
        ({"timestamp": "2025-03-01"}, "timestamp", "has no time zone"),
        ({"sentAt": "x", "timestamp": None}, "sentAt", "is not a date"),
        ({"properties": [1]}, "properties", "must be a JSON object"),
        ({"context": "x"}, "context", "must be a JSON object"),
        ({"type": "alias"}, "previousId", "is required"),
        ({"type": "alias", "userId": None, "anonymousId": "a"}, "userId", "is required"),
        ({"type": "group"}, "groupId", "is required"),
    ],
)
def test_a_bad_message_names_its_field(fields: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(Rejected) as err:
        segment.map_record(message(**fields))
    assert err.value.field == field and reason in err.value.reason


def test_not_an_object() -> None:
    with pytest.raises(Rejected) as err:
        segment.map_record("track")  # type: ignore[arg-type]
    assert err.value.field is None
