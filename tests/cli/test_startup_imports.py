"""Start-up (#13): the CLI loads scipy, plotly, FastAPI, pandas or numba only when a command
needs them, so ``headway --help`` and a small report start in a fraction of a second.

Each check runs the console script's entry point in a fresh interpreter and lists the heavy
packages in ``sys.modules`` when it exits (``bench/startup.py`` prints the times).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from headway.store import Store
from tests.engine.activity_log import load

HEAVY = ("scipy", "plotly", "fastapi", "pandas", "numba", "uvicorn", "starlette", "ua_parser")
# Of these, matching needs numba, and numba's CPU target imports scipy.linalg to look for BLAS.
MATCHING = ("numba", "scipy")

RUN_CLI = """
import atexit, json, sys
from headway.launcher import main

heavy = set(json.loads(sys.argv[1]))

def report():
    scipy = sorted(n for n in sys.modules if n.startswith("scipy."))
    found = sorted({name.split(".")[0] for name in sys.modules} & heavy)
    modules = sorted(set(sys.modules) & heavy)
    print(json.dumps({"loaded": found, "scipy": scipy, "modules": modules}), file=sys.stderr)

atexit.register(report)
sys.argv = ["headway", *sys.argv[2:]]
main()
"""

JOURNEY = """\
name: Visit then click
window: 1d
stages:
  - name: Visit
    when: {type: page_visit}
  - name: Click
    when: {type: email_click}
"""


def loaded_by(*args: str, watched: tuple[str, ...] = HEAVY) -> dict[str, list[str]]:
    """The heavy packages loaded when ``headway ARGS`` exits (and the scipy modules); in
    ``modules``, the ``watched`` modules loaded."""
    proc = subprocess.run(
        [sys.executable, "-c", RUN_CLI, json.dumps(watched), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    found: dict[str, list[str]] = json.loads(last)
    return found


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A store of three contacts and a two-stage journey file."""
    folder = tmp_path_factory.mktemp("startup")
    db = folder / "small.duckdb"
    with Store(db) as store:
        load(
            store,
            [
                ("ann", "page_visit", "0s"),
                ("ann", "email_click", "1h"),
                ("bob", "page_visit", "2h"),
            ],
        )
    journey = folder / "journey.yaml"
    journey.write_text(JOURNEY)
    return db, journey


def test_importing_the_cli_loads_none_of_them() -> None:
    code = f"import sys, headway.cli; print(sorted({{n.split('.')[0] for n in sys.modules}} & {set(HEAVY)!r}))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize("args", [["--help"], ["funnel", "--help"], ["journey", "--help"]])
def test_help_loads_none_of_them(args: list[str]) -> None:
    assert loaded_by(*args)["loaded"] == []


def test_types_loads_none_of_them(small_store: tuple[Path, Path]) -> None:
    db, _ = small_store
    assert loaded_by("--db", str(db), "types")["loaded"] == []


def test_funnel_loads_only_the_matcher(small_store: tuple[Path, Path]) -> None:
    db, journey = small_store
    found = loaded_by("--db", str(db), "funnel", str(journey), "--as-of", "2025-01-02")
    assert set(found["loaded"]) <= set(MATCHING)
    statistics = [n for n in found["scipy"] if n.startswith(("scipy.stats", "scipy.sparse"))]
    assert statistics == []  # the statistics of drivers and attribution stay out


# What the service loads only for the reports and actions that use them (#13, Build 4).
# (pydantic is not among them: Typer itself coerces every command's parameters with it.)
OTHER_REPORTS = (
    "httpx",
    "headway.actions.cohort_sync",
    "headway.actions.delivery",
    "headway.actions.worker",
    "headway.engine.attribution.report",
    "headway.engine.diagnostics.email_influence",
    "headway.engine.diagnostics.email_rankings",
    "headway.engine.diagnostics.email_journeys",
    "headway.engine.diagnostics.stalls",
    "headway.engine.email.queries",
    "headway.engine.email.stats",
    "headway.engine.email.suppression",
)


def test_funnel_loads_no_other_report(small_store: tuple[Path, Path]) -> None:
    db, journey = small_store
    args = ("--db", str(db), "funnel", str(journey), "--as-of", "2025-01-02")
    assert loaded_by(*args, watched=OTHER_REPORTS)["modules"] == []
