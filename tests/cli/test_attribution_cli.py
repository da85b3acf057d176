"""``headway attribution``, ``headway emails influence`` and ``headway emails unsubscribes``
on the hand-made worlds of the engine tests: JSON equals the engine's report, tables show
the numbers, errors are one sentence from a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headway.cli import app
from headway.errors import InvalidInput
from headway.store import Store
from tests.engine import test_attribution as attribution_world
from tests.engine import test_email_influence as influence_world

HEADWAY = [sys.executable, "-m", "headway.cli"]
AS_OF = "2025-03-02"


@pytest.fixture
def influence_db(tmp_path: Path) -> tuple[Path, Path]:
    """The email-influence world and its journey file."""
    db = tmp_path / "h.duckdb"
    with Store(db) as store:
        influence_world.world(store)
    path = tmp_path / "journey.json"
    path.write_text(json.dumps(influence_world.JOURNEY))
    return db, path


def invoke(db: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_attribution_json_and_table(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    with Store(db) as store:
        attribution_world.world(store)
    path = tmp_path / "journey.json"
    path.write_text(json.dumps(attribution_world.JOURNEY))
    data = json.loads(invoke(db, "attribution", str(path), "--as-of", AS_OF, "--json"))
    assert (data["conversions"], data["attributed_conversions"]) == (2, 1)
    markov = {row["touchpoint"]: row["markov"] for row in data["touchpoints"]}
    assert markov == pytest.approx(
        {attribution_world.P: 0.5, attribution_world.C: 0.25, attribution_world.D: 0.25}
    )
    only = json.loads(
        invoke(db, "attribution", str(path), "--as-of", AS_OF, "--model", "first", "--json")
    )
    assert only["models"] == ["first"] and only["markov"] is None
    table = invoke(db, "attribution", str(path), "--as-of", AS_OF, "--model", "position,markov")
    # the table names touchpoints as the dashboard does (the JSON label), not by their keys
    label = {row["touchpoint"]: row["label"] for row in data["touchpoints"]}
    assert label[attribution_world.P] != attribution_world.P
    assert label[attribution_world.P] in table and attribution_world.P not in table
    assert "removal" in table and "50.0%" in table
    assert "2 conversions of 4 contacts, 1 with a touchpoint" in table


def test_influence_json_and_table(influence_db: tuple[Path, Path]) -> None:
    db, path = influence_db
    data = json.loads(
        invoke(db, "emails", "influence", "n1", "--journey", str(path), "--as-of", AS_OF, "--json")
    )
    assert (data["recipients"], data["too_recent"], data["days"]) == (13, 1, 7)
    visit = data["stages"][0]
    groups = {g["group"]: (g["recipients"], g["advanced"]) for g in visit["groups"]}
    assert groups == {"clicked": (3, 2), "opened": (2, 1), "not engaged": (4, 2)}
    table = invoke(db, "emails", "influence", "n1", "--journey", str(path), "--as-of", AS_OF)
    assert "recipients at Visit → Pricing" in table
    assert "66.7%" in table and "1.33×" in table
    none = invoke(db, "emails", "influence", "nope", "--journey", str(path), "--as-of", AS_OF)
    assert "No recipient of nope" in none


def test_unsubscribe_ranking(influence_db: tuple[Path, Path]) -> None:
    db, path = influence_db
    data = json.loads(invoke(db, "emails", "unsubscribes", "--as-of", AS_OF, "--json"))
    assert [(e["email"], e["unsubscribed"], e["delivered"]) for e in data["emails"]] == [
        ("n2", 1, 3),
        ("n1", 2, 13),
    ]
    table = invoke(
        db, "emails", "unsubscribes", "--as-of", AS_OF, "--journey", str(path), "--by", "dropoff"
    )
    assert "drop rate" in table and "100.0%" in table


def test_errors_are_one_sentence(influence_db: tuple[Path, Path]) -> None:
    db, path = influence_db
    for args, message in [
        (["attribution", str(path), "--model", "shapley"], "unknown attribution model shapley"),
        (["emails", "unsubscribes", "--by", "dropoff"], "ranking by drop-off needs a journey"),
    ]:
        done = subprocess.run(
            [*HEADWAY, "--db", str(db), *args], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2, done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["attribution", "{path}", "--order", "7"], "Markov order 7 is out of range"),
        (["emails", "influence", "n1", "--journey", "{path}", "--days", "0"], "days must be"),
        (["emails", "unsubscribes", "--by", "bounces"], "ranked by unsubscribes or dropoff"),
    ],
)
def test_bad_options(influence_db: tuple[Path, Path], args: list[str], message: str) -> None:
    db, path = influence_db
    argv = ["--db", str(db), *(a.format(path=path) for a in args)]
    result = CliRunner().invoke(app, argv)
    assert isinstance(result.exception, InvalidInput)
    assert message in result.exception.message
