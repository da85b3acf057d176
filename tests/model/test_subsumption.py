"""Which stage repeats or widens the previous one (DESIGN §5): decided from syntax, safely."""

from __future__ import annotations

from typing import Any

import pytest

from headway.model.journey import parse_journey
from headway.model.subsumption import strictly_later_flags


def flags(*whens: dict[str, Any], first_time: tuple[Any, ...] = ()) -> tuple[bool, ...]:
    stages = [{"name": f"s{i}", "when": w} for i, w in enumerate(whens)]
    for stage, ft in zip(stages, first_time, strict=False):
        stage["first_time"] = ft
    return strictly_later_flags(parse_journey({"name": "j", "stages": stages}))


PV = {"type": "page_visit"}
PRICING = {"type": "page_visit", "where": {"url": {"contains": "/pricing"}}}


@pytest.mark.parametrize(
    ("previous", "stage", "widens"),
    [
        (PV, PV, True),  # repeats
        (PRICING, PV, True),  # fewer predicates: wider
        (PV, PRICING, False),  # narrower
        ({"type": "a"}, {"type": ["a", "b"]}, True),  # type superset
        ({"type": ["a", "b"]}, {"type": "a"}, False),  # type subset
        ({"type": "a"}, {"type": "b"}, False),  # disjoint
        ({"type": "a"}, {}, True),  # absent type: any activity
        ({}, {"type": "a"}, False),
        ({"where": {"x": 1}}, {"type": "a"}, False),  # any type -> one type is narrower
        ({"type": "a", "where": {"x": 1, "y": 2}}, {"type": ["a", "c"], "where": {"y": 2}}, True),
        ({"type": "a", "where": {"x": 1}}, {"type": "a", "where": {"x": 2}}, False),
        ({"type": "a", "where": {"x": {"gt": 1}}}, {"type": "a", "where": {"x": {"gt": 0}}}, False),
        # any on the wide side: one member covers
        (PRICING, {"any": [{"type": "email_click"}, PV]}, True),
        (PV, {"any": [{"type": "email_click"}, PRICING]}, False),
        # any on the narrow side: every member must be covered
        ({"any": [PRICING, PV]}, PV, True),
        ({"any": [PV, {"type": "email_click"}]}, PV, False),
        # all on the narrow side: one member covered is enough
        ({"all": [PV, {"where": {"x": 1}}]}, PV, True),
        ({"type": "a", "all": [{"where": {"x": 1}}]}, {"type": "a"}, True),
        # all on the wide side: every member must cover
        (PRICING, {"all": [PV, {"where": {"url": {"contains": "/pricing"}}}]}, True),
        (PV, {"all": [PV, {"where": {"url": {"contains": "/pricing"}}}]}, False),
        # not: contravariant
        ({"not": PV}, {"not": PRICING}, True),
        ({"not": PRICING}, {"not": PV}, False),
        ({"not": PV}, {"not": PV}, True),
        (PV, {"not": {"type": "email_click"}}, False),  # not proven, so not claimed
    ],
)
def test_pairs(previous: dict[str, Any], stage: dict[str, Any], widens: bool) -> None:
    assert flags(previous, stage) == (False, widens)


def test_first_entry_is_false_and_length_matches() -> None:
    assert flags(PV, PV, PRICING, PV) == (False, True, False, True)
    assert flags(PV) == (False,)


def test_first_time_stage_covers_only_an_identical_first_time_stage() -> None:
    assert flags(PV, PV, first_time=(False, "event")) == (False, False)
    assert flags(PV, PV, first_time=("event", "event")) == (False, True)
    assert flags(PV, PV, first_time=("matching", "event")) == (False, False)
    assert flags(PV, PV, first_time=("event", False)) == (False, True)
