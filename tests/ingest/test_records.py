"""Activity record validation: the rules and messages shared by every input path."""

from __future__ import annotations

from datetime import datetime

import pytest

from headway.errors import Detail, InvalidInput
from headway.ingest.records import validate_records

GOOD = {"contact": "a@x.com", "type": "page_visit", "ts": "2024-03-01T10:00:00Z"}


def one(record: object, tz: str | None = None) -> list[str]:
    """The rejection messages for one record (empty when valid)."""
    _, details = validate_records([record], source="api", tz=tz)
    return [str(d) for d in details]


def test_valid_record_becomes_canonical_columns() -> None:
    table, details = validate_records([{**GOOD, "id": "e1", "url": "/x"}], source="api")
    assert details == []
    row = table.to_pylist()[0]
    assert row == {
        "id": "e1",
        "contact": "a@x.com",
        "type": "page_visit",
        "ts": datetime(2024, 3, 1, 10, 0),
        "properties": '{"url":"/x"}',
        "bot": False,
        "bot_reason": None,
        "source": "api",
    }


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        ("2024-03-01T10:00:00+01:00", datetime(2024, 3, 1, 9, 0)),
        ("2024-03-01 10:00Z", datetime(2024, 3, 1, 10, 0)),
        ("2024-03-01T10:00:00.1234567-0130", datetime(2024, 3, 1, 11, 30, 0, 123456)),
        (1709287200, datetime(2024, 3, 1, 10, 0)),
        (1709287200500, datetime(2024, 3, 1, 10, 0, 0, 500000)),
        ("1709287200", datetime(2024, 3, 1, 10, 0)),
        (1709287200.25, datetime(2024, 3, 1, 10, 0, 0, 250000)),
    ],
)
def test_timestamps_iso_with_offset_or_epoch(ts: object, expected: datetime) -> None:
    table, details = validate_records([{**GOOD, "ts": ts}], source="api")
    assert details == []
    assert table.column("ts").to_pylist() == [expected]


def test_naive_timestamp_needs_tz() -> None:
    assert one({**GOOD, "ts": "2024-03-01 10:00"}) == [
        "0: ts: '2024-03-01 10:00' has no time zone (add an offset or pass --tz)"
    ]
    table, details = validate_records(
        [{**GOOD, "ts": "2024-03-01 10:00"}], source="api", tz="Europe/Berlin"
    )
    assert details == []
    assert table.column("ts").to_pylist() == [datetime(2024, 3, 1, 9, 0)]


def test_unknown_tz_is_one_error() -> None:
    with pytest.raises(InvalidInput, match="unknown time zone 'Mars/Olympus'"):
        validate_records([GOOD], source="api", tz="Mars/Olympus")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ts": "2024-13-01"}, "ts: '2024-13-01' is not a date"),
        ({"ts": "yesterday"}, "ts: 'yesterday' is not a date"),
        ({"ts": True}, "ts: 'true' is not a date"),
        ({"ts": None}, "ts: is required"),
        ({"contact": None}, "contact: is required"),
        ({"contact": "  "}, "contact: must not be empty"),
        ({"contact": 1.5}, "contact: must be a string"),
        ({"type": ""}, "type: must not be empty"),
        ({"type": "x" * 201}, "type: is longer than 200 characters (201)"),
        ({"type": "page\nview"}, "type: contains a control character (U+000A) at position 5"),
        ({"type": "a\x85"}, "type: contains a control character (U+0085) at position 2"),
        ({"type": 1.5}, "type: must be a string"),
        (
            {"properties": {"ctx": {"bad\tkey": 1}}},
            "properties: has a key 'ctx.bad\\tkey' that contains a control character"
            " (U+0009) at position 4",
        ),
        ({"properties": {"": 1}}, "properties: has a key '\"\"' that must not be empty"),
        (
            {"properties": {"k" * 201: 1}},
            f"properties: has a key '{'k' * 77}...' that is longer than 200 characters (201)",
        ),
        (
            {"properties": {"a.b": {"": 1}}},
            'properties: has a key \'"a.b".""\' that must not be empty',
        ),
        ({"id": ""}, "id: must not be empty"),
        ({"id": [1]}, "id: must be a string"),
        ({"properties": [1, 2]}, "properties: must be a JSON object"),
        ({"bot": "yes"}, "bot: must be true or false"),
        ({"bot_reason": 3}, "bot_reason: must be a string"),
    ],
)
def test_rejections_name_field_and_reason(change: dict[str, object], message: str) -> None:
    record = {**GOOD, **change}
    assert one(record) == [f"0: {message}"]


def test_numeric_contact_and_id_are_text() -> None:
    table, details = validate_records([{**GOOD, "contact": 42, "id": 7}], source="api")
    assert details == []
    assert table.column("contact").to_pylist() == ["42"]
    assert table.column("id").to_pylist() == ["7"]


def test_unknown_keys_become_properties_and_properties_win() -> None:
    record = {**GOOD, "url": "/a", "form": "x", "properties": {"form": "y", "n": 1}}
    table, _ = validate_records([record], source="api")
    assert table.column("properties").to_pylist() == ['{"url":"/a","form":"y","n":1}']


def test_record_source_overrides_default_and_bot_fields_kept() -> None:
    record = {**GOOD, "source": "sendgrid", "bot": True, "bot_reason": "mpp"}
    row = validate_records([record], source="api")[0].to_pylist()[0]
    assert (row["source"], row["bot"], row["bot_reason"]) == ("sendgrid", True, "mpp")


def test_index_and_label_name_the_record() -> None:
    records = [GOOD, "not an object", {**GOOD, "type": None}]
    _, details = validate_records(records, source="api", first_index=10)
    assert details == [
        Detail("is not a JSON object", record=11),
        Detail("is required", field="type", record=12),
    ]
    _, details = validate_records(
        [{**GOOD, "ts": "2024-13-01"}], source="x", first_index=1204, label="line"
    )
    assert [str(d) for d in details] == ["line 1204: ts: '2024-13-01' is not a date"]
