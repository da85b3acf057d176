"""A tiny run of bench/live.py keeps the script working (no timing is asserted): a real server
keeps three live journeys current under HTTP ingest, and their state equals a recompute."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_live_bench_quick_run_keeps_the_state_exact() -> None:
    options = ["--rate", "1000", "--seconds", "2", "--max-seconds", "1", "--batch", "200"]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "live.py"), *options, "--contacts", "2000"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "state equals a full recompute after the run: yes" in proc.stdout
    assert "stage state lag p99:" in proc.stdout
    assert "ingest throughput with 3 live journeys:" in proc.stdout
