"""``export_table``: the store as a contact-partitioned Parquet / Delta table for Spark."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import deltalake
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from headway.errors import InvalidInput
from headway.ingest.records import validate_records
from headway.store import Store, identities
from headway.store.table_export import MANIFEST, check_target, export_table

RECORDS = [
    {"id": "e1", "contact": "ann", "type": "page_visit", "ts": "2025-03-01T10:00:00.123456Z",
     "properties": {"url": "/pricing", "n": {"k": [1, 2.5, None]}}},
    {"id": "e2", "contact": "bob", "type": "email_open", "ts": "2025-03-02T00:00:00Z",
     "bot": True, "source": "sendgrid", "properties": {"email": "welcome"}},
    {"id": "e3", "contact": "ann", "type": "purchase", "ts": "2025-02-01T08:00:00Z"},
    {"id": "e4", "contact": "anon-1", "type": "page_visit", "ts": "2025-01-01T00:00:00Z",
     "properties": {"url": "/"}},
    {"id": "e5", "contact": "cy", "type": "page_visit", "ts": "2025-03-05T12:00:00Z"},
] + [
    {"id": f"x{i}", "contact": f"c{i % 7}", "type": "page_visit",
     "ts": f"2025-04-{1 + i % 28:02d}T{i % 24:02d}:00:00Z", "properties": {"i": i}}
    for i in range(60)
]  # fmt: skip


@pytest.fixture
def filled(store: Store) -> Store:
    """A store with a few contacts, one anonymous id merged into ``ann``."""
    table, problems = validate_records(RECORDS, source="import")
    assert problems == []
    store.append_activities(table)
    identities.merge(store, "anon-1", "ann")
    identities.store_attributes(
        store, [("ann", {"country": "FR"}), ("bob", {"plan": {"tier": "pro"}})]
    )
    return store


def read_activities(root: Path) -> pa.Table:
    """The exported activities, bucket column included, in file order."""
    return ds.dataset(root / "activities", format="parquet", partitioning="hive").to_table()


def test_layout_columns_and_identity_resolution(filled: Store, tmp_path: Path) -> None:
    out = tmp_path / "lake"
    report = export_table(filled, out, buckets=3)
    assert (report.format, report.buckets, report.activities) == ("parquet", 3, len(RECORDS))
    assert report.contacts == 11  # ann, bob, anon-1, cy, c0..c6
    assert sorted(p.name for p in (out / "activities").iterdir()) == [
        "bucket=0", "bucket=1", "bucket=2"
    ]  # fmt: skip
    file = pq.read_table(out / "activities" / "bucket=0" / "part-0.parquet")
    assert file.schema.names == [
        "id", "contact", "contact_key", "type", "ts", "properties", "source", "bot"
    ]  # fmt: skip
    assert file.schema.field("contact_key").type == pa.int64()
    assert file.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    rows = {r["id"]: r for r in read_activities(out).to_pylist()}
    keys = dict(filled.execute("SELECT id, contact_key FROM activity_log").rows)
    assert rows["e4"]["contact"] == "ann"  # merged: counts for ann, with ann's key
    assert rows["e4"]["contact_key"] == keys["e4"] == keys["e1"]
    assert rows["e1"]["ts"] == datetime(2025, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert json.loads(rows["e1"]["properties"]) == {"url": "/pricing", "n": {"k": [1, 2.5, None]}}
    assert rows["e3"]["properties"] is None
    assert (rows["e2"]["type"], rows["e2"]["source"], rows["e2"]["bot"]) == (
        "email_open", "sendgrid", True
    )  # fmt: skip
    assert all(r["bucket"] == r["contact_key"] % 3 for r in rows.values())


def test_each_bucket_is_sorted_by_contact_then_time(filled: Store, tmp_path: Path) -> None:
    export_table(filled, tmp_path / "lake", buckets=2)
    for file in sorted((tmp_path / "lake" / "activities").glob("bucket=*/*.parquet")):
        rows = pq.read_table(file).select(["contact_key", "ts"]).to_pylist()
        order = [(r["contact_key"], r["ts"]) for r in rows]
        assert order == sorted(order) and len(order) > 0


def test_contacts_table_and_manifest(filled: Store, tmp_path: Path) -> None:
    export_table(filled, tmp_path / "lake")
    contacts = pq.read_table(tmp_path / "lake" / "contacts" / "part-0.parquet")
    assert contacts.schema.names == ["key", "id", "attributes"]
    by_id = {r["id"]: r for r in contacts.to_pylist()}
    assert json.loads(by_id["bob"]["attributes"]) == {"plan": {"tier": "pro"}}
    assert by_id["cy"]["attributes"] is None
    manifest = json.loads((tmp_path / "lake" / MANIFEST).read_text())
    assert (manifest["buckets"], manifest["activities"]) == (1, len(RECORDS))
    # What Spark takes from the manifest instead of scanning: the types and the files.
    assert manifest["types"] == sorted({r["type"] for r in RECORDS})
    file = tmp_path / "lake" / "activities" / "bucket=0" / "part-0.parquet"
    assert manifest["files"] == {"bucket=0/part-0.parquet": file.stat().st_size}


def test_delta_holds_the_same_rows_as_parquet(filled: Store, tmp_path: Path) -> None:
    export_table(filled, tmp_path / "pq", "parquet", buckets=2)
    export_table(filled, tmp_path / "delta", "delta", buckets=2)
    table = deltalake.DeltaTable(str(tmp_path / "delta" / "activities"))
    assert table.metadata().partition_columns == ["bucket"]
    got = table.to_pyarrow_table().sort_by("id")
    want = read_activities(tmp_path / "pq").sort_by("id")
    assert got.select(want.schema.names).cast(want.schema).equals(want)
    contacts = deltalake.DeltaTable(str(tmp_path / "delta" / "contacts")).to_pyarrow_table()
    assert contacts.num_rows == 11


def test_an_empty_store_exports_empty_tables(db_path: Path, tmp_path: Path) -> None:
    with Store(db_path) as empty:
        report = export_table(empty, tmp_path / "lake")
    assert (report.activities, report.contacts, report.buckets) == (0, 0, 1)
    assert read_activities(tmp_path / "lake").num_rows == 0


def test_refuses_a_non_empty_directory_without_overwrite(filled: Store, tmp_path: Path) -> None:
    out = tmp_path / "lake"
    export_table(filled, out, buckets=2)
    with pytest.raises(InvalidInput, match=r"is not empty; pass --overwrite"):
        export_table(filled, out)
    report = export_table(filled, out, buckets=1, overwrite=True)
    assert report.buckets == 1
    assert sorted(p.name for p in (out / "activities").iterdir()) == ["bucket=0"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_overwrite_replaces_only_an_earlier_export(filled: Store, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with pytest.raises(InvalidInput, match="not a Headway export"):
        export_table(filled, mine, overwrite=True)
    assert (mine / "thesis.tex").read_text() == "precious"


@pytest.mark.parametrize(
    ("fmt", "make", "message"),
    [
        ("csv", None, "unknown table format 'csv': use parquet or delta"),
        ("parquet", "file", "is a file; give a directory"),
        ("parquet", "no-parent", "does not exist; create it first"),
    ],
)
def test_bad_targets(tmp_path: Path, fmt: str, make: str | None, message: str) -> None:
    target = tmp_path / "out"
    if make == "file":
        target.write_text("x")
    if make == "no-parent":
        target = tmp_path / "missing" / "out"
    with pytest.raises(InvalidInput, match=message):
        check_target(target, fmt, overwrite=False)


def test_bucket_count_is_checked(filled: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="--buckets must be between 1 and 1024, not 0"):
        export_table(filled, tmp_path / "lake", buckets=0)
    assert not (tmp_path / "lake").exists()
