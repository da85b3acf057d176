"""``headway contacts erase``: confirmation, --yes, what it prints, unknown contacts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headway.cli import app
from headway.cli.common import state
from headway.errors import InvalidInput, NotFound
from headway.store import Store
from tests.engine.activity_log import load


@pytest.fixture
def db(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    with Store(db_path) as store:
        rows = [("a/b@x.org", "page_visit", "0s"), ("a/b@x.org", "purchase", "1h")]
        load(store, [*rows, ("keep", "page_visit", "0s")])
    monkeypatch.setattr(state, "db", db_path)
    return db_path


def remaining(db: Path) -> list[str]:
    with Store(db, read_only=True) as store:
        return [r[0] for r in store.execute("SELECT id FROM contacts ORDER BY id").rows]


def test_yes_erases_and_says_what(db: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(db), "contacts", "erase", "a/b@x.org", "--yes"])
    assert result.exit_code == 0, result.output
    assert "erased contact 'a/b@x.org': 2 activities deleted" in result.output
    assert "removed rows: activities 2, catalog_type_contacts 2, catalog_types 1" in result.output
    assert "the file was rewritten without them" in result.output
    assert remaining(db) == ["keep"]


def test_asks_first_and_keeps_the_contact_on_no(db: Path) -> None:
    result = CliRunner().invoke(
        app, ["--db", str(db), "contacts", "erase", "a/b@x.org"], input="n\n"
    )
    assert "2 activities? This cannot be undone" in result.output
    assert "nothing erased" in result.output
    assert remaining(db) == ["a/b@x.org", "keep"]


def test_erases_on_yes_at_the_prompt(db: Path) -> None:
    CliRunner().invoke(app, ["--db", str(db), "contacts", "erase", "a/b@x.org"], input="y\n")
    assert remaining(db) == ["keep"]


def test_unknown_contact_and_bad_usage(db: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(db), "contacts", "erase", "nobody", "--yes"])
    assert isinstance(result.exception, NotFound)
    result = CliRunner().invoke(app, ["--db", str(db), "contacts", "erase", "a", "b", "--yes"])
    assert isinstance(result.exception, InvalidInput)
    assert remaining(db) == ["a/b@x.org", "keep"]


def test_a_real_headway_process_erases_and_refuses_unknown_ids(db: Path) -> None:
    headway = str(Path(sys.executable).parent / "headway")
    done = subprocess.run(
        [headway, "--db", str(db), "contacts", "erase", "a/b@x.org", "--yes"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2 activities deleted" in done.stdout
    again = subprocess.run(
        [headway, "--db", str(db), "contacts", "erase", "a/b@x.org", "--yes"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert again.returncode == 2
    assert "there is no contact 'a/b@x.org'" in again.stderr
    assert "Traceback" not in again.stderr
    assert remaining(db) == ["keep"]
