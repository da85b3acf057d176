"""A tiny run of bench/spark.py keeps the script working (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(1500)  # three Spark processes and a store; slow on a loaded machine
def test_spark_bench_runs_and_agrees_with_duckdb() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "spark.py"),
            "--size",
            "5000:400",
            "--seed",
            "11",
            "--runs",
            "1",
            "--no-flat",
        ],
        capture_output=True,
        text=True,
        timeout=1400,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "same counts: True" in proc.stdout
    assert "| pyspark window (JSON) |" in proc.stdout
