"""``headway types``, ``headway properties`` and journey warnings on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headway.cli import app
from headway.store import Store
from tests.engine.activity_log import load

MARKUP = "[red]Order[/red] Completed"
JOURNEY = """\
name: Orders
stages:
  - name: Viewed
    when: {type: $pageview, where: {"$current_url": /pricing}}
  - name: Ordered
    when: {type: Order Complete, where: {plan: pro}}
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database with names that hold $, spaces, dots, brackets, unicode and markup."""
    path = tmp_path / "h.duckdb"
    with Store(path) as store:
        load(
            store,
            [
                ("ann", "$pageview", "0s", {"$current_url": "/pricing", "ctx": {"page.url": "/"}}),
                ("bob", "$pageview", "1h", {"$current_url": "/blog", "Página": "é", "ctx": None}),
                ("ann", "Order Completed", "2h", {"plan": "pro", "[b]x[/b]": True}),
                ("bob", MARKUP, "3h", {"plan": "free"}),
            ],
        )
    return path


def run(db: Path, *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of a command (wide terminal)."""
    result = CliRunner().invoke(app, ["--db", str(db), *args], env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_types_table_shows_names_verbatim(db: Path) -> None:
    code, out, _ = run(db, "types")
    assert code == 0
    lines = out.splitlines()
    row = next(line for line in lines if line.strip().startswith("$pageview"))
    assert row.split()[:3] == ["$pageview", "2", "2"]
    assert "2025-01-01 00:00" in row and "2025-01-01 01:00" in row
    assert any(line.strip().startswith(MARKUP) for line in lines)


def test_types_json(db: Path) -> None:
    code, out, _ = run(db, "types", "--json")
    assert code == 0
    types = json.loads(out)["types"]
    assert [t["name"] for t in types] == ["$pageview", "Order Completed", MARKUP]
    assert types[0] == {
        "name": "$pageview",
        "activities": 2,
        "contacts": 2,
        "first_seen": "2025-01-01T00:00:00Z",
        "last_seen": "2025-01-01T01:00:00Z",
    }


def test_properties_table_and_json(db: Path) -> None:
    code, out, _ = run(db, "properties", "--type", "$pageview")
    assert code == 0
    assert 'ctx."page.url"' in out and "Página" in out and '"/pricing" (1)' in out
    assert "50.0%" in out and "100.0%" in out
    code, out, _ = run(db, "properties", "--json")
    paths = {(p["type"], p["path"]) for p in json.loads(out)["properties"]}
    assert ("Order Completed", "[b]x[/b]") in paths
    assert (MARKUP, "plan") in paths
    ctx = next(p for p in json.loads(out)["properties"] if p["path"] == "ctx")
    # Present on both page views, null on one: the fill rate counts values other than null.
    assert (ctx["activities"], ctx["fill_rate"]) == (2, 0.5)
    assert ctx["json_types"] == {"object": 1, "null": 1}
    _, table, _ = run(db, "properties", "--type", "Order Completed")
    assert "[b]x[/b]" in table and "true (1)" in table


def test_properties_of_an_unknown_type(db: Path) -> None:
    code, _, err = run(db, "properties", "--type", "nope")
    assert code == 0 and "No activity of type 'nope' has been seen." in err


def test_funnel_warns_on_stderr_and_in_json(db: Path, tmp_path: Path) -> None:
    journey = tmp_path / "orders.yaml"
    journey.write_text(JOURNEY)
    code, out, err = run(db, "funnel", str(journey), "--as-of", "2025-02-01", "--json")
    assert code == 0
    expected = (
        "warning: stages[1].when.type: no activity of type 'Order Complete' was seen;"
        " did you mean 'Order Completed' or '[red]Order[/red] Completed'?"
    )
    assert err.strip() == expected
    assert json.loads(out)["warnings"][0]["kind"] == "unknown_type"
    code, _, err = run(db, "journey", "validate", str(journey))
    assert code == 0 and err.strip() == expected
    for command in ("trends", "drivers", "stalls", "attribution"):
        code, _, err = run(db, command, str(journey), "--as-of", "2025-02-01")
        assert code == 0 and err.strip() == expected, command
    code, _, err = run(db, "contacts", str(journey), "--stage", "1", "--as-of", "2025-02-01")
    assert code == 0 and err.strip() == expected


def test_an_as_of_before_the_data_is_a_warning_not_an_error(db: Path, tmp_path: Path) -> None:
    journey = tmp_path / "orders.yaml"
    journey.write_text(JOURNEY.replace("Order Complete", "Order Completed"))
    code, _, err = run(db, "funnel", str(journey), "--as-of", "2024-01-01")
    assert code == 0
    assert err.strip() == (
        "warning: as_of: 2024-01-01 00:00:00 is before the data starts (the data runs from"
        " 2025-01-01 00:00:00 to 2025-01-01 03:00:00)"
    )
