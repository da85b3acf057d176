"""A tiny run of bench/serve_page.py keeps the script working (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_serve_page_bench_runs_and_the_page_agrees_with_the_engine() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "serve_page.py"),
            "--size",
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
    assert "same on the page and by the engine: yes" in proc.stdout
    assert "| journey page, warm (server) |" in proc.stdout
