"""``--segment``, ``headway flow``, ``headway cohorts`` and ``headway views`` (docs/cli.md)
on the four-contact world of test_reports_cli.py (ann converted, bob dropped at Engaged, cy
and dee dropped at Aware; ann and bob came from google, cy from bing)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from headway.cli import app
from tests.cli.test_reports_cli import invoke, run, world

__all__ = ["world"]
AS_OF = ["--as-of", "2025-01-20"]


def reached(db: Path, journey: Path, *args: str) -> list[int]:
    out = json.loads(invoke(db, "funnel", str(journey), "--json", *AS_OF, *args))
    return [s["reached"] for s in out["stages"]]


def test_segment_flag_flow_and_cohorts(world: tuple[Path, Path]) -> None:
    db, journey = world
    assert reached(db, journey) == [4, 2, 1]
    assert reached(db, journey, "--segment", "entry.utm_source=google") == [2, 2, 1]
    assert reached(
        db, journey, "-s", "entry.utm_source=google", "-s", "entry.utm_source!=google"
    ) == [0, 0, 0]
    flow = json.loads(
        invoke(
            db,
            "flow",
            str(journey),
            "--stage",
            "Aware",
            "--json",
            *AS_OF,
            "-s",
            "entry.utm_source=google",
        )
    )
    assert (flow["contacts"], flow["moved_on"], flow["dropped"]) == (2, 2, 0)
    table = invoke(db, "flow", str(journey), "--stage", "Engaged", *AS_OF)
    assert "from Engaged to Sales contact" in table and "Reached Sales contact" in table
    saved = invoke(
        db,
        "cohorts",
        "save",
        "Dropped early",
        "--journey",
        str(journey),
        "--stage",
        "1",
        "--status",
        "dropped",
        *AS_OF,
    )
    assert "2 contacts" in saved  # cy and dee
    listed = json.loads(invoke(db, "cohorts", "list", "--json"))
    assert [(c["name"], c["size"], c["status"]) for c in listed] == [
        ("Dropped early", 2, "dropped")
    ]
    assert reached(db, journey, "-s", "cohort=Dropped early") == [2, 0, 0]
    invoke(db, "cohorts", "delete", "Dropped early")
    gone = CliRunner().invoke(
        app, ["--db", str(db), "funnel", str(journey), "-s", "cohort=Dropped early"]
    )
    assert "no cohort named 'Dropped early'" in str(gone.exception)
    bad = CliRunner().invoke(app, ["--db", str(db), "funnel", str(journey), "-s", "plan=pro"])
    assert "'plan=pro' is not a filter" in str(bad.exception)


def test_views_list_and_delete(world: tuple[Path, Path]) -> None:
    db, _ = world
    assert json.loads(invoke(db, "views", "list", "--json")) == []
    missing = CliRunner().invoke(app, ["--db", str(db), "views", "delete", "Nope"])
    assert "no saved view named 'Nope'" in str(missing.exception)


def test_a_bad_segment_is_one_sentence_from_the_real_command(world: tuple[Path, Path]) -> None:
    db, journey = world
    done = run(db, "funnel", str(journey), "--segment", "plan=pro")
    assert done.returncode != 0
    assert "segment: 'plan=pro' is not a filter" in done.stderr
    assert "Traceback" not in done.stderr


def test_segment_flag_on_contacts_drivers_stalls_attribution(world: tuple[Path, Path]) -> None:
    db, journey = world
    google = ["-s", "entry.utm_source=google"]
    listed = invoke(db, "contacts", str(journey), "--stage", "1", *AS_OF, *google)
    assert listed.split() == ["ann", "bob"]
    for command in ("drivers", "stalls", "attribution"):
        body = json.loads(invoke(db, command, str(journey), "--json", *AS_OF, *google))
        assert body["journey"] == "Lead nurturing"
    credited = json.loads(invoke(db, "attribution", str(journey), "--json", *AS_OF, *google))
    everyone = json.loads(invoke(db, "attribution", str(journey), "--json", *AS_OF))
    assert (credited["contacts"], everyone["contacts"]) == (2, 4)
