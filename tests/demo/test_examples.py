"""The example journeys parse, set targets, and fit the demo world's activities."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from headway.backends.duckdb import DuckDBBackend
from headway.demo.examples import example_files
from headway.engine.funnel.report import funnel_report
from headway.engine.kernel.run import match_journey
from headway.engine.options import ReportOptions
from headway.model.journey import load_journey_file
from headway.store import Store
from headway.store.journeys import list_journeys

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))


def test_the_examples_are_there() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"lead-nurturing.yaml", "onboarding.yaml", "webinar.yaml"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_parses_with_a_kpi(path: Path) -> None:
    journey = load_journey_file(path)
    assert any(stage.kpi for stage in journey.stages)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_stage_is_reached_on_the_demo_world(path: Path, world: Store) -> None:
    journey = load_journey_file(path)
    options = ReportOptions(as_of=datetime(2025, 6, 30))
    report = funnel_report(match_journey(DuckDBBackend(world), journey, options))
    reached = [stage.reached for stage in report.stages]
    assert reached == sorted(reached, reverse=True)
    assert reached[-1] >= 20, reached


def test_the_demo_stores_every_example_journey(world: Store) -> None:
    stored = {j.name for j in list_journeys(world)}
    assert stored == {load_journey_file(p).name for p in EXAMPLES}
    assert len(stored) == len(EXAMPLES) == 4


def test_examples_dir_is_the_packaged_one() -> None:
    assert [p.name for p in example_files()] == [p.name for p in EXAMPLES]
