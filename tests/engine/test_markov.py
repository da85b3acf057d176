"""Markov-chain attribution checked against chains solved by hand."""

from __future__ import annotations

from fractions import Fraction as F
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headway.engine.attribution.markov import build_chain, chain_states, markov_attribution
from headway.engine.attribution.paths import aggregate_paths


def test_hand_solved_chain() -> None:
    """Four contacts, touchpoints A, B, C:

        A B -> conversion      A C -> null      B -> conversion      C A B -> null

    Transitions: start->A 1/2, start->B 1/4, start->C 1/4; A->B 2/3, A->C 1/3;
    B->conv 2/3, B->null 1/3; C->A 1/2, C->null 1/2.
    With x_s = P(conversion from s): x_B = 2/3, x_C = x_A / 2,
    x_A = 2/3 x_B + 1/3 x_C = 4/9 + x_A / 6, so x_A = 8/15 and x_C = 4/15;
    P = 1/2 * 8/15 + 1/4 * 2/3 + 1/4 * 4/15 = 1/2 (the observed rate, 2 of 4).
    Without A (C->A goes to null): P = 1/4 * 2/3 = 1/6, removal effect 1 - (1/6)/(1/2) = 2/3.
    Without B: nothing reaches conversion, P = 0, removal effect 1.
    Without C: x_A = 4/9, P = 1/2 * 4/9 + 1/4 * 2/3 = 7/18, removal effect 1 - 7/9 = 2/9.
    Effects sum to 17/9; over 2 conversions: A 12/17, B 18/17, C 4/17.
    """
    paths = aggregate_paths(
        [(("A", "B"), True), (("A", "C"), False), (("B",), True), (("C", "A", "B"), False)]
    )
    result = markov_attribution(paths)
    assert result.conversion_probability == pytest.approx(0.5)
    assert result.states == 4
    expected_effects = {"A": F(2, 3), "B": F(1), "C": F(2, 9)}
    for t, value in expected_effects.items():
        assert result.removal_effects[t] == pytest.approx(float(value))
    expected_credit = {"A": F(12, 17), "B": F(18, 17), "C": F(4, 17)}
    for t, value in expected_credit.items():
        assert result.attributed[t] == pytest.approx(float(value))
    assert sum(result.attributed.values()) == pytest.approx(2)


def test_transition_probabilities_from_paths() -> None:
    paths = aggregate_paths([(("A", "B"), True), (("A",), False), (("A",), False)])
    chain = build_chain(paths)
    start, a, b = (chain.states.index(s) for s in ((), ("A",), ("B",)))
    q = chain.q.toarray()
    assert q[start, a] == 1.0
    assert q[a, b] == pytest.approx(1 / 3)
    assert chain.r[a] == 0.0
    assert chain.r[b] == 1.0


def test_higher_order_states() -> None:
    assert chain_states(("A", "B", "C"), 1) == [("A",), ("B",), ("C",)]
    assert chain_states(("A", "B", "C"), 2) == [("A",), ("A", "B"), ("B", "C")]
    assert chain_states(("A", "A", "B"), 3) == [("A",), ("A", "A"), ("A", "A", "B")]
    assert chain_states((), 2) == []
    with pytest.raises(ValueError):
        chain_states(("A",), 0)


def test_second_order_chain_hand_solved() -> None:
    """Paths A B -> conv, C B -> null. First order: B converts half the time whatever came
    before, so P(conv) = 1/2 and removing A leaves start->C->B: P = 1/2 * 1/2 = 1/4, effect
    1/2; removing C likewise 1/2. Second order tells (A,B) (always converts) from (C,B) (never):
    removing A leaves only C's path, P = 0, effect 1; removing C leaves A's, P = 1/2, effect 0.
    Removing B (every state holding B) gives P = 0 at both orders.
    """
    paths = aggregate_paths([(("A", "B"), True), (("C", "B"), False)])
    first = markov_attribution(paths, order=1)
    assert first.removal_effects == pytest.approx({"A": 0.5, "B": 1.0, "C": 0.5})
    second = markov_attribution(paths, order=2)
    assert second.states == 5  # start, (A), (C), (A,B), (C,B)
    assert second.conversion_probability == pytest.approx(0.5)
    assert second.removal_effects == pytest.approx({"A": 1.0, "B": 1.0, "C": 0.0})
    assert second.attributed == pytest.approx({"A": 0.5, "B": 0.5, "C": 0.0})


def test_no_conversions() -> None:
    paths = aggregate_paths([(("A", "B"), False), (("B",), False)])
    result = markov_attribution(paths)
    assert result.conversion_probability == 0.0
    assert result.removal_effects == {"A": 0.0, "B": 0.0}
    assert result.attributed == {"A": 0.0, "B": 0.0}


def test_single_touch_on_every_path() -> None:
    """X on every path: start->X 1, X->conv 1/2, X->null 1/2, so P = 1/2 and removing X gives
    P = 0 (effect 1): X gets the one conversion."""
    paths = aggregate_paths([(("X",), True), (("X",), False)])
    result = markov_attribution(paths)
    assert result.conversion_probability == pytest.approx(0.5)
    assert result.removal_effects == pytest.approx({"X": 1.0})
    assert result.attributed == pytest.approx({"X": 1.0})


