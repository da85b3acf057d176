"""Email influence on journey progress and the email rankings, on a hand-made world.

Journey Visit (/) -> Pricing (/pricing) -> Buy (purchase), window 30 days, as_of day 60.
Email n1 is delivered on day 1 (to l only on day 57: too recent for 7 days); n2 on day 20.

At Visit when n1 arrives: a, a2 (clicked, advanced), b (clicked, did not), c (opened,
advanced), c2 (opened, did not), d (only a machine open: not engaged; /pricing on day 10 is
after the 7 days), e (advanced), f (did not), k (advanced on day 1.5; its click on day 9 is
after the 7 days, so not engaged). At Pricing: g (clicked, bought on day 3), g2 (no
engagement, never bought). Not counted: h (never entered), i (entered 36 days before the
delivery: its window had closed).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from headway.api import Headway, options
from headway.engine.diagnostics.email_influence import email_influence
from headway.engine.diagnostics.email_rankings import email_ranking
from headway.errors import InvalidInput
from headway.store import Store
from tests.engine.activity_log import load

JOURNEY: dict[str, Any] = {
    "name": "Visit to buy",
    "window": "30d",
    "stages": [
        {"name": "Visit", "when": {"type": "page_visit", "where": {"url": "/"}}},
        {"name": "Pricing", "when": {"type": "page_visit", "where": {"url": "/pricing"}}},
        {"name": "Buy", "when": {"type": "purchase"}},
    ],
}
AS_OF = "2025-03-02"  # day 60
N1, N2 = {"email": "n1"}, {"email": "n2"}
HOME, PRICING = {"url": "/"}, {"url": "/pricing"}


def contact(name: str, *rows: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    return [(name, *r) for r in rows]


def world(store: Store) -> None:
    visit = ("page_visit", "0s", HOME)
    delivered = ("email_delivered", "1d", N1)
    rows = [
        *contact("a", visit, delivered, ("email_click", "25h", N1), ("page_visit", "2d", PRICING)),
        *contact("a2", visit, delivered, ("email_click", "26h", N1), ("page_visit", "5d", PRICING)),
        *contact("b", visit, delivered, ("email_open", "25h", N1), ("email_click", "25h", N1)),
        *contact("c", visit, delivered, ("email_open", "26h", N1), ("page_visit", "3d", PRICING)),
        *contact("c2", visit, delivered, ("email_open", "27h", N1)),
        *contact(
            "d", visit, delivered, ("email_open", "1d", N1, True), ("page_visit", "10d", PRICING)
        ),
        *contact("e", visit, delivered, ("page_visit", "2d", PRICING)),
        *contact("f", visit, delivered, ("email_unsubscribe", "27h", N1)),
        *contact("k", visit, delivered, ("page_visit", "36h", PRICING), ("email_click", "9d", N1)),
        *contact(
            "g",
            visit,
            ("page_visit", "12h", PRICING),
            delivered,
            ("email_click", "25h", N1),
            ("purchase", "3d"),
        ),
        *contact("g2", visit, ("page_visit", "12h", PRICING), delivered),
        *contact("h", delivered, ("email_click", "25h", N1)),
        *contact("i", ("page_visit", "-35d", HOME), delivered, ("email_click", "25h", N1)),
        *contact(
            "l",
            ("page_visit", "55d", HOME),
            ("email_delivered", "57d", N1),
            ("email_click", "57d", N1),
        ),
        # unsubscribes: e's names no email (counts for n1, delivered 4 days before it);
        # c's names n1 but is 19 days after it; b unsubscribes from n2.
        ("e", "email_unsubscribe", "5d"),
        ("c", "email_unsubscribe", "20d", N1),
        *[(x, "email_delivered", "20d", N2) for x in ("a", "b", "c")],
        ("b", "email_unsubscribe", "21d", N2),
    ]
    load(store, rows)


def katz(a: int, n1: int, c: int, n0: int) -> tuple[float, float, float]:
    """Rate ratio with its 95 % log interval, written out by hand."""
    rr = (a / n1) / (c / n0)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    return rr, rr * math.exp(-1.959964 * se), rr * math.exp(1.959964 * se)


def test_influence_groups_rates_and_lift(store: Store) -> None:
    world(store)
    hw = Headway(store)
    report = email_influence(hw.backend, hw.journey(JOURNEY), options(AS_OF), "n1")
    assert (report.recipients, report.too_recent) == (13, 1)
    visit, pricing = report.stages
    assert (visit.stage, visit.next_stage, visit.recipients, visit.advanced) == (
        "Visit",
        "Pricing",
        9,
        5,
    )
    clicked, opened, none = visit.groups
    assert (clicked.group, clicked.recipients, clicked.advanced) == ("clicked", 3, 2)
    assert (opened.group, opened.recipients, opened.advanced) == ("opened", 2, 1)
    assert (none.group, none.recipients, none.advanced) == ("not engaged", 4, 2)
    assert clicked.rate == pytest.approx(2 / 3)
    rr, low, high = katz(2, 3, 2, 4)
    assert (clicked.lift, clicked.lift_low, clicked.lift_high) == pytest.approx((rr, low, high))
    assert opened.lift == pytest.approx(1.0)
    assert none.lift is None
    assert "clicked n1" in visit.summary and "about as often" in visit.summary
    # At Pricing: g clicked and bought, g2 did neither: an empty cell, so every cell gets +0.5:
    # (1.5 / 2) / (0.5 / 2) = 3.
    assert (pricing.stage, pricing.recipients, pricing.advanced) == ("Pricing", 2, 1)
    assert pricing.groups[0].lift == pytest.approx(3.0)
    assert pricing.groups[1].recipients == 0 and pricing.groups[1].lift is None


def test_influence_all_view_counts_machine_opens(store: Store) -> None:
    world(store)
    hw = Headway(store)
    report = email_influence(hw.backend, hw.journey(JOURNEY), options(AS_OF), "n1", human=False)
    _, opened, none = report.stages[0].groups
    assert (opened.recipients, none.recipients) == (3, 3)  # d's machine open counts


def test_influence_days_window(store: Store) -> None:
    world(store)
    hw = Headway(store)
    # Within 1 day (inclusive) of delivery: k (day 1.5), a and e (day 2) advance; l's day
    # after its delivery on day 57 is over by day 60, so l counts too.
    report = email_influence(hw.backend, hw.journey(JOURNEY), options(AS_OF), "n1", days=1)
    assert (report.recipients, report.too_recent) == (14, 0)
    visit = report.stages[0]
    assert (visit.recipients, visit.advanced) == (10, 3)
    with pytest.raises(InvalidInput):
        email_influence(hw.backend, hw.journey(JOURNEY), options(AS_OF), "n1", days=0)


def test_influence_of_unknown_email_is_empty(store: Store) -> None:
    world(store)
    hw = Headway(store)
    report = email_influence(hw.backend, hw.journey(JOURNEY), options(AS_OF), "nope")
    assert (report.recipients, report.stages) == (0, ())
    assert report.to_dict()["stages"] == []


def test_unsubscribe_ranking(store: Store) -> None:
    world(store)
    hw = Headway(store)
    ranking = email_ranking(hw.backend, options(AS_OF))
    assert [e.email for e in ranking.emails] == ["n2", "n1"]
    n2, n1 = ranking.emails
    assert (n2.delivered, n2.unsubscribed) == (3, 1)
    assert (n1.delivered, n1.unsubscribed) == (13, 2)  # f (names n1) and e (names none)
    assert n1.unsubscribe_rate == pytest.approx(2 / 13)
    assert n1.at_stage is None and ranking.to_dict()["journey"] is None


def test_dropoff_ranking(store: Store) -> None:
    world(store)
    hw = Headway(store)
    ranking = email_ranking(hw.backend, options(AS_OF), journey=hw.journey(JOURNEY), by="dropoff")
    n2, n1 = ranking.emails
    # n1: 9 at Visit and 2 at Pricing; b, c2, f never reached Pricing, g2 never bought.
    assert (n1.email, n1.at_stage, n1.dropped) == ("n1", 11, 4)
    # n2 (day 20): a and c at Pricing, b at Visit; none moved on.
    assert (n2.email, n2.at_stage, n2.dropped, n2.drop_rate) == ("n2", 3, 3, 1.0)
    with pytest.raises(InvalidInput):
        email_ranking(hw.backend, options(AS_OF), by="dropoff")
    with pytest.raises(InvalidInput):
        email_ranking(hw.backend, options(AS_OF), by="bounces")


def test_own_steps_when_the_next_stage_is_an_email_click(store: Store) -> None:
    world(store)
    hw = Headway(store)
    clicks = {
        "name": "Visit to click",
        "window": "30d",
        "stages": [
            {"name": "Visit", "when": {"type": "page_visit", "where": {"url": "/"}}},
            {"name": "Clicked", "when": {"type": "email_click"}},
        ],
    }
    report = email_influence(hw.backend, hw.journey(clicks), options(AS_OF), "n1")
    (visit,) = report.stages
    # a, a2, b, g click n1 within the 7 days: each click is the step to Clicked; k's click on
    # day 9 is too late; h never entered, i's window had closed.
    assert (visit.recipients, visit.advanced, visit.own_steps) == (11, 4, 4)
    assert "own open or click" in visit.summary
