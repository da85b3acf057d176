"""A short run of bench/startup.py keeps the script working (no timing asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # ~15 s: eight whole processes, one of them an import
def test_each_start_up_figure_is_printed_beside_its_goal() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "startup.py"), "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("load average ") and lines[-1].startswith("load average ")
    labels = [line.split("  median")[0].strip() for line in lines[1:-1]]
    assert labels == [
        "headway --help",
        "headway funnel (tiny store)",
        "headway types (tiny store)",
    ]
    goals = re.findall(r"goal ≤ ([0-9.]+) s: (met|not met, [0-9.]+× the goal)", proc.stdout)
    assert [goal for goal, _ in goals] == ["0.3", "0.4", "2.0"]
    assert len(re.findall(r", CPU [0-9.]+ s  goal", proc.stdout)) == 3
