"""The console script reads ``--db`` and the command name before loading the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from headway.cli.side_by_side import LOCAL_ONLY as CLI_LOCAL_ONLY
from headway.launcher import DEFAULT_DB, LOCAL_ONLY, database_and_command
from headway.store import default_db_path


@pytest.mark.parametrize(
    ("argv", "found"),
    [
        (["--db", "x.duckdb", "funnel", "J"], (Path("x.duckdb"), "funnel")),
        (["--db=x.duckdb", "import", "f.jsonl"], (Path("x.duckdb"), "import")),
        (["--db", "a", "--db", "b", "journey", "list"], (Path("b"), "journey")),  # the last wins
        (["funnel", "--db", "x"], (Path("mine.duckdb"), "funnel")),  # --db here is funnel's
        (["--help"], None),
        (["--db", "x.duckdb", "--version", "funnel"], None),  # unknown: the full CLI decides
        (["--db"], None),
        ([], None),
    ],
)
def test_database_and_command(
    argv: list[str], found: tuple[Path, str] | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWAY_DB", "mine.duckdb")
    assert database_and_command(argv) == found


def test_the_default_database_is_the_stores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEADWAY_DB", raising=False)
    assert database_and_command(["funnel", "J"]) == (Path(DEFAULT_DB), "funnel")
    assert default_db_path() == Path(DEFAULT_DB)


def test_serve_and_demo_are_never_forwarded() -> None:
    assert set(LOCAL_ONLY) == {"serve", "demo"}
    assert CLI_LOCAL_ONLY is LOCAL_ONLY
