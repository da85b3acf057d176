"""A tiny run of bench/funnel.py keeps the script working (no timing is asserted)."""

from __future__ import annotations

import json
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


@pytest.mark.slow
def test_copies_of_a_smaller_size_agree_with_chdb_and_split_runs() -> None:
    """``--copies-of`` builds a size as disjoint copies of a smaller one (the 100M store's
    recipe): Headway on the copied store and chDB on the copied flat file agree, with every
    stage count exactly twice the base's; ``--split`` prints its lines."""

    def bench(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "funnel.py"), "--seed", "5", *args],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    bench("--prepare", "--sizes", "10000:800", "--copies-of", "5000:400")
    assert "same stage counts: yes" in bench("--sizes", "5000:400,10000:800", "--runs", "1")
    base, copies = (
        bench("--split", "--sizes", size).split("reached ")[1].splitlines()[0]
        for size in ("5000:400", "10000:800")
    )
    assert [2 * n for n in json.loads(base)] == json.loads(copies)
