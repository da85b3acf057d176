"""``headway drivers`` and ``headway stalls``: tables with plain-language lines, JSON, and
one-sentence errors (runner and real processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from headway.cli import app
from headway.store import Store
from tests.engine.activity_log import load

HEADWAY = str(Path(sys.executable).with_name("headway"))
AS_OF = "2025-01-03"
JOURNEY = """name: Pricing
window: 1d
stall_after: 2h
stages:
  - name: Visit
    when: {type: page_visit, where: {url: /a}}
  - name: Pricing
    when: {type: page_visit, where: {url: /pricing}}
"""


@pytest.fixture
def world(db_path: Path, tmp_path: Path) -> Path:
    """25 contacts send a demo form and move on, 25 visit /b and do not; 3 stall. The journey
    file path is returned."""
    rows: list[tuple[Any, ...]] = []
    for i in range(25):
        rows += [(f"m{i}", "page_visit", "0s", {"url": "/a"})]
        rows += [(f"m{i}", "form_submission", "1h", {"form": "demo"})]
        rows += [(f"m{i}", "page_visit", "2h", {"url": "/pricing"})]
        rows += [(f"s{i}", "page_visit", "0s", {"url": "/a"})]
        rows += [(f"s{i}", "page_visit", "1h", {"url": "/b"})]
    for i in range(3):
        rows += [(f"late{i}", "page_visit", "1d", {"url": "/a"})]
        rows += [(f"late{i}", "page_visit", "25h", {"url": "/b"})]
    with Store(db_path) as store:
        load(store, rows)
    path = tmp_path / "pricing.yaml"
    path.write_text(JOURNEY)
    return path


def run(db_path: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, ["--db", str(db_path), *args, "--as-of", AS_OF])
    return result


def test_drivers_table_and_lines(db_path: Path, world: Path) -> None:
    result = run(db_path, "drivers", str(world))
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "Visit → Pricing" in out
    assert "50 contacts reached Visit, 25 moved on (50.0%)" in out
    assert "Contacts who sent the demo form were" in out
    assert "as likely to reach Pricing, after accounting for how long they had been" in out
    assert "with / without: reached Pricing, with and without the touchpoint" in out
    assert "docs/drivers.md" in out
    included = run(db_path, "drivers", str(world), "--include-excluded", "--json")
    assert json.loads(included.stdout)["include_excluded"] is True


def test_drivers_json_and_options(db_path: Path, world: Path) -> None:
    result = run(db_path, "drivers", str(world), "--json", "--min-support", "30", "--view", "all")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["view"] == "all" and body["min_support"] == 30
    (t,) = body["transitions"]
    assert t["tested"] == 0 and t["in_progress_left_out"] == 3


def test_stalls_table_and_json(db_path: Path, world: Path) -> None:
    result = run(db_path, "stalls", str(world), "--stage", "Visit")
    assert result.exit_code == 0, result.output
    assert "3 stalled" in result.stdout and "late0" in result.stdout
    body = json.loads(run(db_path, "stalls", str(world), "--json", "--limit", "1").stdout)
    (stage,) = body["stages"]
    assert stage["stalled"] == 3 and len(stage["contacts"]) == 1
    assert stage["contacts"][0]["last_touchpoints"][0]["touchpoint"] == "page_visit:/b"


def test_errors_are_one_sentence(db_path: Path, world: Path) -> None:
    for args in (
        ["drivers", str(world), "--stage", "2"],
        ["drivers", str(world), "--view", "bots"],
        ["stalls", str(world), "--stage", "Nope"],
    ):
        proc = subprocess.run(
            [HEADWAY, "--db", str(db_path), *args, "--as-of", AS_OF], capture_output=True, text=True
        )
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and "--" in proc.stderr