def test_every_path_through_a_touchpoint_is_not_always_essential() -> None:
    """A on both paths, yet the chain has a route around it: paths A B -> conv, B A -> null.
    start->A 1/2, start->B 1/2, A->B 1/2, A->null 1/2, B->conv 1/2, B->A 1/2.
    x_B = 1/2 + x_A / 2, x_A = x_B / 2, so x_B = 2/3, x_A = 1/3, P = 1/2.
    Without A: P = 1/2 * 1/2 = 1/4, effect 1/2. Without B: P = 0, effect 1.
    """
    paths = aggregate_paths([(("A", "B"), True), (("B", "A"), False)])
    result = markov_attribution(paths)
    assert result.conversion_probability == pytest.approx(0.5)
    assert result.removal_effects == pytest.approx({"A": 0.5, "B": 1.0})
    assert result.attributed == pytest.approx({"A": 1 / 3, "B": 2 / 3})


def test_repeats_and_cycles() -> None:
    """Self-loops delay a path but do not change where it ends: A A B -> conv and A -> null
    give the same first-order probabilities as A B -> conv and A -> null (P = 1/2, A's and B's
    effects 1)."""
    looped = markov_attribution(aggregate_paths([(("A", "A", "B"), True), (("A",), False)]))
    plain = markov_attribution(aggregate_paths([(("A", "B"), True), (("A",), False)]))
    assert looped.conversion_probability == pytest.approx(plain.conversion_probability)
    assert looped.removal_effects == pytest.approx(plain.removal_effects)
    assert looped.removal_effects == pytest.approx({"A": 1.0, "B": 1.0})
    cycle = markov_attribution(aggregate_paths([(("A", "B", "A", "B"), True), (("B",), False)]))
    assert cycle.conversion_probability == pytest.approx(0.5)
    assert sum(cycle.attributed.values()) == pytest.approx(1)


def test_paths_without_touchpoints_do_not_change_shares() -> None:
    """Direct conversions (no touchpoint) raise P but are not attributed to anyone."""
    base = [(("A", "B"), True), (("A", "C"), False), (("B",), True), (("C", "A", "B"), False)]
    plain = markov_attribution(aggregate_paths(base))
    direct = markov_attribution(aggregate_paths([*base, ((), True), ((), False), ((), True)]))
    assert direct.conversion_probability == pytest.approx(4 / 7)  # 4 conversions of 7 contacts
    assert direct.attributed == pytest.approx(plain.attributed)
    assert sum(direct.attributed.values()) == pytest.approx(2)


def test_many_states_sparse_solve() -> None:
    """A long chain: start -> t0 -> t1 -> ... -> t199 -> conv, plus t_i -> null once each."""
    n = 200
    full = tuple(f"t{i:03d}" for i in range(n))
    paths = [(full, True)] + [(full[: i + 1], False) for i in range(n)]
    result = markov_attribution(aggregate_paths(paths))
    # P = prod over i of P(t_i -> t_{i+1} or conv): (n - i) / (n - i + 1) telescopes to 1/(n+1)
    assert result.conversion_probability == pytest.approx(1 / (n + 1))
    assert all(v == pytest.approx(1.0) for v in result.removal_effects.values())


def test_only_paths_without_touchpoints() -> None:
    """start -> conversion 2/3, start -> null 1/3; nothing to remove."""
    result = markov_attribution(aggregate_paths([((), True), ((), True), ((), False)]))
    assert result.conversion_probability == pytest.approx(2 / 3)
    assert result.states == 1
    assert result.removal_effects == {} and result.attributed == {}


def oracle_probability(paths: list[tuple[tuple[str, ...], bool]], removed: str | None) -> float:
    """P(conversion) by value iteration over plain dicts (an independent method)."""
    steps: dict[str, dict[str, int]] = {}
    for seq, converted in paths:
        states = ["start", *seq, "conv" if converted else "null"]
        for a, b in pairwise(states):
            steps.setdefault(a, {})
            steps[a][b] = steps[a].get(b, 0) + 1
    x = dict.fromkeys(steps, 0.0)
    for _ in range(100_000):
        new = {}
        for s, out in steps.items():
            total = sum(out.values())
            value = 0.0
            for t, n in out.items():
                if t == "conv":
                    value += n / total
                elif t != "null" and t != removed:
                    value += n / total * x[t]
            new[s] = value
        done = max(abs(new[s] - x[s]) for s in x) < 1e-14
        x = new
        if done:
            break
    return x.get("start", 0.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.sampled_from("ABCD"), max_size=5).map(tuple), st.booleans()),
        min_size=1,
        max_size=12,
    )
)
def test_against_value_iteration(paths: list[tuple[tuple[str, ...], bool]]) -> None:
    result = markov_attribution(aggregate_paths(paths))
    base = oracle_probability(paths, None)
    assert result.conversion_probability == pytest.approx(base, abs=1e-6)
    for t, effect in result.removal_effects.items():
        expected = 1 - oracle_probability(paths, t) / base if base > 0 else 0.0
        assert effect == pytest.approx(expected, abs=1e-6)
    attributable = sum(1 for seq, conv in paths if conv and seq)
    if any(result.removal_effects.values()):
        assert sum(result.attributed.values()) == pytest.approx(attributable)
