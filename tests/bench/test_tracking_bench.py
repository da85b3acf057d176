"""A tiny run of bench/tracking.py keeps the script working (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_tracking_bench_quick_run_stores_every_acknowledged_request() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "tracking.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "durability: ok" in proc.stdout
    assert "email_open: acknowledged 200, stored 200, distinct contacts 200" in proc.stdout
    assert "email_click: acknowledged 200, stored 200, distinct contacts 200" in proc.stdout
    assert "| `GET /t/c/{token}` (302) |" in proc.stdout
