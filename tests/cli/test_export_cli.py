"""``headway export PATH`` (a table for Spark) and its bad-input messages, through Typer's runner."""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds
import pytest
from typer.testing import CliRunner

from headway.cli import app
from headway.errors import InvalidInput

runner = CliRunner()
EVENTS = (
    '{"id": "1", "contact": "a", "type": "page_visit", "ts": 1709287200, "url": "/"}\n'
    '{"id": "2", "contact": "b", "type": "purchase", "ts": 1709387200, "value": 3}\n'
    '{"id": "3", "contact": "a", "type": "purchase", "ts": 1709387300}\n'
)


@pytest.fixture
def db(db_path: Path, tmp_path: Path) -> Path:
    """A database with three activities of two contacts."""
    source = tmp_path / "a.jsonl"
    source.write_text(EVENTS)
    assert runner.invoke(app, ["--db", str(db_path), "import", str(source)]).exit_code == 0
    return db_path


def test_export_a_table_then_overwrite_it(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "lake"
    result = runner.invoke(app, ["--db", str(db), "export", "--buckets", "2", str(out)])
    assert result.exit_code == 0, result.output
    assert f"3 activities of 2 contacts written to {out} as parquet (2 contact buckets)" in (
        result.output.replace("\n", " ")
    )
    table = ds.dataset(out / "activities", partitioning="hive").to_table()
    assert sorted(table.column("id").to_pylist()) == ["1", "2", "3"]
    again = runner.invoke(app, ["--db", str(db), "export", "--format", "delta", str(out)])
    assert isinstance(again.exception, InvalidInput)
    assert (
        again.exception.message
        == f"{out} is not empty; pass --overwrite to replace the export there"
    )
    delta = ["--db", str(db), "export", "--format", "delta", "--overwrite", str(out)]
    assert runner.invoke(app, delta).exit_code == 0
    assert (out / "activities" / "_delta_log").is_dir()


def test_export_refuses_the_spark_backend(db: Path, tmp_path: Path) -> None:
    args = ["--db", str(db), "--backend", "spark", "--source", str(tmp_path), "export", "x"]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.message == (
        "export writes the DuckDB store (--db) out; it does not read a spark --source"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml", "{out}"], "unknown table format 'xml': use parquet or delta"),
        (
            ["--format", "csv", "{out}"],
            "a table directory is written as parquet or delta, not csv; use --output FILE for csv",
        ),
        (
            ["--format", "delta", "-o", "{out}.x"],
            "delta writes a table directory: give PATH instead of --output",
        ),
        (
            ["-o", "{out}.x", "{out}"],
            "give either PATH (a table directory) or --output FILE, not both",
        ),
        (
            [],
            "give PATH, a directory for a contact-partitioned table (parquet or delta), "
            "or --output FILE for one file (parquet, csv or jsonl)",
        ),
        (
            ["--type", "purchase", "{out}"],
            "--from, --to and --type filter a file export (--output FILE); "
            "a table at PATH holds the whole log",
        ),
        (
            ["--buckets", "4", "-o", "{out}.csv"],
            "--buckets and --overwrite apply to a table at PATH, not to --output",
        ),
        (["--buckets", "0", "{out}"], "--buckets must be between 1 and 1024, not 0"),
    ],
)
def test_bad_input_gets_a_sentence(db: Path, tmp_path: Path, args: list[str], message: str) -> None:
    out = str(tmp_path / "lake")
    result = runner.invoke(app, ["--db", str(db), "export", *[a.format(out=out) for a in args]])
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.message == message
    assert not (tmp_path / "lake").exists()
