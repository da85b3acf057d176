"""A tiny run of bench/drivers.py keeps the script working (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_drivers_bench_runs() -> None:
    options = ["--sizes", "5000:400", "--runs", "1", "--seed", "5"]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "drivers.py"), *options],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 transitions" in proc.stdout
    assert "| 5,000 |" in proc.stdout
