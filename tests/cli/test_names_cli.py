"""CLI tables print names verbatim: Rich markup in a name ('[Amplitude] Page Viewed',
'[bold]x[/]') is text, never styling, in titles, cells and timelines."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from headway.cli import app
from headway.store import Store
from tests.engine.activity_log import load

TYPE = "[Amplitude] Page Viewed"
KEY = "[b]utm[/b] source"
VALUE = "[red]google[/red]"
JOURNEY = """\
name: "[bold]Launch[/bold] plan"
window: 10y
stages:
  - name: "[Amplitude] Page Viewed"
    when: {type: "[Amplitude] Page Viewed"}
  - name: "[italic]Bought[/]"
    when: {type: "Order Completed", where: {"$plan": {gte: "pro"}}}
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A database with names full of Rich markup, and the journey file."""
    tmp = tmp_path_factory.mktemp("names-cli")
    db = tmp / "h.duckdb"
    with Store(db) as store:
        load(
            store,
            [
                ("[u]ann[/u]", TYPE, "0s", {KEY: VALUE}),
                ("[u]ann[/u]", "Order Completed", "1h", {"$plan": "pro"}),
                ("bob", TYPE, "0s", {KEY: "bing"}),
                ("bob", "Order Completed", "1h", {"$plan": "basic"}),
            ],
        )
    path = tmp / "j.yaml"
    path.write_text(JOURNEY)
    return db, path


def invoke(db: Path, *args: str) -> str:
    """The command's standard output, run in-process."""
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_funnel_table_shows_stage_and_journey_names_verbatim(world: tuple[Path, Path]) -> None:
    db, journey = world
    out = invoke(db, "funnel", str(journey), "--as-of", "2025-02-01")
    assert "[bold]Launch[/bold] plan" in out
    assert TYPE in out and "[italic]Bought[/]" in out


def test_breakdown_shows_property_values_verbatim(world: tuple[Path, Path]) -> None:
    db, journey = world
    out = invoke(db, "breakdown", str(journey), "--by", KEY, "--as-of", "2025-02-01")
    assert VALUE in out and "bing" in out


def test_contact_timeline_shows_types_and_properties_verbatim(world: tuple[Path, Path]) -> None:
    db, _ = world
    out = invoke(db, "contacts", "show", "[u]ann[/u]")
    # The 80-column timeline wraps long cells; the markup-like parts survive as text.
    assert "Contact [u]ann[/u]" in out and "[Amplitude] Page" in out
    assert '{"[b]utm[/b]' in out and "[red]goo" in out
