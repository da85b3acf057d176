"""Rule-based attribution models over touchpoint paths: first, last, linear, position-based.

Each model splits every conversion among the touchpoints on the converting contact's path
(one credit per occurrence, so a touchpoint seen twice gets two shares). Conversions whose
path has no touchpoint are left unattributed by every model, so each model's credits sum to
``Paths.attributable_conversions()``.

Position-based (U-shaped) gives 40 % to the first touch, 40 % to the last and splits 20 %
evenly over the touches between; a path of one touch gives it 100 %, a path of two gives
50 % each (there is no middle to take the 20 %).
"""

from __future__ import annotations

from collections.abc import Callable

from headway.engine.attribution.paths import Paths

Weights = Callable[[int], list[float]]


def first_weights(n: int) -> list[float]:
    """All credit to the first of ``n`` touches."""
    return [1.0] + [0.0] * (n - 1)


def last_weights(n: int) -> list[float]:
    """All credit to the last of ``n`` touches."""
    return [0.0] * (n - 1) + [1.0]


def linear_weights(n: int) -> list[float]:
    """Equal credit to each of ``n`` touches."""
    return [1.0 / n] * n


def position_weights(n: int) -> list[float]:
    """40 % first, 40 % last, 20 % over the middle; 100 % for one touch, 50/50 for two."""
    if n == 1:
        return [1.0]
    if n == 2:
        return [0.5, 0.5]
    return [0.4] + [0.2 / (n - 2)] * (n - 2) + [0.4]


HEURISTICS: dict[str, Weights] = {
    "first": first_weights,
    "last": last_weights,
    "linear": linear_weights,
    "position": position_weights,
}


def heuristic_attribution(paths: Paths, model: str) -> dict[str, float]:
    """Conversions credited to each touchpoint by a rule-based model."""
    weights = HEURISTICS[model]
    credit = dict.fromkeys(paths.touchpoints(), 0.0)
    for seq, conv in zip(paths.sequences, paths.conversions, strict=True):
        if not seq or not conv:
            continue
        for touchpoint, w in zip(seq, weights(len(seq)), strict=True):
            credit[touchpoint] += w * conv
    return credit
