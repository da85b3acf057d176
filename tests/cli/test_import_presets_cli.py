"""``headway import --from/--map/--dry-run/--assume-utc``, ``headway imports`` and ``imports undo``."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from headway.cli import app
from headway.errors import Conflict, InvalidInput, NotFound
from headway.store import Store

runner = CliRunner()
SAMPLES = Path(__file__).parents[2] / "examples" / "imports"
CSV_MAP = "contact=user_id,anonymous=cookie_id,type=event name,ts=time,id=event_id"


def count(db: Path, sql: str = "SELECT count(*) FROM activities") -> int:
    """One number from the database."""
    with Store(db, read_only=True) as store:
        return int(store.execute(sql).scalar())


def run(db: Path, *args: str) -> object:
    """``headway --db DB ARGS`` through Typer's runner."""
    return runner.invoke(app, ["--db", str(db), *args])


def test_from_preset_prints_counts_claims_and_the_import_id(db_path: Path) -> None:
    result = run(db_path, "import", str(SAMPLES / "mixpanel.jsonl"), "--from", "mixpanel")
    assert result.exit_code == 0, result.output
    path = SAMPLES / "mixpanel.jsonl"
    assert result.output == (
        f"{path}: 9 imported, 1 duplicates, 0 rejected\n"
        f"{path}: 1 identity claim recorded, attributes set on 2 contacts\n"
        "import 1 (undo it with: headway imports undo 1)\n"
    )


def test_map_and_assume_utc(db_path: Path) -> None:
    path = str(SAMPLES / "events.csv")
    result = run(db_path, "import", path, "--from", "csv", "--map", CSV_MAP, "--assume-utc")
    assert result.exit_code == 0, result.output
    assert count(db_path) == 7
    with Store(db_path, read_only=True) as store:
        first = store.execute("SELECT min(ts) FROM activities").scalar()
    assert first.isoformat() == "2025-03-03T09:00:00"


def test_timestamps_without_zone_are_one_error_with_the_fix(db_path: Path) -> None:
    path = SAMPLES / "events.csv"
    result = run(db_path, "import", str(path), "--from", "csv", "--map", CSV_MAP)
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.message == (
        f"{path}: 7 of 7 timestamps have no time zone (the first, line 2: '2025-03-03 09:00:00'); "
        "say which zone they are in with --tz (for example --tz Europe/Prague), or --assume-utc "
        "if they are UTC; nothing from this file was written"
    )
    assert result.exception.details == ()
    assert not db_path.exists()  # found before anything is written, the database not opened


def test_zone_check_of_every_file_comes_before_any_is_written(
    db_path: Path, tmp_path: Path
) -> None:
    good, naive = tmp_path / "good.jsonl", tmp_path / "naive.csv"
    good.write_text('{"contact": "a", "type": "t", "ts": "2025-03-03T10:00:00Z"}\n')
    naive.write_text("contact,type,ts\na,t,2025-03-03 10:00\nb,t,2025-03-03 11:00\n")
    result = run(db_path, "import", str(good), str(naive))
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.message.startswith(f"{naive}: 2 of 2 timestamps have no time zone")
    assert not db_path.exists()


def test_a_file_whose_zones_go_missing_late_still_gets_one_error(
    db_path: Path, tmp_path: Path
) -> None:
    """The first 1000 records have zones; the rest do not: one error, the file not written."""
    path = tmp_path / "late.jsonl"
    lines = [f'{{"contact": "c", "type": "t", "ts": {1740992400 + i}}}' for i in range(1000)]
    lines += [
        f'{{"contact": "c", "type": "t", "ts": "2025-03-04 10:{i % 60:02d}"}}' for i in range(1500)
    ]
    path.write_text("\n".join(lines) + "\n")
    result = run(db_path, "import", str(path))
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.message.startswith(
        f"{path}: 1500 of 2500 timestamps have no time zone (the first, line 1001: "
        "'2025-03-04 10:00')"
    )
    assert count(db_path) == 0
    assert count(db_path, "SELECT count(*) FROM imports") == 0  # an import that wrote nothing


