"""A tiny run of bench/surfaces.py keeps the script working (no timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # every section once on tiny data: servers and whole processes
def test_every_surface_is_printed_beside_its_goal(tmp_path: Path) -> None:
    tiny = ["--journey-size", "5000:400", "--size", "5000:400", "--seed", "3"]
    email = ["--email-activities", "5000", "--email-db", str(tmp_path / "email.duckdb")]
    once = ["--runs", "1", "--warm", "1", "--lock", ""]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "surfaces.py"), *tiny, *email, *once],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = proc.stdout.split("== summary")[1].splitlines()[1:]
    found = [
        (re.split(r"\s{2,}", line)[0], re.search(r"goal ≤ ([0-9.]+)", line)) for line in summary
    ]
    assert [(label, goal.group(1) if goal else None) for label, goal in found] == [
        ("journey page cold (5,000)", "1"),
        ("journey page warm (5,000)", "1"),
        ("email list cold (5,000)", "1"),
        ("email list warm (5,000)", "1"),
        ("email page cold (5,000)", "1"),
        ("email page warm (5,000)", "1"),
        ("attribution / funnel (5,000, 400 contacts)", "2"),
        ("drivers / funnel (5,000)", "3"),
        ("headway --help", "0.3"),
        ("headway funnel, 7 activities (fixed cost)", "0.4"),
    ]
    assert all(re.search(r": (met|NOT met, [0-9.]+× it)", line) for line in summary)
