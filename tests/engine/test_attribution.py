"""Attribution of a journey's conversions, from a hand-made activity log to the report.

Journey Visit (/) -> Buy (purchase), window 30 days, as_of day 60. Paths (human view, stage
activities and email sends left out):

- p converts: delivered n1, clicked n1/offer, /pricing (the /blog visit after buying and the
  machine click are not on its path) -> (D, C, P), converted;
- q does not: /pricing (its /pricing visit on day 31 is after its window) -> (P,);
- r converts with no touchpoint at all -> (), converted;
- s does not: its second visit to / defines the first stage, the send is no touch -> ().

Markov chain: start->D, start->P, start->conv, start->null 1/4 each; D->C 1; C->P 1;
P->conv 1/2, P->null 1/2. P(conv) = 1/4 * 1/2 + 1/4 * 1/2 + 1/4 = 1/2.
Without D or without C: 1/4 * 1/2 + 1/4 = 3/8, removal effect 1/4 each; without P: 1/4,
removal effect 1/2. One conversion has touchpoints: D 1/4, C 1/4, P 1/2.
"""

from __future__ import annotations

from typing import Any

import pytest

from headway.api import Headway, options
from headway.engine.attribution.report import (
    MODELS,
    AttributionOptions,
    attribution_report,
    journey_paths,
    parse_models,
)
from headway.errors import InvalidInput
from headway.store import Store
from tests.engine.activity_log import load

JOURNEY: dict[str, Any] = {
    "name": "Visit to buy",
    "window": "30d",
    "stages": [
        {"name": "Visit", "when": {"type": "page_visit", "where": {"url": "/"}}},
        {"name": "Buy", "when": {"type": "purchase"}},
    ],
}
AS_OF = "2025-03-02"
D, C, P = "email_delivered:n1", "email_click:n1/offer", "page_visit:/pricing"


def world(store: Store) -> None:
    n1, offer = {"email": "n1"}, {"email": "n1", "link": "offer"}
    load(
        store,
        [
            ("p", "page_visit", "0s", {"url": "/"}),
            ("p", "email_sent", "1d", n1),
            ("p", "email_delivered", "1d", n1),
            ("p", "email_click", "1d", {**offer, "link": "hp"}, True),
            ("p", "email_click", "25h", offer),
            ("p", "page_visit", "2d", {"url": "https://x.example/pricing?utm_source=n1"}),
            ("p", "purchase", "3d", {"value": 29}),
            ("p", "page_visit", "4d", {"url": "/blog/a"}),
            ("q", "page_visit", "0s", {"url": "/"}),
            ("q", "page_visit", "1d", {"url": "/pricing"}),
            ("q", "page_visit", "31d", {"url": "/pricing"}),
            ("r", "page_visit", "0s", {"url": "/"}),
            ("r", "purchase", "1h"),
            ("s", "page_visit", "0s", {"url": "/"}),
            ("s", "email_sent", "1d", n1),
            ("s", "page_visit", "2d", {"url": "/"}),
        ],
    )


def test_paths_from_the_activity_log(store: Store) -> None:
    world(store)
    hw = Headway(store)
    paths = journey_paths(hw.backend, hw.match(JOURNEY, as_of=AS_OF))
    got = {
        (seq, conv, null)
        for seq, conv, null in zip(paths.sequences, paths.conversions, paths.nulls, strict=True)
    }
    assert got == {((D, C, P), 1, 0), ((P,), 0, 1), ((), 1, 1)}


def test_report_every_model(store: Store) -> None:
    world(store)
    hw = Headway(store)
    report = attribution_report(hw.backend, hw.journey(JOURNEY), options(AS_OF))
    assert report.models == MODELS
    assert (report.contacts, report.conversions, report.attributed_conversions) == (4, 2, 1)
    assert report.conversion_probability == pytest.approx(0.5)
    credit = {t.touchpoint: t for t in report.touchpoints}
    assert [t.touchpoint for t in report.touchpoints] == [P, C, D]  # by Markov credit, then reach
    assert credit[D].credits == pytest.approx(
        {"first": 1, "last": 0, "linear": 1 / 3, "position": 0.4, "markov": 0.25}
    )
    assert credit[C].credits == pytest.approx(
        {"first": 0, "last": 0, "linear": 1 / 3, "position": 0.2, "markov": 0.25}
    )
    assert credit[P].credits == pytest.approx(
        {"first": 0, "last": 1, "linear": 1 / 3, "position": 0.4, "markov": 0.5}
    )
    assert credit[P].removal_effect == pytest.approx(0.5)
    assert (credit[P].contacts, credit[P].converted) == (2, 1)
    data = report.to_dict()
    assert data["unattributed_conversions"] == 1
    assert data["markov"]["states"] == 4
    row = data["touchpoints"][0]
    assert row["touchpoint"] == P and row["markov_share"] == pytest.approx(0.5)


def test_report_one_model_and_second_order(store: Store) -> None:
    world(store)
    hw = Headway(store)
    attribution = AttributionOptions(models=("last",), order=2)
    report = attribution_report(hw.backend, hw.journey(JOURNEY), options(AS_OF), attribution)
    assert report.models == ("last",) and report.conversion_probability is None
    assert set(report.rows()[0]) == {
        "touchpoint",
        "label",
        "contacts",
        "converted",
        "last",
        "last_share",
    }
    second = attribution_report(
        hw.backend, hw.journey(JOURNEY), options(AS_OF), AttributionOptions(order=2)
    )
    # States start, (D), (D, C), (C, P), (P): a /pricing visit after the click always
    # converts, a lone one never does, so removing any of D, C, P leaves only the direct
    # conversion (P = 1/4 of 1/2, effect 1/2 each): one third of the conversion each.
    assert second.states == 5
    assert {t.touchpoint: t.removal_effect for t in second.touchpoints} == pytest.approx(
        {D: 0.5, C: 0.5, P: 0.5}
    )
    assert {t.touchpoint: t.credits["markov"] for t in second.touchpoints} == pytest.approx(
        {D: 1 / 3, C: 1 / 3, P: 1 / 3}
    )


def test_no_one_entered(store: Store) -> None:
    load(store, [("x", "purchase", "0s")])
    hw = Headway(store)
    report = attribution_report(hw.backend, hw.journey(JOURNEY), options(AS_OF))
    assert (report.contacts, report.conversions, report.touchpoints) == (0, 0, ())
    assert report.conversion_probability == 0.0


def test_model_names_are_checked() -> None:
    assert parse_models("all") == MODELS
    assert parse_models(None) == MODELS
    assert parse_models("markov, first,markov") == ("markov", "first")
    with pytest.raises(InvalidInput, match="unknown attribution model shapley"):
        parse_models("shapley")
    with pytest.raises(InvalidInput, match="order 9"):
        AttributionOptions(order=9)
