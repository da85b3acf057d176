"""``headway compare`` and ``headway time-to-convert``: tables in the terminal, and a bad range
answered in one sentence naming it (a real process)."""

from __future__ import annotations

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
AS_OF = "2025-03-01"
JOURNEY = """name: Signup
window: 5d
stages:
  - name: Visit
    when: {type: page_visit}
  - name: Signup
    when: {type: form_submission}
"""


@pytest.fixture
def world(db_path: Path, tmp_path: Path) -> Path:
    """January: 10 visit, 3 sign up 2 h later; February: 8 visit, 6 sign up 2 days later."""
    rows: list[tuple[Any, ...]] = []
    for i in range(10):
        rows.append((f"j{i}", "page_visit", f"{3 + i}d"))
        if i < 3:
            rows.append((f"j{i}", "form_submission", f"{(3 + i) * 24 + 2}h"))
    for i in range(8):
        rows.append((f"f{i}", "page_visit", f"{33 + i}d"))
        if i < 6:
            rows.append((f"f{i}", "form_submission", f"{35 + i}d"))
    with Store(db_path) as store:
        load(store, rows)
    path = tmp_path / "signup.yaml"
    path.write_text(JOURNEY)
    return path


def run(db_path: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", str(db_path), *args, "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    return " ".join(result.stdout.split())


def test_compare_table(db_path: Path, world: Path) -> None:
    out = run(
        db_path,
        "compare",
        str(world),
        "--a",
        "2025-01-01..2025-01-31",
        "--b",
        "2025-02-01..2025-02-28",
    )
    # Signup: 3 of 10 in January, 6 of 8 in February: +45.0 pts, B/A 2.50, Katz interval
    # 2.5·exp(±1.96·√(1/6 − 1/8 + 1/3 − 1/10)) = 0.894–6.99, Fisher p = 0.153
    assert "Signup 3 6 30.0% 75.0% +45.0 pts 2.50 0.89–6.99 0.15" in out
    assert "overall 10 8 30.0% 75.0% +45.0 pts 2.50" in out


def test_time_to_convert_table(db_path: Path, world: Path) -> None:
    out = run(db_path, "time-to-convert", str(world))
    assert "Visit → Signup: 9 moved on, median 2 days" in out
    assert "1–6 h 3" in out and "6–24 h 0" in out and "1–3 days 6" in out


def test_a_bad_range_is_one_sentence(db_path: Path, world: Path) -> None:
    proc = subprocess.run(
        [
            HEADWAY,
            "--db",
            str(db_path),
            "compare",
            str(world),
            "--a",
            "January",
            "--b",
            "2025-02-01..2025-02-28",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    assert "range_a: 'January' is not a range" in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr
