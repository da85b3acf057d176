"""Smoke run of ``bench/import.py`` at a tiny size: the script keeps working (no timings checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_import_bench_runs_at_tiny_size(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "import.py"), "--rows", "2000", "--runs", "1"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "generated 2,000 activities in " + lines[0].split(" in ")[1]
    rows = [line for line in lines if line.startswith(("| parquet", "| csv"))]
    assert [r.split(" | ")[1] for r in rows] == ["2,000", "2,000"]
