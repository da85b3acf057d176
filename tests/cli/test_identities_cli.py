"""``headway identities list/merge/undo`` and the funnel they change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headway.cli import app
from headway.cli.common import state
from headway.errors import Conflict, NotFound
from headway.store import Store
from tests.engine.activity_log import load

JOURNEY = {
    "name": "Sign-up",
    "window": "7d",
    "stages": [
        {"name": "Visit", "when": {"type": "page_visit"}},
        {"name": "Sign-up", "when": {"type": "signup"}},
    ],
}


@pytest.fixture
def db(db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    with Store(db_path) as store:
        load(
            store,
            [
                ("cookie 1", "page_visit", "0s"),
                ("phone", "page_visit", "1s"),
                ("ann@example.com", "signup", "1h"),
                ("bob", "signup", "2h"),
            ],
        )
    (tmp_path / "signup.json").write_text(json.dumps(JOURNEY))
    monkeypatch.setattr(state, "db", db_path)
    return db_path


def cli(db: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", str(db), *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def reached(db: Path) -> list[int]:
    path = db.parent / "signup.json"
    out = cli(db, "funnel", str(path), "--as-of", "2025-02-01", "--json")
    return [s["reached"] for s in json.loads(out[out.index("{") :])["stages"]]


def test_merge_list_undo_and_the_funnel_follows(db: Path) -> None:
    assert reached(db) == [2, 0]
    out = cli(db, "identities", "merge", "cookie 1", "ann@example.com")
    assert "merged 'cookie 1' into 'ann@example.com' (link 1)" in out
    assert reached(db) == [2, 1]
    listed = cli(db, "identities", "list")
    assert "cookie 1" in listed and "ann@example.com" in listed and "merged" in listed
    shown = cli(db, "identities", "list", "ann@example.com")
    assert "ids merged into 'ann@example.com': cookie 1" in shown
    alias = cli(db, "identities", "list", "cookie 1")
    assert "'cookie 1' is merged into 'ann@example.com'" in alias
    assert "undid link 1: 'cookie 1' is no longer merged into 'ann@example.com'" in cli(
        db, "identities", "undo", "1"
    )
    assert reached(db) == [2, 0]


def test_a_conflicting_merge_is_recorded_not_applied(db: Path) -> None:
    cli(db, "identities", "merge", "phone", "bob")
    out = cli(db, "identities", "merge", "phone", "ann@example.com")
    assert "recorded link 2 merging 'phone' into 'ann@example.com', not applied" in out
    data = json.loads(cli(db, "identities", "list", "--json"))
    assert [(d["id"], d["alias"], d["contact"], d["status"]) for d in data] == [
        (2, "phone", "ann@example.com", "conflict"),
        (1, "phone", "bob", "merged"),
    ]
    cli(db, "identities", "undo", "1")
    data = json.loads(cli(db, "identities", "list", "ann@example.com", "--json"))
    assert data["aliases"] == ["phone"] and data["merged_into"] is None
    assert data["links"][0]["claimed_at"].endswith("Z")


def test_repeat_and_self_merge_say_so(db: Path) -> None:
    cli(db, "identities", "merge", "phone", "bob")
    assert "already recorded as link 1" in cli(db, "identities", "merge", "phone", "bob")
    assert "an id is always itself" in cli(db, "identities", "merge", "bob", "bob")
    assert "no identity merges name 'ann@example.com'" in cli(
        db, "identities", "list", "ann@example.com"
    )


def test_unknown_ids_and_links_are_errors(db: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(db), "identities", "merge", "ghost", "bob"])
    assert isinstance(result.exception, NotFound)
    assert "there is no contact 'ghost'" in str(result.exception)
    result = runner.invoke(app, ["--db", str(db), "identities", "undo", "9"])
    assert isinstance(result.exception, NotFound)
    cli(db, "identities", "merge", "phone", "bob")
    cli(db, "identities", "undo", "1")
    result = runner.invoke(app, ["--db", str(db), "identities", "undo", "1"])
    assert isinstance(result.exception, Conflict)
    result = runner.invoke(app, ["--db", str(db), "identities", "list", "ghost"])
    assert isinstance(result.exception, NotFound)
    assert "no identity merges recorded" not in cli(db, "identities", "list")


def test_an_empty_store_has_no_merges(db: Path) -> None:
    assert "no identity merges recorded" in cli(db, "identities", "list")


def test_contacts_show_lists_the_merged_ids_and_their_activities(db: Path) -> None:
    cli(db, "identities", "merge", "cookie 1", "ann@example.com")
    out = cli(db, "contacts", "show", "ann@example.com")
    assert "merged ids" in out and "cookie 1" in out
    assert "Timeline (2 activities)" in out and "(as cookie 1)" in out
    alias = cli(db, "contacts", "show", "cookie 1")
    assert "merged into" in alias and "ann@example.com" in alias
