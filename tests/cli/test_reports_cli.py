"""The report commands' contract (docs/cli.md): funnel --json shape, tables, contacts
formats, trends and breakdown, and one-sentence errors from a real subprocess."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headway.cli import app
from headway.store import Store
from tests.engine.activity_log import load

JOURNEY = """\
name: Lead nurturing
window: 1d
stages:
  - name: Aware
    when: {type: page_visit}
  - name: Engaged
    when: {type: email_click}
  - name: Sales contact
    when: {type: form_submission, where: {form: contact-sales}}
    kpi: 4
"""
HEADWAY = [sys.executable, "-m", "headway.cli"]


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    """A database with four contacts and the journey file."""
    db = tmp_path / "h.duckdb"
    with Store(db) as store:
        load(
            store,
            [
                ("ann", "page_visit", "0s", {"utm_source": "google"}),
                ("ann", "email_click", "1h"),
                ("ann", "form_submission", "2h", {"form": "contact-sales"}),
                ("bob", "page_visit", "0s", {"utm_source": "google"}),
                ("bob", "email_click", "3h"),
                ("cy", "page_visit", "1d", {"utm_source": "bing"}),
                ("dee", "page_visit", "8d"),
            ],
        )
    path = tmp_path / "lead.yaml"
    path.write_text(JOURNEY)
    return db, path


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``headway`` entry point as a process."""
    return subprocess.run(
        [*HEADWAY, "--db", str(db), *args], capture_output=True, text=True, timeout=120
    )


def invoke(db: Path, *args: str) -> str:
    """Run the CLI in-process; its standard output."""
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_funnel_json_contract(world: tuple[Path, Path]) -> None:
    db, journey = world
    proc = run(db, "funnel", str(journey), "--as-of", "2025-01-02T12:00:00Z", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["journey"] == "Lead nurturing"
    assert data["as_of"] == "2025-01-02T12:00:00Z"
    stages = data["stages"]
    assert [s["index"] for s in stages] == [1, 2, 3]
    assert [s["reached"] for s in stages] == [3, 2, 1]
    assert stages[1]["conversion_from_previous"] == pytest.approx(2 / 3)
    assert stages[2]["conversion_from_first"] == pytest.approx(1 / 3)
    # bob (window closed at 1d) dropped at Engaged; cy entered at 1d, still open at 1d12h.
    assert (stages[1]["dropped"], stages[1]["in_progress"]) == (1, 0)
    assert (stages[0]["dropped"], stages[0]["in_progress"]) == (0, 1)
    engaged = stages[1]["time_from_previous"]  # ann 1h, bob 3h
    assert (engaged["mean"], engaged["median"]) == (7200.0, 7200.0)
    assert engaged["p90"] == pytest.approx(3600 + 0.9 * 7200)
    for key in ("mean", "median", "p90"):
        assert key in stages[0]["time_from_previous"]
    assert stages[2]["kpi_share"] == 0.25


def test_funnel_table_and_date_range(world: tuple[Path, Path]) -> None:
    db, journey = world
    result = CliRunner().invoke(
        app, ["--db", str(db), "funnel", str(journey), "--as-of", "2025-02-01"]
    )
    assert result.exit_code == 0, result.output
    assert "Engaged" in result.output and "Sales contact" in result.output
    ranged = CliRunner().invoke(
        app,
        [
            "--db",
            str(db),
            "funnel",
            str(journey),
            "--as-of",
            "2025-02-01",
            "--date-range",
            "2025-01-02..",
            "--json",
        ],
    )
    assert [s["reached"] for s in json.loads(ranged.output)["stages"]] == [2, 0, 0]


def test_contacts_formats(world: tuple[Path, Path]) -> None:
    db, journey = world
    text = run(db, "contacts", str(journey), "--stage", "Engaged", "--as-of", "2025-02-01")
    assert text.stdout.splitlines() == ["ann", "bob"]
    dropped = invoke(
        db, "contacts", str(journey), "--stage", "2", "--status", "dropped", "--as-of", "2025-02-01"
    )
    assert dropped.splitlines() == ["bob"]
    as_csv = invoke(
        db, "contacts", str(journey), "--stage", "1", "--format", "csv", "--as-of", "2025-02-01"
    )
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert [r["contact"] for r in rows] == ["ann", "bob", "cy", "dee"]
    assert rows[0]["t_Sales contact"] == "2025-01-01 02:00:00"
    as_json = invoke(
        db, "contacts", str(journey), "--stage", "1", "--format", "json", "--limit", "2"
    )
    assert json.loads(as_json)["total"] == 4


def test_trends_and_breakdown(world: tuple[Path, Path]) -> None:
    db, journey = world
    trends = json.loads(
        invoke(db, "trends", str(journey), "--by", "day", "--json", "--as-of", "2025-02-01")
    )
    assert [(p["period"], p["entered"]) for p in trends["periods"]] == [
        ("2025-01-01", 2),
        ("2025-01-02", 1),
        ("2025-01-09", 1),
    ]
    bd = json.loads(invoke(db, "breakdown", str(journey), "--by", "utm_source", "--json"))
    assert [(v["value"], v["entered"]) for v in bd["values"]] == [
        ("google", 2),
        ("(none)", 1),
        ("bing", 1),
    ]
    table = CliRunner().invoke(
        app, ["--db", str(db), "breakdown", str(journey), "--by", "utm_source"]
    )
    assert "google" in table.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["funnel", "nope"], "error: no journey named 'nope'"),
        (
            ["funnel", "{journey}", "--as-of", "yesterday"],
            "error: as_of: 'yesterday' is not a date or time",
        ),
        (
            ["funnel", "{journey}", "--date-range", "2025-01-01"],
            "error: --date-range: '2025-01-01' is not a range",
        ),
        (["contacts", "{journey}"], "error: --stage is required"),
        (["contacts", "{journey}", "--stage", "Nope"], "error: --stage: no stage named 'Nope'"),
        (
            ["contacts", "{journey}", "--stage", "9"],
            "error: --stage: 9 is not a stage of 'Lead nurturing'",
        ),
        (
            ["contacts", "{journey}", "--stage", "1", "--format", "xml"],
            "error: --format: 'xml' is not one of",
        ),
        (["trends", "{journey}", "--by", "year"], "error: --by: 'year' is not a period"),
    ],
)
def test_errors_are_one_sentence(world: tuple[Path, Path], args: list[str], message: str) -> None:
    db, journey = world
    proc = run(db, *[a.replace("{journey}", str(journey)) for a in args])
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_database_is_one_sentence(tmp_path: Path) -> None:
    proc = run(tmp_path / "none.duckdb", "funnel", "x.yaml")
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_contacts_show_prints_profile_and_timeline(world: tuple[Path, Path]) -> None:
    db, _ = world
    shown = invoke(db, "contacts", "show", "ann")
    assert "ann" in shown and "form_submission" in shown
    proc = run(db, "contacts", "show", "nobody")
    assert proc.returncode == 2 and "error: there is no contact 'nobody'" in proc.stderr
    usage = run(db, "contacts", "show")
    assert usage.returncode == 2 and "usage: headway contacts show CONTACT_ID" in usage.stderr
