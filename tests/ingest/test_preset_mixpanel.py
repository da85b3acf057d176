"""Mixpanel preset: raw export events and profiles as activities, claims and attributes."""

from __future__ import annotations

from datetime import datetime

import pytest

from headway.ingest.presets import IdentityClaim
from headway.ingest.presets.mixpanel import map_record
from headway.ingest.records import Rejected

EVENT = {
    "event": "Sign Up",
    "properties": {
        "time": 1740992400,
        "distinct_id": "ana@example.com",
        "$insert_id": "mp-1",
        "$device_id": "a1b2",
        "$user_id": "ana@example.com",
        "page.section": "home",
    },
}


def test_event_fields() -> None:
    (activity,) = map_record(EVENT).activities
    assert activity == {
        "id": "mp-1",
        "contact": "ana@example.com",
        "type": "Sign Up",
        "ts": "2025-03-03T09:00:00.000000Z",
        "properties": {"$device_id": "a1b2", "$user_id": "ana@example.com", "page.section": "home"},
    }


def test_time_in_milliseconds_is_the_same_instant() -> None:
    ms = {**EVENT, "properties": {**EVENT["properties"], "time": 1740992400123}}
    assert map_record(ms).activities[0]["ts"] == "2025-03-03T09:00:00.123000Z"


def test_simplified_id_merge_ties_the_device_to_the_user() -> None:
    claims = map_record(EVENT).identities
    assert claims == [
        IdentityClaim(
            "$device:a1b2", "ana@example.com", datetime(2025, 3, 3, 9), "mp-1", "mixpanel"
        )
    ]


def test_identify_and_create_alias() -> None:
    identify = {
        "event": "$identify",
        "properties": {"time": 1740992400, "distinct_id": "ana", "$anon_distinct_id": "anon-9"},
    }
    assert [(c.alias, c.contact) for c in map_record(identify).identities] == [("anon-9", "ana")]
    alias = {
        "event": "$create_alias",
        "properties": {"time": 1740992400, "distinct_id": "anon-7", "alias": "bo"},
    }
    assert [(c.alias, c.contact) for c in map_record(alias).identities] == [("anon-7", "bo")]


def test_profile_sets_attributes_only() -> None:
    mapped = map_record({"$distinct_id": "bo", "$properties": {"$name": "Bo", "país": "Sverige"}})
    assert mapped.activities == []
    assert mapped.attributes == [("bo", {"$name": "Bo", "país": "Sverige"})]


@pytest.mark.parametrize(
    ("record", "field", "reason"),
    [
        ({"properties": {}}, "event", "is required"),
        ({"event": 3, "properties": {}}, "event", "must be a string"),
        ({"event": "x", "properties": []}, "properties", "must be a JSON object"),
        ({"event": "x", "properties": {"distinct_id": "a"}}, "properties.time", "is required"),
        (
            {"event": "x", "properties": {"time": "soon", "distinct_id": "a"}},
            "properties.time",
            "'soon' is not a date",
        ),
        (
            {"event": "x", "properties": {"time": 1740992400}},
            "properties.distinct_id",
            "is required",
        ),
    ],
)
def test_rejections_name_the_field(record: dict[str, object], field: str, reason: str) -> None:
    with pytest.raises(Rejected) as caught:
        map_record(record)
    assert (caught.value.field, caught.value.reason) == (field, reason)
