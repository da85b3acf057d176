"""The Python API's drivers, stalls, attribution and email influence on the demo world: the
same reports as the engine functions behind the CLI and the REST API, through the match cache."""

from __future__ import annotations

from datetime import datetime

from headway.api import Headway
from headway.backends.duckdb import DuckDBBackend
from headway.engine.attribution.report import attribution_report
from headway.engine.diagnostics.drivers import drivers_report
from headway.engine.diagnostics.email_influence import email_influence
from headway.engine.diagnostics.email_rankings import email_ranking
from headway.engine.diagnostics.stalls import stalls_report
from headway.engine.options import ReportOptions
from headway.store import Store
from headway.store.journeys import resolve_journey

AS_OF = "2025-06-30"
OPTIONS = ReportOptions(as_of=datetime(2025, 6, 30))


def test_drivers_and_stalls_equal_the_engine(world: Store) -> None:
    hw = Headway(world)
    journey = resolve_journey(world, "Webinar invite")
    mine = hw.drivers("Webinar invite", as_of=AS_OF)
    assert mine.to_dict() == drivers_report(DuckDBBackend(world), journey, OPTIONS).to_dict()
    # On this smaller world the planted click and the visit to /webinar it leads to share the
    # top (the default world's ranking is asserted in tests/engine/test_drivers.py).
    top = [d.touchpoint for d in mine.transitions[0].drivers[:2]]
    assert "email_click:webinar-invite/register" in top
    onboarding = resolve_journey(world, "Onboarding")
    stalls = hw.stalls("Onboarding", stage=1, as_of=AS_OF)
    engine = stalls_report(DuckDBBackend(world), onboarding, OPTIONS, stage=0)
    assert stalls.to_dict() == engine.to_dict()


def test_attribution_and_email_reports_equal_the_engine(world: Store) -> None:
    hw = Headway(world)
    backend = DuckDBBackend(world)
    journey = resolve_journey(world, "Lead nurturing")
    mine = hw.attribution("Lead nurturing", as_of=AS_OF)
    assert mine.to_dict() == attribution_report(backend, journey, OPTIONS).to_dict()
    invite = resolve_journey(world, "Webinar invite")
    influence = hw.email_influence("webinar-invite", "Webinar invite", as_of=AS_OF)
    expected = email_influence(backend, invite, OPTIONS, "webinar-invite")
    assert influence.to_dict() == expected.to_dict()
    ranking = hw.email_ranking(as_of=AS_OF)
    assert ranking.to_dict() == email_ranking(backend, OPTIONS).to_dict()
    assert ranking.rows()[0]["email"] == "newsletter-2025-04"
