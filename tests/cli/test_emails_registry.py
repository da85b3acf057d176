"""``headway emails add / list / links`` and ``headway email link``."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from headway.cli import app
from headway.errors import Conflict, InvalidInput


def run(db: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["--db", str(db), *args])


def test_add_list_and_links(db_path: Path) -> None:
    added = run(db_path, "emails", "add", "w1", "--name", "Welcome", "--subject", "Hi",
                "--campaign", "onboarding", "--kind", "transactional",
                "--send-time", "2026-03-01T09:00:00Z")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "registered email w1" in added.output
    listed = run(db_path, "emails", "list")
    assert listed.exit_code == 0
    for text in ("w1", "Welcome", "onboarding", "transactional", "2026-03-01 09:00:00"):
        assert text in listed.output
    link = run(db_path, "email", "link", "--email", "w1", "https://example.com/a", "--label", "A")
    assert link.exit_code == 0 and link.output.strip().startswith("l")
    links = run(db_path, "emails", "links", "w1")
    assert link.output.strip() in links.output and "https://example.com/a" in links.output


def test_errors_are_headway_errors(db_path: Path) -> None:
    run(db_path, "emails", "add", "w1", "--name", "Welcome")
    assert isinstance(run(db_path, "emails", "add", "w1", "--name", "W").exception, Conflict)
    bad_time = run(db_path, "emails", "add", "w2", "--name", "W", "--send-time", "soon")
    assert isinstance(bad_time.exception, InvalidInput)
    assert "ISO 8601" in bad_time.exception.message
