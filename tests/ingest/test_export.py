"""Export, and the round trip: export -> import into a new database gives identical activities."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from headway.errors import InvalidInput
from headway.ingest.export import export_activities
from headway.ingest.files import import_file
from headway.ingest.records import validate_records
from headway.store import Store

RECORDS = [
    {"id": "e1", "contact": "a@x.com", "type": "page_visit", "ts": "2024-03-01T10:00:00.123456Z",
     "properties": {"url": "/pricing?x=1", "nested": {"k": [1, 2.5, None]}, "flag": True}},
    {"id": "e2", "contact": "b", "type": "email_open", "ts": "2024-03-02T00:00:00Z",
     "bot": True, "bot_reason": "apple_mpp", "source": "sendgrid",
     "properties": {"email": "welcome-1", "note": 'quote " and, comma\nnewline'}},
    {"contact": "c", "type": "purchase", "ts": "2024-03-03T12:30:00+02:00", "properties": {"value": 12.5}},
    {"id": "e4", "contact": "a@x.com", "type": "form_submission", "ts": 1709500000},
]  # fmt: skip


def activity_rows(store: Store) -> list[tuple[object, ...]]:
    """Every activity with its external contact id and type name, properties parsed, sorted."""
    rows = store.execute(
        """SELECT a.id, c.id, t.name, a.ts, CAST(a.properties AS VARCHAR), a.bot, a.bot_reason,
                  a.source
        FROM activities a JOIN contacts c ON c.key = a.contact_key
        JOIN activity_types t ON t.code = a.type_code ORDER BY a.id"""
    ).rows
    return [(*r[:4], orjson.loads(r[4]) if r[4] else None, *r[5:]) for r in rows]


@pytest.fixture
def filled(store: Store) -> Store:
    """A store with the activities above."""
    table, details = validate_records(RECORDS, source="api")
    assert details == []
    store.append_activities(table)
    return store


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_round_trip_gives_identical_activities(filled: Store, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"export.{fmt}"
    assert export_activities(filled, out, fmt=fmt) == 4
    with Store(tmp_path / "new.duckdb") as fresh:
        result = import_file(fresh, out)
        assert (result.imported, result.rejected) == (4, 0)
        assert activity_rows(fresh) == activity_rows(filled)
        again = import_file(fresh, out)
        assert (again.imported, again.duplicates, again.rejected) == (0, 4, 0)


def test_csv_and_jsonl_timestamps_are_utc_with_z(filled: Store, tmp_path: Path) -> None:
    export_activities(filled, tmp_path / "a.csv", fmt="csv")
    lines = (tmp_path / "a.csv").read_text().splitlines()
    assert lines[0] == "id,contact,type,ts,properties,bot,bot_reason,source"
    assert lines[1].startswith('e1,a@x.com,page_visit,2024-03-01T10:00:00.123456Z,"{')
    export_activities(filled, tmp_path / "a.jsonl", fmt="jsonl")
    first = orjson.loads((tmp_path / "a.jsonl").read_bytes().splitlines()[0])
    assert first["ts"] == "2024-03-01T10:00:00.123456Z"
    assert first["properties"]["nested"] == {"k": [1, 2.5, None]}


def test_parquet_ts_is_timestamptz_and_properties_text(filled: Store, tmp_path: Path) -> None:
    export_activities(filled, tmp_path / "a.parquet", fmt="parquet")
    schema = pq.read_schema(tmp_path / "a.parquet")
    assert str(schema.field("ts").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("properties").type) == "string"


def test_filters_by_time_and_type(filled: Store, tmp_path: Path) -> None:
    out = tmp_path / "a.jsonl"
    assert export_activities(filled, out, fmt="jsonl", start="2024-03-02", end="2024-03-03") == 3
    ids = [orjson.loads(x)["type"] for x in out.read_bytes().splitlines()]
    # A bare --to date includes that whole day (e4 is at 2024-03-03T21:06:40Z).
    assert ids == ["email_open", "purchase", "form_submission"]
    assert export_activities(filled, out, fmt="jsonl", types=["page_visit", "purchase"]) == 2
    count = export_activities(
        filled, out, fmt="csv", start="2024-03-02T00:00:00Z", end="2024-03-02"
    )
    assert count == 1


def test_bad_arguments(filled: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown export format 'xml'"):
        export_activities(filled, tmp_path / "a.xml", fmt="xml")
    with pytest.raises(InvalidInput, match=r"--from: 'soon' is not a date"):
        export_activities(filled, tmp_path / "a.csv", fmt="csv", start="soon")
    with pytest.raises(InvalidInput, match="does not exist"):
        export_activities(filled, tmp_path / "no" / "a.csv", fmt="csv")


def test_exported_ts_values(filled: Store) -> None:
    ts = [r[3] for r in activity_rows(filled)]
    assert datetime(2024, 3, 3, 10, 30) in ts
