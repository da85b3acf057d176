"""The PostHog preset: one event -> activity, identity claims, attributes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from headway.ingest.presets import IdentityClaim, posthog
from headway.ingest.records import Rejected

AT = datetime(2025, 3, 1, 10, 0)


def event(name: str = "$pageview", **fields: Any) -> dict[str, Any]:
    """An event of ``d1`` with uuid ``e1``, overridden by ``fields``."""
    base = {"event": name, "distinct_id": "d1", "uuid": "e1", "timestamp": "2025-03-01T10:00:00Z"}
    return {**base, **fields}


def test_an_event_keeps_its_name_and_properties_verbatim() -> None:
    props = {"$current_url": "https://x.example/", "$browser": "Firefox", "a.b": {"c d": 1}}
    mapped = posthog.map_record(event(properties=props))
    assert mapped.activities == [
        {
            "contact": "d1",
            "type": "$pageview",
            "ts": "2025-03-01T10:00:00.000000Z",
            "properties": props,
            "source": "posthog",
            "id": "e1",
        }
    ]
    assert (mapped.identities, mapped.attributes) == ([], [])


def test_set_and_set_once_become_attributes_and_leave_the_properties() -> None:
    props = {"$set": {"plan": "pro"}, "$set_once": {"plan": "free", "first": "2025"}, "k": 1}
    mapped = posthog.map_record(event(properties=props, **{"$set": {"email": "e@x.io"}}))
    assert mapped.activities[0]["properties"] == {"k": 1}
    assert mapped.attributes == [("d1", {"plan": "pro", "first": "2025", "email": "e@x.io"})]


def test_identify_alias_and_merge_claims() -> None:
    identify = posthog.map_record(event("$identify", properties={"$anon_distinct_id": "anon"}))
    assert identify.identities == [IdentityClaim("anon", "d1", AT, "e1", "posthog")]
    for name in ("$create_alias", "$merge_dangerously"):
        mapped = posthog.map_record(event(name, properties={"alias": "device-9"}))
        assert mapped.identities == [IdentityClaim("device-9", "d1", AT, "e1", "posthog")]
    same = posthog.map_record(event("$identify", properties={"$anon_distinct_id": "d1"}))
    assert same.identities == []


def test_the_js_client_shape() -> None:
    """posthog-js puts distinct_id and the project key in the properties and dates by $time."""
    raw = {
        "event": "$autocapture",
        "properties": {"distinct_id": "d2", "token": "k", "$time": 1740823200.5},
    }
    activity = posthog.map_record(raw).activities[0]
    assert activity["contact"] == "d2"
    assert activity["ts"] == "2025-03-01T10:00:00.500000Z"
    assert "token" not in activity["properties"] and "id" not in activity


def test_an_offset_dates_the_event_before_it_was_received() -> None:
    raw = {"event": "x", "distinct_id": "d", "offset": 1500}
    mapped = posthog.map_event(raw, received=datetime(2025, 3, 1, 10, 0, 2))
    assert mapped.activities[0]["ts"] == "2025-03-01T10:00:00.500000Z"


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"event": None}, "event", "is required"),
        ({"event": ""}, "event", "must not be empty"),
        ({"distinct_id": None}, "distinct_id", "is required"),
        ({"distinct_id": {"a": 1}}, "distinct_id", "must be a string"),
        ({"timestamp": None}, "timestamp", "is required"),
        ({"timestamp": "noon"}, "timestamp", "is not a date"),
        ({"uuid": 1.5}, "uuid", "must be a string"),
        ({"properties": "x"}, "properties", "must be a JSON object"),
        ({"$set": [1]}, "$set", "must be a JSON object"),
        ({"event": "$create_alias"}, "properties.alias", "is required"),
    ],
)
def test_a_bad_event_names_its_field(fields: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(Rejected) as err:
        posthog.map_record(event(**fields))
    assert err.value.field == field and reason in err.value.reason


def test_a_batch_export_row_with_json_text_and_set_columns() -> None:
    """PostHog's S3/Parquet batch exports hold properties as JSON text and name $set 'set'."""
    row = event(properties='{"$current_url": "https://x.example/"}', set='{"plan": "pro"}')
    row["set_once"] = {"first": "2025"}
    mapped = posthog.map_record(row)
    assert mapped.activities[0]["properties"] == {"$current_url": "https://x.example/"}
    assert mapped.attributes == [("d1", {"first": "2025", "plan": "pro"})]
    with pytest.raises(Rejected) as err:
        posthog.map_record(event(properties="{not json"))
    assert err.value.field == "properties" and "JSON text" in err.value.reason
