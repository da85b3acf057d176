"""Amplitude preset: exported events as activities, device claims and user properties."""

from __future__ import annotations

from datetime import datetime

import pytest

from headway.ingest.presets.amplitude import map_record
from headway.ingest.records import Rejected

EVENT = {
    "uuid": "u-1",
    "$insert_id": "i-1",
    "event_type": "[Amplitude] Page Viewed",
    "user_id": "ana-42",
    "device_id": "dev-1",
    "event_time": "2025-03-03 09:00:00.250000",
    "event_properties": {"[Amplitude] Page Path": "/pricing", "country": "override"},
    "user_properties": {"plan": "pro"},
    "country": "Czechia",
    "city": "Brno",
    "ip_address": "10.0.0.1",
}


def test_event_fields_and_context() -> None:
    mapped = map_record(EVENT)
    assert mapped.activities == [
        {
            "id": "u-1",
            "contact": "ana-42",
            "type": "[Amplitude] Page Viewed",
            "ts": "2025-03-03T09:00:00.250000Z",  # Amplitude's event_time is UTC
            "properties": {
                "[Amplitude] Page Path": "/pricing",
                "country": "override",
                "city": "Brno",
            },
        }
    ]
    assert mapped.attributes == [("ana-42", {"plan": "pro"})]
    assert [(c.alias, c.contact, c.at) for c in mapped.identities] == [
        ("dev-1", "ana-42", datetime(2025, 3, 3, 9, 0, 0, 250000))
    ]


def test_device_only_event_counts_for_the_device() -> None:
    mapped = map_record({**EVENT, "user_id": None, "uuid": None})
    assert mapped.activities[0]["contact"] == "dev-1"
    assert mapped.activities[0]["id"] == "i-1"
    assert mapped.identities == []


def test_identify_operations_are_applied() -> None:
    props = {"$set": {"plan": "team"}, "$setOnce": {"first": "2025", "plan": "free"}}
    mapped = map_record({**EVENT, "event_type": "$identify", "user_properties": props})
    assert mapped.attributes == [("ana-42", {"first": "2025", "plan": "team"})]


def test_http_api_shape_with_epoch_ms() -> None:
    record = {"event_type": "x", "user_id": "u", "time": 1740992400000}
    assert map_record(record).activities[0]["ts"] == "2025-03-03T09:00:00.000000Z"


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"event_type": None}, "event_type", "is required"),
        ({"user_id": None, "device_id": None}, "user_id", "is required (or device_id)"),
        ({"event_time": None, "client_event_time": None}, "event_time", "is required"),
        ({"event_properties": "[1]"}, "event_properties", "must be a JSON object"),
    ],
)
def test_rejections_name_the_field(change: dict[str, object], field: str, reason: str) -> None:
    with pytest.raises(Rejected) as caught:
        map_record({**EVENT, **change})
    assert (caught.value.field, caught.value.reason) == (field, reason)
