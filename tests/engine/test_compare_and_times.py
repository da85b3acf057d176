"""Two date ranges side by side, and the time-to-convert histogram, on hand-made timelines.

The expected figures are worked out here from the timeline itself (counts by hand, the ratio
and Fisher's p from scipy), not read back from the engine's own helpers.
"""

from __future__ import annotations

from typing import Any

import pytest
from scipy import stats

from headway.backends.duckdb import DuckDBBackend
from headway.engine.funnel.compare import compare_report
from headway.engine.funnel.report import funnel_report
from headway.engine.funnel.time_to_convert import time_to_convert
from headway.engine.kernel.run import match_journey
from headway.engine.options import DateWindow, ReportOptions
from headway.errors import InvalidInput
from headway.model.journey import Journey, parse_journey
from headway.store import Store
from tests.engine.activity_log import at, load

JOURNEY = parse_journey(
    {
        "name": "Trial",
        "window": "5d",
        "stages": [
            {"name": "Visit", "when": {"type": "page_visit"}},
            {"name": "Signup", "when": {"type": "form_submission"}},
            {"name": "Buy", "when": {"type": "purchase"}},
        ],
    }
)
AS_OF = at("60d")
RANGE_A = DateWindow(at("0d"), at("20d"))
RANGE_B = DateWindow(at("30d"), at("50d"))


def cohort(prefix: str, start: int, visits: int, signups: int, buys: int) -> list[tuple[Any, ...]]:
    """``visits`` contacts entering on day ``start``; the first ``signups`` sign up 2 h
    later, the first ``buys`` of those buy 3 days after entering."""
    rows: list[tuple[Any, ...]] = []
    for i in range(visits):
        c = f"{prefix}{i}"
        rows.append((c, "page_visit", f"{start}d"))
        if i < signups:
            rows.append((c, "form_submission", f"{start * 24 + 2}h"))
        if i < buys:
            rows.append((c, "purchase", f"{start + 3}d"))
    return rows


@pytest.fixture
def world(store: Store) -> Store:
    # A: 40 visit, 10 sign up, 4 buy; B: 50 visit, 25 sign up, 15 buy
    load(store, cohort("a", 2, 40, 10, 4) + cohort("b", 32, 50, 25, 15))
    return store


def matched(store: Store, window: DateWindow | None, journey: Journey = JOURNEY) -> Any:
    return match_journey(DuckDBBackend(store), journey, ReportOptions(AS_OF, window))


def test_compare_counts_change_ratio_and_p(world: Store) -> None:
    a, b = matched(world, RANGE_A), matched(world, RANGE_B)
    report = compare_report(a, b)
    assert [(s.reached_a, s.reached_b) for s in report.stages] == [(40, 50), (10, 25), (4, 15)]
    # the counts are the funnel's for each range
    for m, side in ((a, "reached_a"), (b, "reached_b")):
        assert [s.reached for s in funnel_report(m).stages] == [
            getattr(s, side) for s in report.stages
        ]
    signup = report.stages[1].from_previous
    assert signup is not None
    assert (signup.conversion_a, signup.conversion_b) == (10 / 40, 25 / 50)
    assert signup.change == pytest.approx(0.25)
    assert signup.ratio == pytest.approx(0.5 / 0.25)
    # Katz interval of the ratio of two shares
    se = (1 / 25 - 1 / 50 + 1 / 10 - 1 / 40) ** 0.5
    assert signup.ratio_low == pytest.approx(2.0 * 2.718281828459045 ** (-1.959963984540054 * se))
    expected_p = stats.fisher_exact([[25, 25], [10, 30]]).pvalue
    assert signup.p == pytest.approx(expected_p, rel=1e-9)
    buy = report.stages[2].from_previous
    assert buy is not None and (buy.converted_a, buy.base_a, buy.converted_b, buy.base_b) == (
        4,
        10,
        15,
        25,
    )
    assert buy.p == pytest.approx(stats.fisher_exact([[15, 10], [4, 6]]).pvalue, rel=1e-9)
    overall = report.overall
    assert (overall.conversion_a, overall.conversion_b) == (4 / 40, 15 / 50)
    assert overall.p == pytest.approx(stats.fisher_exact([[15, 35], [4, 36]]).pvalue, rel=1e-9)
    body = report.to_dict()
    assert body["stages"][0]["from_previous"] is None
    assert body["range_a"]["start"] == "2025-01-01T00:00:00Z"
    assert len(report.rows()) == 3


def test_compare_with_an_empty_range_has_no_test(world: Store) -> None:
    empty = DateWindow(at("55d"), at("56d"))
    report = compare_report(matched(world, RANGE_A), matched(world, empty))
    assert [s.reached_b for s in report.stages] == [0, 0, 0]
    signup = report.stages[1].from_previous
    assert signup is not None and signup.conversion_b is None and signup.p is None
    assert signup.change is None and signup.ratio is None


def test_compare_refuses_two_journeys(world: Store) -> None:
    other = parse_journey({"name": "Other", "stages": JOURNEY_STAGES})
    with pytest.raises(InvalidInput):
        compare_report(matched(world, RANGE_A), matched(world, RANGE_B, other))


JOURNEY_STAGES = [{"name": "Visit", "when": {"type": "page_visit"}}]


def test_time_to_convert_bins_the_exact_waits(store: Store) -> None:
    rows: list[tuple[Any, ...]] = []
    waits = {"30s": 2, "5m": 3, "59m": 1, "2h": 4, "2d": 5, "8d": 0}
    n = 0
    for wait, count in waits.items():
        for _ in range(count):
            c = f"c{n}"
            n += 1
            rows += [(c, "page_visit", "0s"), (c, "form_submission", wait)]
    rows += [("late", "page_visit", "0s"), ("late", "form_submission", "8d")]  # past the window
    load(store, rows)
    report = time_to_convert(matched(store, None))
    signup, buy = report.steps
    assert (signup.from_name, signup.to_name, signup.converted) == ("Visit", "Signup", 15)
    assert [(b.label, b.contacts) for b in signup.bins] == [
        ("under 1 min", 2),
        ("1–10 min", 3),
        ("10 min–1 h", 1),
        ("1–6 h", 4),
        ("6–24 h", 0),
        ("1–3 days", 5),
    ]
    assert signup.bins[0].low_seconds == 0 and signup.bins[-1].high_seconds == 3 * 86_400
    # the same counts as the funnel's histogram of time_from_previous
    row = funnel_report(matched(store, None)).stages[1].time_from_previous
    assert row is not None
    assert [b.contacts for b in signup.bins] == [c for c in row.histogram.values()][:6]
    assert buy.converted == 0 and buy.bins == ()
    assert report.to_dict()["steps"][0]["bins"][0] == {
        "label": "under 1 min",
        "low_seconds": 0,
        "high_seconds": 60,
        "contacts": 2,
    }
