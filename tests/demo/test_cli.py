"""``headway demo`` as users run it: the runner for behaviour, a real process for messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headway.cli import app
from headway.errors import Conflict, InvalidInput
from headway.store import Store

HEADWAY = str(Path(sys.executable).parent / "headway")


def _count(path: Path) -> int:
    with Store(path, read_only=True) as store:
        return int(store.execute("SELECT count(DISTINCT contact_key) FROM activities").scalar())


def test_builds_a_small_world(db_path: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(db_path), "demo", "--contacts", "300"])
    assert result.exit_code == 0, result.output
    assert "300 contacts" in " ".join(result.output.split())
    assert _count(db_path) == 300


def test_force_replaces_an_existing_world(db_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["--db", str(db_path), "demo", "--contacts", "300"])
    again = runner.invoke(app, ["--db", str(db_path), "demo", "--contacts", "200", "--force"])
    assert again.exit_code == 0, again.output
    assert _count(db_path) == 200


def test_refuses_a_database_with_activities(db_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["--db", str(db_path), "demo", "--contacts", "200"])
    result = runner.invoke(app, ["--db", str(db_path), "demo", "--contacts", "200"])
    assert isinstance(result.exception, Conflict)
    assert _count(db_path) == 200


@pytest.mark.parametrize("contacts", ["0", "-4"])
def test_rejects_a_non_positive_size(db_path: Path, contacts: str) -> None:
    result = CliRunner().invoke(app, ["--db", str(db_path), "demo", "--contacts", contacts])
    assert isinstance(result.exception, InvalidInput)
    assert not db_path.exists()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HEADWAY, *args], capture_output=True, text=True, timeout=120)


def test_process_reports_an_existing_database_in_one_sentence(db_path: Path) -> None:
    assert _run("--db", str(db_path), "demo", "--contacts", "100").returncode == 0
    done = _run("--db", str(db_path), "demo", "--contacts", "100")
    assert done.returncode == 2
    assert "already holds activities; use --force" in done.stderr
    assert "Traceback" not in done.stderr


def test_process_reports_a_bad_size_in_one_sentence(db_path: Path) -> None:
    done = _run("--db", str(db_path), "demo", "--contacts", "0")
    assert done.returncode == 2
    assert "error: --contacts must be a positive number, not 0" in done.stderr
    assert "Traceback" not in done.stderr


def test_force_does_not_delete_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("not a database")
    done = _run("--db", str(path), "demo", "--contacts", "100", "--force")
    assert done.returncode == 2
    assert "error:" in done.stderr and "Traceback" not in done.stderr
    assert path.read_text() == "not a database"
