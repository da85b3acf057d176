"""``headway import`` / ``headway export`` through Typer's runner (and once as a process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
from typer.testing import CliRunner

from headway.cli import app
from headway.errors import InvalidInput, NotFound
from headway.store import Store

runner = CliRunner()
HEADWAY = Path(sys.executable).parent / "headway"
EVENTS = "event_id,user_id,event,timestamp,plan\nx1,u1,signup,2024-03-01 10:00,pro\nx2,u2,signup,2024-03-01 11:00,\n"


def test_import_with_mapping_and_tz_then_summary(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(EVENTS)
    args = ["--db", str(db_path), "import", str(path), "--contact-col", "user_id"]
    args += ["--type-col", "event", "--ts-col", "timestamp", "--id-col", "event_id", "--tz", "UTC"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"{path}: 2 imported, 0 duplicates, 0 rejected" in result.output
    again = runner.invoke(app, args)
    assert f"{path}: 0 imported, 2 duplicates, 0 rejected" in again.output
    with Store(db_path, read_only=True) as store:
        assert store.execute("SELECT count(*) FROM activities").scalar() == 2


def test_rejected_records_exit_3_with_totals(db_path: Path, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text('{"contact": "a", "type": "t", "ts": 1709287200}\n')
    bad.write_text('{"contact": "a", "type": "t", "ts": "2024-13-01"}\nnot json\n')
    result = runner.invoke(app, ["--db", str(db_path), "import", str(good), str(bad)])
    assert result.exit_code == 3
    assert "total: 1 imported, 0 duplicates, 2 rejected" in result.output
    assert f"{bad}: line 1: ts: '2024-13-01' is not a date" in result.output
    assert f"{bad}: line 2: is not valid JSON" in result.output


def test_every_file_is_checked_before_anything_is_written(db_path: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text('{"contact": "a", "type": "t", "ts": 1709287200}\n')
    result = runner.invoke(
        app, ["--db", str(db_path), "import", str(good), str(tmp_path / "x.csv")]
    )
    assert isinstance(result.exception, NotFound)
    assert not db_path.exists()


def test_unknown_format_and_policy(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(EVENTS)
    result = runner.invoke(app, ["--db", str(db_path), "import", "--format", "xml", str(path)])
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.message == "unknown format 'xml' (use one of: jsonl, csv, parquet)"
    result = runner.invoke(app, ["--db", str(db_path), "import", "--on-error", "maybe", str(path)])
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.message == "--on-error must be skip or fail, not 'maybe'"


def test_export_then_import_round_trip(db_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "a.jsonl"
    source.write_text(
        '{"id": "1", "contact": "a", "type": "page_visit", "ts": 1709287200, "url": "/"}\n'
        '{"id": "2", "contact": "b", "type": "purchase", "ts": 1709387200, "value": 3}\n'
    )
    assert runner.invoke(app, ["--db", str(db_path), "import", str(source)]).exit_code == 0
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app,
        ["--db", str(db_path), "export", "--format", "jsonl", "-o", str(out), "--type", "purchase"],
    )
    assert result.exit_code == 0, result.output
    assert "1 activities written to" in result.output
    record = orjson.loads(out.read_bytes())
    assert record == {
        "id": "2",
        "contact": "b",
        "type": "purchase",
        "ts": "2024-03-02T13:46:40.000000Z",
        "properties": {"value": 3},
        "bot": False,
        "bot_reason": None,
        "source": "import",
    }


def test_export_needs_an_existing_database(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "none.duckdb"), "export", "-o", "x.csv"])
    assert isinstance(result.exception, NotFound)


def test_import_contacts(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("crm,email,country\n1,a@x.com,DE\n")
    result = runner.invoke(
        app, ["--db", str(db_path), "import", "--contacts", "--id-col", "crm", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert f"{path}: 1 contacts created, 0 updated" in result.output


def test_real_process_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text("contact,type,ts\na,page_visit,2024-03-01T10:00:00Z\n")
    db, out = tmp_path / "h.duckdb", tmp_path / "out.parquet"
    run = [str(HEADWAY), "--db", str(db)]
    done = subprocess.run(
        [*run, "import", str(source)], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"{source}: 1 imported, 0 duplicates, 0 rejected\n"
        "import 1 (undo it with: headway imports undo 1)\n",
        "",
    )
    done = subprocess.run(
        [*run, "export", "-o", str(out)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    done = subprocess.run([*run, "import", str(out)], capture_output=True, text=True, check=False)
    assert done.stdout == (
        f"{out}: 0 imported, 1 duplicates, 0 rejected\nimport 2 (undo it with: headway imports undo 2)\n"
    )
