"""Markov-chain attribution: removal effects computed exactly from the absorbing chain.

The observed touchpoint paths define a chain with the states *start*, one state per
touchpoint (or, at order k, per k-tuple of consecutive touchpoints), and two absorbing
states, *conversion* and *null*. Transition probabilities are the observed transition
frequencies. The probability of reaching conversion from start is the solution of
``(I - Q) x = r`` (Q: transient-to-transient probabilities, r: transient-to-conversion),
read at start. Removing a touchpoint removes every state containing it; the transitions
into those states go to null instead, which is the same as solving the smaller system
without their rows and columns. The removal effect of touchpoint t is
``1 - P(conversion without t) / P(conversion)``, and the conversions attributed to t are
the removal effects normalised to the conversions being attributed.

The method follows Anderl et al., "Mapping the customer journey" (2016); this is our own
implementation (a sparse linear solve, no simulation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from headway.engine.attribution.paths import Paths

if TYPE_CHECKING:  # scipy loads when a chain is built, not with every report
    import scipy.sparse as sp

State = tuple[str, ...]
START: State = ()  # the start state: no touchpoint seen yet


@dataclass(frozen=True)
class Chain:
    """The transient part of an absorbing chain: Q (sparse), r, and what each state is."""

    states: tuple[State, ...]  # states[0] is START
    q: sp.csr_matrix  # transient -> transient probabilities
    r: np.ndarray  # transient -> conversion probabilities


@dataclass(frozen=True)
class MarkovResult:
    """P(conversion) of the chain, and per touchpoint its removal effect and credit."""

    order: int
    states: int
    conversion_probability: float
    removal_effects: dict[str, float]
    attributed: dict[str, float]


def chain_states(path: Sequence[str], order: int = 1) -> list[State]:
    """The states a path visits after start: each the last ``order`` touchpoints seen.

    At order 2, the path (A, B, C) visits (A,), (A, B), (B, C): a state keeps fewer than
    ``order`` touchpoints only at the beginning of a path.
    """
    if order < 1:
        raise ValueError("order must be at least 1")
    return [tuple(path[max(0, i + 1 - order) : i + 1]) for i in range(len(path))]


def build_chain(paths: Paths, order: int = 1) -> Chain:
    """The chain's transition probabilities from the observed paths."""
    import scipy.sparse as sp

    index: dict[State, int] = {START: 0}
    src: list[int] = []
    dst: list[int] = []
    weight: list[float] = []
    to_conv: dict[int, float] = {}
    out: dict[int, float] = {}
    for seq, conv, null in zip(paths.sequences, paths.conversions, paths.nulls, strict=True):
        total = conv + null
        if total == 0:
            continue
        prev = 0
        for state in chain_states(seq, order):
            cur = index.setdefault(state, len(index))
            src.append(prev)
            dst.append(cur)
            weight.append(total)
            out[prev] = out.get(prev, 0.0) + total
            prev = cur
        to_conv[prev] = to_conv.get(prev, 0.0) + conv
        out[prev] = out.get(prev, 0.0) + total
    n = len(index)
    outs = np.array([out.get(i, 0.0) for i in range(n)])
    safe = np.where(outs > 0, outs, 1.0)
    counts = sp.coo_matrix((weight, (src, dst)), shape=(n, n)).tocsr()  # duplicates summed
    q = sp.diags(1.0 / safe) @ counts
    r = np.array([to_conv.get(i, 0.0) for i in range(n)]) / safe
    states = tuple(sorted(index, key=index.__getitem__))
    return Chain(states, q.tocsr(), r)


def conversion_probability(chain: Chain, keep: np.ndarray | None = None) -> float:
    """P(reaching conversion from start), over the states where ``keep`` is true."""
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    q, r = chain.q, chain.r
    if keep is not None:
        idx = np.flatnonzero(keep)
        q = q[idx][:, idx]
        r = r[idx]
    if not r.any():
        return 0.0
    system = (sp.identity(q.shape[0], format="csc") - q.tocsc()).tocsc()
    return float(np.atleast_1d(spla.spsolve(system, r))[0])


def markov_attribution(paths: Paths, order: int = 1) -> MarkovResult:
    """Removal effects and attributed conversions of every touchpoint on the paths."""
    chain = build_chain(paths, order)
    base = conversion_probability(chain)
    effects: dict[str, float] = {}
    for touchpoint in paths.touchpoints():
        keep = np.array([touchpoint not in state for state in chain.states])
        without = conversion_probability(chain, keep)
        # Clamp rounding noise: removing states can only lower the probability.
        effects[touchpoint] = min(max(1.0 - without / base, 0.0), 1.0) if base > 0 else 0.0
    return MarkovResult(
        order=order,
        states=len(chain.states),
        conversion_probability=base,
        removal_effects=effects,
        attributed=normalise(effects, paths.attributable_conversions()),
    )


def normalise(effects: dict[str, float], total: float) -> dict[str, float]:
    """Scale removal effects so they sum to ``total`` (all zero when every effect is zero)."""
    s = sum(effects.values())
    return {k: (v / s * total if s > 0 else 0.0) for k, v in effects.items()}
