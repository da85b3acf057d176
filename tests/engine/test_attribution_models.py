"""Rule-based attribution models on hand examples; each model's credits sum to conversions."""

from __future__ import annotations

import pytest

from headway.engine.attribution.heuristics import (
    HEURISTICS,
    heuristic_attribution,
    position_weights,
)
from headway.engine.attribution.paths import aggregate_paths

# Three converting contacts (A B C D, B, A C) and one that did not convert (A D).
PATHS = aggregate_paths(
    [
        (("A", "B", "C", "D"), True),
        (("B",), True),
        (("A", "C"), True),
        (("A", "D"), False),
    ]
)


def test_first_touch() -> None:
    assert heuristic_attribution(PATHS, "first") == {"A": 2, "B": 1, "C": 0, "D": 0}


def test_last_touch() -> None:
    assert heuristic_attribution(PATHS, "last") == {"A": 0, "B": 1, "C": 1, "D": 1}


def test_linear() -> None:
    # A B C D: 1/4 each; B: 1; A C: 1/2 each.
    credit = heuristic_attribution(PATHS, "linear")
    assert credit == pytest.approx({"A": 0.75, "B": 1.25, "C": 0.75, "D": 0.25})


def test_position_based() -> None:
    # A B C D: 0.4, 0.1, 0.1, 0.4; B: 1 (one touch); A C: 0.5, 0.5 (two touches).
    credit = heuristic_attribution(PATHS, "position")
    assert credit == pytest.approx({"A": 0.9, "B": 1.1, "C": 0.6, "D": 0.4})


def test_position_weights() -> None:
    assert position_weights(1) == [1.0]
    assert position_weights(2) == [0.5, 0.5]
    assert position_weights(3) == pytest.approx([0.4, 0.2, 0.4])
    assert position_weights(6) == pytest.approx([0.4, 0.05, 0.05, 0.05, 0.05, 0.4])


@pytest.mark.parametrize("model", sorted(HEURISTICS))
def test_credits_sum_to_conversions(model: str) -> None:
    assert sum(heuristic_attribution(PATHS, model).values()) == pytest.approx(3)


@pytest.mark.parametrize("model", sorted(HEURISTICS))
def test_repeats_earn_a_share_per_occurrence(model: str) -> None:
    paths = aggregate_paths([(("A", "B", "A"), True), (("A", "B", "A"), True)])
    credit = heuristic_attribution(paths, model)
    expected = {
        "first": {"A": 2, "B": 0},
        "last": {"A": 2, "B": 0},
        "linear": {"A": 4 / 3, "B": 2 / 3},
        "position": {"A": 1.6, "B": 0.4},
    }[model]
    assert credit == pytest.approx(expected)


@pytest.mark.parametrize("model", sorted(HEURISTICS))
def test_no_conversions_and_empty_paths(model: str) -> None:
    paths = aggregate_paths([(("A",), False), ((), True), ((), False)])
    assert heuristic_attribution(paths, model) == {"A": 0.0}
    assert paths.total_conversions() == 1
    assert paths.attributable_conversions() == 0


def test_paths_aggregate_identical_sequences() -> None:
    paths = aggregate_paths([(("A",), True), (("A",), False), (("A",), True), (("B", "A"), False)])
    assert paths.sequences == (("A",), ("B", "A"))
    assert paths.conversions == (2, 0)
    assert paths.nulls == (1, 1)
    assert paths.contacts() == 4
    assert paths.reach() == {"A": (4, 2), "B": (1, 0)}
