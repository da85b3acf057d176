"""YAML aliases are refused with a message where they stand (cycles and blow-ups never load)."""

from __future__ import annotations

import pytest

from headway.errors import InvalidJourney
from headway.model.journey import parse_journey

CASES = {
    "self-reference": ("a: &a [*a]", "line 1, column 8"),
    "billion laughs": (
        'a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: [*c,*c]',
        "line 2, column 8",
    ),
    "reused stages": (
        "name: x\nstages: &s\n  - {name: A, when: {type: a}}\nagain: *s",
        "line 4, column 8",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_an_alias_is_refused_with_its_place(name: str) -> None:
    text, place = CASES[name]
    with pytest.raises(InvalidJourney) as err:
        parse_journey(text)
    assert str(err.value) == (
        f"{place}: aliases (*name) are not allowed in a journey; write the value out "
        "(not valid YAML)"
    )


def test_an_anchor_without_alias_is_harmless() -> None:
    journey = parse_journey("name: x\nstages:\n  - &first {name: A, when: {type: a}}\n")
    assert [s.name for s in journey.stages] == ["A"]
