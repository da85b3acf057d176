"""A small run of bench/journey_validation.py keeps the script working (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_hostile_corpus_is_refused_without_a_crash() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "journey_validation.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "crashes: 0" in proc.stdout
    rows = [
        line for line in proc.stdout.splitlines() if line.startswith("| ") and "---" not in line
    ]
    assert len(rows) > 25  # the header and every input of the corpus
    assert "| billion laughs (aliases) |" in proc.stdout
    assert "aliases (*name) are not allowed" in proc.stdout
    assert "| 16 KiB of nested brackets | 16,384 |" in proc.stdout
    assert "worst case: " in proc.stdout
