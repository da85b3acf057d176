"""File import: CSV, Parquet and JSON Lines (plain and gzipped), mapping, rules, policies."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from headway.errors import InvalidInput
from headway.ingest.files import ImportOptions, import_file
from headway.ingest.mapping import ColumnMapping
from headway.store import Store

CSV = """id,contact,type,ts,url,value
e1,alice@x.com,page_visit,2024-03-01T10:00:00Z,/home,
e2,bob,purchase,2024-03-01T11:00:00+01:00,,12.5
e3,bob,purchase,2024-13-01,,1
e4,,page_visit,1709287200,/a,
e5,carol,bad	type,1709287200000,/a,
e6,carol,page_visit,2024-03-01 10:00,/a,
e1,alice@x.com,page_visit,2024-03-01T10:00:00Z,/home,
"""
EXPECTED_DETAILS = [
    "line 4: ts: '2024-13-01' is not a date",
    "line 5: contact: is required",
    "line 6: type: contains a control character (U+0009) at position 4",
    "line 7: ts: '2024-03-01 10:00' has no time zone (add an offset or pass --tz)",
]


def activities(store: Store) -> list[tuple[object, ...]]:
    """Every stored activity as (id, contact, type, ts, properties, bot, source), sorted."""
    return store.execute(
        """SELECT a.id, c.id, t.name, a.ts, CAST(a.properties AS VARCHAR), a.bot, a.source
        FROM activities a JOIN contacts c ON c.key = a.contact_key
        JOIN activity_types t ON t.code = a.type_code ORDER BY a.id"""
    ).rows


def csv_as_jsonl(text: str) -> bytes:
    """The CSV fixture's rows as JSON Lines, with the same values as strings."""
    header, *rows = text.strip().splitlines()
    names = header.split(",")
    lines = []
    for row in rows:
        record = {k: v for k, v in zip(names, row.split(","), strict=True) if v != ""}
        lines.append(orjson.dumps(record))
    return b"\n".join(lines) + b"\n"