def test_plain_file_without_zones_is_one_error_too(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        "".join(
            f'{{"contact": "c{i}", "type": "t", "ts": "2025-03-0{i} 10:00"}}\n' for i in range(1, 4)
        )
    )
    result = run(db_path, "import", str(path))
    assert isinstance(result.exception, InvalidInput)
    assert "3 of 3 timestamps have no time zone (the first, line 1: '2025-03-01 10:00')" in (
        result.exception.message
    )
    assert run(db_path, "import", str(path), "--tz", "Europe/Prague").exit_code == 0
    assert count(db_path) == 3


def test_tz_and_assume_utc_together(db_path: Path) -> None:
    path = str(SAMPLES / "events.csv")
    result = run(db_path, "import", path, "--tz", "UTC", "--assume-utc")
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.message == "pass --tz or --assume-utc, not both"


def test_every_missing_field_of_a_jsonl_file_in_one_message(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"user": "a", "event": "x", "time": 1}\n{"user": "b", "event": "y", "time": 2}\n'
    )
    result = run(db_path, "import", str(path))
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.message == (
        f"{path}: no field 'contact', 'type', 'ts' in the first 2 records (their keys: 'user', "
        "'event', 'time'); name the right ones with --map contact=COLUMN,type=COLUMN,ts=COLUMN"
    )
    mapped = run(db_path, "import", str(path), "--map", "contact=user,type=event,ts=time")
    assert mapped.exit_code == 0, mapped.output
    assert count(db_path) == 2


def test_wrong_preset_is_one_message(db_path: Path) -> None:
    path = SAMPLES / "mixpanel.jsonl"
    result = run(db_path, "import", str(path), "--from", "ga4")
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.message.startswith(
        f"{path} does not look like a ga4 export: none of the first 12 records has "
        "'event_name', 'event_timestamp' (their keys: 'event', 'properties', '$distinct_id'"
    )
    result = run(db_path, "import", str(path), "--from", "heap")
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.message.startswith("unknown source 'heap' for --from (use one of: ")


