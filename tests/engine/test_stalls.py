"""Stall diagnosis on a timeline: who is stalled (the funnel's count), their last three
touchpoints, and the comparison with contacts who moved on in the same period."""

from __future__ import annotations

from typing import Any

import pytest

from headway.backends.duckdb import DuckDBBackend
from headway.engine.diagnostics.stalls import stalls_report
from headway.engine.funnel.report import funnel_report
from headway.engine.kernel.run import match_journey
from headway.engine.options import ReportOptions
from headway.errors import InvalidInput
from headway.model.journey import Journey, parse_journey
from headway.store import Store
from tests.engine.activity_log import at, load

AS_OF = ReportOptions(as_of=at("10d"))


def journey() -> Journey:
    return parse_journey(
        {
            "name": "S",
            "window": "7d",
            "stall_after": "1d",
            "stages": [
                {"name": "Trial", "when": {"type": "form_submission", "where": {"form": "trial"}}},
                {"name": "Docs", "when": {"type": "page_visit", "where": {"url": "/docs"}}},
                {"name": "Buy", "when": {"type": "purchase"}},
            ],
        }
    )


def trial(c: str, offset: str) -> tuple[Any, ...]:
    return (c, "form_submission", offset, {"form": "trial"})


def visit(c: str, url: str, offset: str) -> tuple[Any, ...]:
    return (c, "page_visit", offset, {"url": url})


def test_stalled_contacts_and_their_last_touchpoints(store: Store) -> None:
    load(
        store,
        [
            # stalled at Trial since 6d (as_of 10d: 4 days > 1 day, window open until 13d)
            trial("s", "6d"),
            visit("s", "/a", "6d"),  # at t_k: not after it
            visit("s", "/b", "7d"),
            visit("s", "/c", "8d"),
            visit("s", "/docs-faq", "9d"),
            ("s", "email_open", "9.5d", {"email": "n1"}),
            visit("s", "/late", "11d"),  # after as_of
            # stalled longer, since 4d
            trial("t", "4d"),
            # not stalled yet: at Trial for 12 h only
            trial("u", "9.5d"),
            # moved on
            trial("m", "5d"),
            visit("m", "/docs", "5.5d"),
        ],
    )
    report = stalls_report(DuckDBBackend(store), journey(), AS_OF)
    trial_stage = report.stages[0]
    assert [c.contact for c in trial_stage.contacts] == ["t", "s"]  # longest stalled first
    s = trial_stage.contacts[1]
    assert [t.touchpoint for t in s.last_touchpoints] == [
        "email_open:n1",
        "page_visit:/docs-faq",
        "page_visit:/c",
    ]
    assert s.stalled_for_seconds == 4 * 86_400
    assert s.last_touchpoints[0].label == "opened n1"
    funnel = funnel_report(match_journey(DuckDBBackend(store), journey(), AS_OF))
    assert [st.stalled for st in report.stages] == [st.stalled for st in funnel.stages[:2]]
    assert trial_stage.advanced == 1
    assert [s.name for s in report.stages] == ["Trial", "Docs"]


def test_touchpoints_over_represented_among_stalled(store: Store) -> None:
    rows: list[tuple[Any, ...]] = []
    for i in range(30):  # stalled, most of them read the pricing FAQ
        rows += [trial(f"s{i}", "5d")]
        if i < 24:
            rows += [visit(f"s{i}", "/faq", "5.1d")]
    for i in range(30):  # moved on in the same period, few read it
        rows += [trial(f"m{i}", "5d"), visit(f"m{i}", "/docs", "5.5d")]
        if i < 6:
            rows += [visit(f"m{i}", "/faq", "5.1d")]
    load(store, rows)
    report = stalls_report(DuckDBBackend(store), journey(), AS_OF, stage=0)
    (stage,) = report.stages
    (faq,) = stage.over_represented
    assert faq.touchpoint == "page_visit:/faq"
    assert (faq.stalled_with, faq.advanced_with) == (24, 6)
    assert faq.share_stalled == pytest.approx(0.8) and faq.share_advanced == pytest.approx(0.2)
    assert faq.q < 0.001
    assert faq.sentence.startswith("Contacts who visited /faq stalled 4.0× as often")
    assert report.to_dict()["stages"][0]["over_represented"][0]["touchpoint"] == "page_visit:/faq"
    assert report.to_arrow().num_rows == 30


def test_the_last_stage_has_no_stalls() -> None:
    with pytest.raises(InvalidInput):
        stalls_report(None, journey(), AS_OF, stage=2)  # type: ignore[arg-type]
