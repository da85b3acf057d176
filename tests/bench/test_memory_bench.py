"""A tiny run of bench/memory.py keeps the script working (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_memory_bench_runs_and_prints_the_goal() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "memory.py"),
            "--sizes",
            "5000:400",
            "--runs",
            "1",
            "--seed",
            "11",
            "--memory",
            "512MiB",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "| 5,000 | after |" in proc.stdout
    assert "| met | yes |" in proc.stdout
