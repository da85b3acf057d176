"""Hypothesis over the journey language (#11): hostile definitions are refused, never a crash.

Any value, anywhere in a definition, and any text made of YAML/JSON's structural pieces,
gives either a Journey or ``InvalidJourney`` with details that name a reason (at most 100
worded, plus one that counts the rest); valid journeys round-trip through the canonical
mapping, JSON text and YAML text.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from headway.errors import InvalidJourney
from headway.model.journey import Journey, journey_to_dict, parse_journey
from headway.model.journey_yaml import journey_yaml
from tests.model.test_journey import journeys

# Text with anything in it: control characters, lone surrogates, brackets, quotes.
ANY_TEXT = st.text(st.characters(codec=None), max_size=12)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**1200),
    st.floats(allow_nan=True, allow_infinity=True),
    ANY_TEXT,
    st.sampled_from(["", "type", "where", "not", "regex", "(a)\\1", "30d", "2025-02-30"]),
)
KEYS = st.one_of(
    ANY_TEXT,
    st.sampled_from(
        ["name", "stages", "when", "type", "where", "any", "all", "not", "in", "eq", "regex"]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=40,
)
PIECES = st.sampled_from(
    ["[", "]", "{", "}", ":", ": ", "- ", ",", "\n", "  ", "&a ", "*a", "!!str ", "!!python/x ",
     "? ", "'", '"', "#", "name", "stages", "when", "type: t", "not", "1" * 1100, "\t", "---\n",
     "\ud800", "é", "\x00", ".nan", "1e999", "0x1f", "<<", "|\n", ">-\n"]
)  # fmt: skip


def outcome(source: str | dict[str, Any]) -> Journey | InvalidJourney:
    """The journey, or the refusal; any other exception fails the test."""
    try:
        return parse_journey(source)
    except InvalidJourney as err:
        assert err.message and len(err.details) <= 101
        assert all(d.reason for d in err.details)
        return err


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=VALUES, where=st.sampled_from(["top", "stage", "when", "where", "op", "extra"]))
def test_any_value_anywhere_is_refused_or_valid(value: Any, where: str) -> None:
    when: dict[str, Any] = {"type": "page_visit"}
    definition: dict[str, Any] = {"name": "J", "stages": [{"name": "A", "when": when}]}
    if where == "top":
        outcome(value)
        return
    if where == "stage":
        definition["stages"][0] = value
    elif where == "when":
        definition["stages"][0]["when"] = value
    elif where == "where":
        when["where"] = value
    elif where == "op":
        when["where"] = {"url": value}
    else:
        definition["exit_when"] = value
    outcome(definition)
    if isinstance(value, float) and math.isnan(value):
        return  # NaN != NaN: the JSON text below cannot compare equal
    try:
        text = json.dumps(definition)
    except (ValueError, TypeError):
        return  # JSON cannot carry it (e.g. a lone surrogate key order, huge ints are fine)
    outcome(text)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(PIECES, max_size=40))
def test_any_text_of_structural_pieces_is_refused_or_valid(pieces: list[str]) -> None:
    outcome("".join(pieces))
    outcome("name: x\nstages:\n  - name: a\n    when: " + "".join(pieces))


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.characters(codec=None), max_size=60))
def test_any_text_at_all_is_refused_or_valid(text: str) -> None:
    outcome(text)


NEL = {
    "name": "j",
    "stages": [{"name": "X", "when": {"type": "a", "where": {"url": {"contains": "\x85"}}}}],
}


@settings(max_examples=60, deadline=None)
@given(data=journeys())
@example(data=NEL)  # NEL, bare in PyYAML's plain or single quotes, reads back as a line break
def test_valid_journeys_round_trip_through_yaml_text(data: dict[str, object]) -> None:
    """Through the YAML Headway writes (journey_yaml), JSON, and the canonical mapping."""
    journey = parse_journey(data)
    canonical = journey_to_dict(journey)
    assert parse_journey(journey_yaml(journey)) == journey
    assert parse_journey(json.dumps(canonical)) == journey
    assert journey_to_dict(parse_journey(canonical)) == canonical
