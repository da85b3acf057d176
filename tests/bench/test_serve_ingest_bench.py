"""A tiny run of bench/serve_ingest.py keeps the script working (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_serve_ingest_bench_quick_run_stores_every_acknowledged_activity() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "serve_ingest.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "durability: ok" in proc.stdout
    assert "store 0: acknowledged 6,000, missing 0, doubled 0, unacknowledged 0" in proc.stdout
    assert "| Headway activities/s |" in proc.stdout