def test_csv_valid_rows_imported_bad_rows_described(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(CSV)
    result = import_file(store, path)
    assert (result.imported, result.duplicates, result.rejected) == (2, 1, 4)
    assert [str(d) for d in result.details] == EXPECTED_DETAILS
    assert activities(store) == [
        (
            "e1",
            "alice@x.com",
            "page_visit",
            datetime(2024, 3, 1, 10),
            '{"url":"/home"}',
            False,
            "import",
        ),
        ("e2", "bob", "purchase", datetime(2024, 3, 1, 10), '{"value":12.5}', False, "import"),
    ]


def test_jsonl_gives_the_same_messages_as_csv(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(csv_as_jsonl(CSV))
    result = import_file(store, path)
    assert (result.imported, result.duplicates, result.rejected) == (2, 1, 4)
    # JSON Lines has no header line: the same records sit one line higher.
    shifted = [
        d.replace(f"line {n}", f"line {n - 1}")
        for d, n in zip(EXPECTED_DETAILS, [4, 5, 6, 7], strict=True)
    ]
    assert [str(d) for d in result.details] == shifted


def test_tz_makes_naive_timestamps_valid(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(CSV)
    result = import_file(store, path, ImportOptions(tz="Europe/Berlin"))
    assert result.rejected == 3
    ts = store.execute("SELECT ts FROM activities WHERE id = 'e6'").scalar()
    assert ts == datetime(2024, 3, 1, 9, 0)


def test_on_error_fail_writes_nothing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(CSV)
    with pytest.raises(InvalidInput) as caught:
        import_file(store, path, ImportOptions(on_error="fail"))
    assert (
        caught.value.message == f"{path}: 4 record(s) rejected; nothing from this file was written"
    )
    assert [str(d) for d in caught.value.details] == EXPECTED_DETAILS
    assert activities(store) == []
    assert store.execute("SELECT count(*) FROM contacts").scalar() == 0


def test_column_mapping_and_unmapped_columns_become_typed_properties(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "event_id,user_id,event,timestamp,plan,seats,contact\n"
        "x1,42,signup,2024-03-01T10:00:00Z,pro,3,someone\n"
    )
    mapping = ColumnMapping(contact="user_id", type="event", ts="timestamp", id="event_id")
    result = import_file(store, path, ImportOptions(mapping=mapping))
    assert result.imported == 1
    row = activities(store)[0]
    assert row[:3] == ("x1", "42", "signup")
    assert orjson.loads(str(row[4])) == {"plan": "pro", "seats": 3, "contact": "someone"}


def test_parquet_with_timestamptz_epoch_and_properties_column(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    table = pa.table(
        {
            "contact": ["a", "b", "c"],
            "type": ["t", "t", "t"],
            "ts": pa.array(
                [datetime(2024, 3, 1, 10, tzinfo=UTC), None, datetime(2024, 3, 2, tzinfo=UTC)],
                type=pa.timestamp("us", tz="UTC"),
            ),
            "properties": ['{"a": 1}', None, "[1]"],
            "score": [1.5, None, 2.0],
        }
    )
    pq.write_table(table, path)
    result = import_file(store, path)
    assert (result.imported, result.rejected) == (1, 2)
    assert [str(d) for d in result.details] == [
        "row 2: ts: is required",
        "row 3: properties: must be a JSON object",
    ]
    assert orjson.loads(str(activities(store)[0][4])) == {"score": 1.5, "a": 1}


def test_parquet_epoch_numbers_seconds_and_millis(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["s", "ms"],
                "contact": ["a", "a"],
                "type": ["t", "t"],
                "ts": [1709287200, 1709287200500],
            }
        ),
        path,
    )
    import_file(store, path)
    assert [r[3] for r in activities(store)] == [
        datetime(2024, 3, 1, 10, 0, 0, 500000),
        datetime(2024, 3, 1, 10, 0),
    ]


def test_parquet_naive_timestamps_need_tz(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "naive.parquet"
    pq.write_table(
        pa.table(
            {
                "contact": ["a"],
                "type": ["t"],
                "ts": pa.array([datetime(2024, 3, 1, 10)], pa.timestamp("us")),
            }
        ),
        path,
    )
    with pytest.raises(InvalidInput) as caught:
        import_file(store, path)
    assert caught.value.message == (
        f"{path}: column 'ts' holds timestamps without a time zone; say which zone they are in "
        "with --tz (for example --tz Europe/Prague), or --assume-utc"
    )
    import_file(store, path, ImportOptions(tz="America/New_York"))
    assert activities(store)[0][3] == datetime(2024, 3, 1, 15, 0)


def test_gzipped_jsonl_and_csv(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(csv_as_jsonl(CSV)))
    (tmp_path / "b.csv.gz").write_bytes(gzip.compress(CSV.replace("\ne", "\ng").encode()))
    first = import_file(store, tmp_path / "a.jsonl.gz")
    second = import_file(store, tmp_path / "b.csv.gz")
    assert (first.imported, second.imported) == (2, 2)


def test_same_file_twice_adds_nothing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(CSV)
    import_file(store, path)
    again = import_file(store, path)
    assert (again.imported, again.duplicates) == (0, 3)


def test_idless_rows_get_content_ids_and_dedupe(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("contact,type,ts\na,t,2024-03-01T10:00:00Z\na,t,2024-03-01T10:00:00Z\n")
    first = import_file(store, path)
    assert (first.imported, first.duplicates) == (1, 1)
    assert import_file(store, path).imported == 0


def test_csv_rows_that_do_not_parse_are_rejected_by_line(store: Store, tmp_path: Path) -> None:
    rows = ["contact,type,ts"] + [f"c{i},t,2024-01-01T00:00:00Z" for i in range(100)]
    rows[50] = "a,b,c,d,e"
    rows[60] = "x,y"
    rows[80] = "z,t,never"
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(rows) + "\n")
    result = import_file(store, path)
    assert (result.imported, result.rejected) == (97, 3)
    assert [str(d) for d in result.details] == [
        "line 51: has more fields than the header",
        "line 61: has fewer fields than the header",
        "line 81: ts: 'never' is not a date",
    ]


def test_progress_is_reported(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(CSV)
    seen: list[tuple[float, str]] = []
    import_file(store, path, report=lambda f, stage: seen.append((f, stage)))
    assert (1.0, "writing") in seen


@pytest.mark.parametrize(("name", "stage"), [("a.csv", "writing"), ("a.jsonl", "reading")])
def test_interrupt_leaves_nothing_half_written(
    store: Store, tmp_path: Path, name: str, stage: str
) -> None:
    path = tmp_path / name
    path.write_bytes(CSV.encode() if name.endswith(".csv") else csv_as_jsonl(CSV))

    def interrupt(fraction: float, current: str) -> None:
        if current == stage:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(store, path, report=interrupt)
    assert activities(store) == []
    assert store.execute("SELECT count(*) FROM contacts").scalar() == 0
    assert import_file(store, path).imported == 2  # the store is still usable
