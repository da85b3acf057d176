"""The planted effects of the demo world (docs/demo.md) as the attribution helpers see them:
the April newsletter tops the unsubscribe ranking (effect 2) and webinar-invite clickers
reach pricing more often (effect 1). The world is built by ``headway demo`` (bot labels
included) once for this module."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headway.api import Headway, options
from headway.cli import app
from headway.engine.attribution.report import attribution_report
from headway.engine.diagnostics.email_influence import email_influence
from headway.engine.diagnostics.email_rankings import email_ranking
from headway.store import Store

pytestmark = pytest.mark.slow
AS_OF = "2025-06-30"


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "headway.cli", "--db", str(path), "demo"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture(scope="module")
def hw(demo_path: Path) -> Iterator[Headway]:
    with Store(demo_path, read_only=True) as store:
        yield Headway(store)


def test_april_newsletter_tops_the_unsubscribe_ranking(hw: Headway) -> None:
    ranking = email_ranking(hw.backend, options(AS_OF))
    top, *rest = ranking.emails
    assert top.email == "newsletter-2025-04"
    assert top.unsubscribe_rate is not None and 0.015 < top.unsubscribe_rate < 0.022
    assert all(e.unsubscribe_rate is not None and e.unsubscribe_rate < 0.005 for e in rest)


def test_webinar_invite_clickers_reach_pricing_more_often(hw: Headway) -> None:
    journey = hw.journey("Webinar invite")
    report = email_influence(hw.backend, journey, options(AS_OF), "webinar-invite")
    (invited,) = report.stages
    assert (invited.stage, invited.next_stage) == ("Invited", "Considering")
    clicked, _, none = invited.groups
    assert clicked.rate is not None and none.rate is not None
    assert 0.06 < clicked.rate < 0.095 and 0.025 < none.rate < 0.045  # 7.7 % vs 3.5 %
    assert clicked.lift_low is not None and clicked.lift_low > 1
    assert "as often as recipients who did not engage" in invited.summary


def test_attribution_on_the_demo_journeys(hw: Headway) -> None:
    for name in ("Lead nurturing", "Onboarding", "Webinar"):
        report = attribution_report(hw.backend, hw.journey(name), options(AS_OF))
        assert report.conversions > 0
        for model in report.models:
            credited = sum(t.credits[model] for t in report.touchpoints)
            assert credited == pytest.approx(report.attributed_conversions)
        assert not any(t.touchpoint.startswith("email_sent:") for t in report.touchpoints)
    # Webinar: most registrations follow a visit to /webinar two minutes earlier.
    webinar = attribution_report(hw.backend, hw.journey("Webinar"), options(AS_OF))
    assert webinar.touchpoints[0].touchpoint == "page_visit:/webinar"


def test_cli_ranking_on_the_demo(demo_path: Path) -> None:
    args = ["--db", str(demo_path), "emails", "unsubscribes", "--as-of", AS_OF, "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["emails"][0]["email"] == "newsletter-2025-04"