def test_dry_run_counts_types_and_problems_and_writes_nothing(
    db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "e.jsonl"
    lines = [
        '{"contact": "a", "type": "$pageview", "ts": "2025-03-03T10:00:00Z"}',
        '{"contact": "b", "type": "$pageview", "ts": "2025-03-03T11:00:00Z"}',
        '{"contact": "b", "type": "Order Completed", "ts": "2025-03-03T12:00:00Z"}',
        '{"contact": "c", "type": "Order Completed", "ts": "2025-13-03T12:00:00Z"}',
    ]
    path.write_text("\n".join(lines) + "\n")
    result = run(db_path, "import", str(path), "--dry-run")
    assert result.exit_code == 3, result.output
    assert result.output == (
        "dry run: nothing was written\n"
        f"{path}: 3 would be imported, 0 duplicates, 1 rejected\n"
        "  2 types: $pageview (2), Order Completed (1)\n"
        f"  {path}: line 4: ts: '2025-13-03T12:00:00Z' is not a date\n"
    )
    assert not db_path.exists()  # a dry run on a new database does not create it
    assert run(db_path, "import", str(path)).exit_code == 3
    again = run(db_path, "import", str(path), "--dry-run")
    assert f"{path}: 0 would be imported, 3 duplicates, 1 rejected" in again.output
    assert count(db_path) == 3
    assert count(db_path, "SELECT count(*) FROM imports") == 1


def test_type_column_warnings_come_before_writing(db_path: Path, tmp_path: Path) -> None:
    unique = tmp_path / "ids.csv"
    unique.write_text(
        "contact,type,ts\n" + "".join(f"c,evt-{i},{1740992400 + i}\n" for i in range(25))
    )
    result = run(db_path, "import", str(unique))
    assert result.exit_code == 0
    assert result.output.index("warning:") < result.output.index("25 imported")
    assert (
        f"warning: {unique}: every one of the 25 values of the type column 'type' is different: "
        "is it an id or a time?"
    ) in result.output
    numeric = tmp_path / "codes.csv"
    numeric.write_text(
        "contact,code,ts\n" + "".join(f"c{i},{i % 3},{1740992400 + i}\n" for i in range(5))
    )
    result = run(db_path, "import", str(numeric), "--map", "type=code")
    assert "the type column 'code' holds only numbers (e.g. '0')" in result.output


def test_imports_list_and_undo_exactly_one_import(db_path: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(
        '{"id": "1", "contact": "a", "type": "t", "ts": 1740992400}\n'
        '{"id": "2", "contact": "b", "type": "t", "ts": 1740992401}\n'
    )
    second.write_text(  # id 2 repeats a row of the first import: never inserted by the second
        '{"id": "2", "contact": "b", "type": "t", "ts": 1740992401}\n'
        '{"id": "3", "contact": "new", "type": "t", "ts": 1740992402}\n'
    )
    assert run(db_path, "import", str(first)).exit_code == 0
    assert run(db_path, "import", str(second)).exit_code == 0
    listed = run(db_path, "imports")
    lines = listed.output.splitlines()
    assert (
        lines[0].startswith("2  ")
        and f"1 imported, 1 duplicates, 0 rejected  done  {second}" in lines[0]
    )
    assert (
        lines[1].startswith("1  ")
        and f"2 imported, 0 duplicates, 0 rejected  done  {first}" in lines[1]
    )
    undone = run(db_path, "imports", "undo", "2")
    assert undone.output == (
        "import 2 undone: 1 activities removed, 1 contacts left empty removed, "
        "0 identity links undone\n"
    )
    with Store(db_path, read_only=True) as store:
        assert store.execute("SELECT list(id ORDER BY id) FROM activities").scalar() == ["1", "2"]
        assert store.execute("SELECT list(id ORDER BY id) FROM contacts").scalar() == ["a", "b"]
    assert "undone (1 rows removed)" in run(db_path, "imports").output.splitlines()[0]
    again = run(db_path, "imports", "undo", "2")
    assert isinstance(again.exception, Conflict)
    missing = run(db_path, "imports", "undo", "9")
    assert isinstance(missing.exception, NotFound)
    assert missing.exception.message == "there is no import 9 (see 'headway imports')"
    # The store's id index forgets the undone rows: importing the file again brings id 3 back.
    assert "1 imported, 1 duplicates" in run(db_path, "import", str(second)).output


@pytest.mark.parametrize("as_json", [False, True])
def test_imports_on_an_empty_database(db_path: Path, as_json: bool) -> None:
    Store(db_path).close()
    result = run(db_path, "imports", *(["--json"] if as_json else []))
    assert result.output == ("[]\n" if as_json else "no imports yet\n")


def test_a_json_array_export_and_a_gzipped_one(db_path: Path, tmp_path: Path) -> None:
    """PostHog's UI export is one JSON array; Amplitude's files are gzipped JSON Lines."""
    lines = (SAMPLES / "posthog.jsonl").read_text(encoding="utf-8").splitlines()
    array = tmp_path / "posthog-export.json"
    array.write_text("[" + ",".join(lines) + "]", encoding="utf-8")
    result = run(db_path, "import", str(array), "--from", "posthog")
    assert f"{array}: 8 imported, 0 duplicates, 0 rejected" in result.output
    dry = run(
        db_path, "import", str(SAMPLES / "amplitude.json.gz"), "--from", "amplitude", "--dry-run"
    )
    assert "7 would be imported" in dry.output
    assert (
        "2 identity claims would be recorded, attributes would be set on 2 contacts" in dry.output
    )
    assert count(db_path) == 8
