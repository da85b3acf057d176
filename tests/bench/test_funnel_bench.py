"""A tiny run of bench/funnel.py keeps the script working (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_funnel_bench_runs_and_agrees_with_chdb() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "funnel.py"),
            "--sizes",
            "5000:400",
            "--runs",
            "1",
            "--seed",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "same stage counts: yes" in proc.stdout
    assert "| 5,000 |" in proc.stdout
