"""GA4 preset: BigQuery export rows (JSON and Parquet) with event_params flattened."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from headway.api import Headway
from headway.ingest.files import ImportOptions
from headway.ingest.presets.ga4 import flatten, map_record
from headway.ingest.records import Rejected
from headway.store import Store


def param(key: str, **value: object) -> dict[str, object]:
    """One GA4 key/value pair; the kinds not given are null, as BigQuery writes them."""
    kinds = {"string_value": None, "int_value": None, "float_value": None, "double_value": None}
    return {"key": key, "value": {**kinds, **value}}


ROW = {
    "event_timestamp": "1740992400000123",
    "event_name": "page_view",
    "event_params": [
        param("page_location", string_value="https://x.example/"),
        param("ga_session_id", int_value="1741000000"),  # INT64 written as text
        param("engagement_time_msec", int_value=12),
        param("value", double_value=9.5),
        param("content.group", string_value="home"),
    ],
    "user_id": None,
    "user_pseudo_id": "1234.5678",
    "user_properties": [param("plan", string_value="pro")],
    "geo": {"country": "Spain", "city": None},
    "items": [],
    "ecommerce": None,
}


def test_row_fields() -> None:
    mapped = map_record(ROW)
    assert mapped.activities == [
        {
            "id": None,
            "contact": "1234.5678",
            "type": "page_view",
            "ts": "2025-03-03T09:00:00.000123Z",
            "properties": {
                "geo": {"country": "Spain"},
                "page_location": "https://x.example/",
                "ga_session_id": 1741000000,
                "engagement_time_msec": 12,
                "value": 9.5,
                "content.group": "home",
            },
        }
    ]
    assert mapped.attributes == [("1234.5678", {"plan": "pro"})]
    assert mapped.identities == []


def test_user_id_is_the_contact_and_claims_the_cookie() -> None:
    mapped = map_record({**ROW, "user_id": "u-900"})
    assert mapped.activities[0]["contact"] == "u-900"
    assert [(c.alias, c.contact) for c in mapped.identities] == [("1234.5678", "u-900")]


def test_flatten_rejects_a_malformed_list() -> None:
    assert flatten(None, "event_params") == {}
    with pytest.raises(Rejected) as caught:
        flatten([{"value": {}}], "event_params")
    assert caught.value.field == "event_params"


def test_parquet_export_imports_like_json(db_path: Path, tmp_path: Path) -> None:
    """The same rows as nested Parquet (lists of structs) give the same activities."""
    params = [
        param("ga_session_id", int_value=1741000000),  # Parquet keeps INT64 as numbers
        param("content.group", string_value="home"),
    ]
    row = {**ROW, "event_timestamp": 1740992400000123, "event_params": params}
    rows = [row, {**row, "event_timestamp": 1740996000000000, "user_id": "u-900"}]
    path = tmp_path / "events_20250303.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    with Headway(Store(db_path)) as hw:
        outcome = hw.import_files([path], ImportOptions(preset="ga4"))
        assert (outcome.files[0].imported, outcome.rejected) == (2, 0)
        props = hw.store.execute(
            "SELECT CAST(properties AS VARCHAR) FROM activities ORDER BY ts LIMIT 1"
        ).scalar()
        contacts = hw.store.execute(
            "SELECT DISTINCT contact_key FROM activity_log"
        ).rows  # the cookie is merged into u-900
    assert '"ga_session_id":1741000000' in props and '"content.group":"home"' in props
    assert len(contacts) == 1
