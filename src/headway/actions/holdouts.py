"""Holdouts: an action leaves a share of its contacts alone, so its effect can be measured.

A contact is held out of action ``a`` when ``sha256(a + ":" + contact)`` read as a fraction
is under the share: deterministic (the same contact is always held out of the same action),
independent between actions, and recorded per contact in ``action_holdouts``.

The uplift compares the treated and held-out contacts' progress to the next stage with the
drivers' statistics (engine/diagnostics/stats.py), the table being::

                 advanced   not advanced
    treated         a            b
    held out        c            d

uplift = rate ratio − 1 with its 95 % (Katz) interval, and Fisher's exact p.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from headway.engine.diagnostics.stats import exact_p, rate_ratio

_SCALE = float(2**64)


def hash_share(action_id: str, contact: str) -> float:
    """The contact's place in [0, 1) for this action (uniform, deterministic)."""
    digest = hashlib.sha256(f"{action_id}:{contact}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def held_out(action_id: str, contact: str, share: float) -> bool:
    """Whether ``action_id`` leaves ``contact`` alone (a ``share`` of contacts is)."""
    return share > 0 and hash_share(action_id, contact) < share


@dataclass(frozen=True)
class Uplift:
    """Treated vs held-out progress from one stage to the next, for one action."""

    action_id: str
    stage: int  # 1-based: the stage the action targeted contacts at
    stage_name: str
    next_stage: str
    treated: int
    treated_advanced: int
    held_out: int
    held_out_advanced: int
    treated_rate: float | None
    held_out_rate: float | None
    difference: float | None  # treated rate − held-out rate (share points)
    uplift: float | None  # rate ratio − 1
    uplift_low: float | None
    uplift_high: float | None
    p: float | None


def uplift_arrays(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relative uplift (rate ratio − 1) and its 95 % interval for many tables at once."""
    rr, low, high = rate_ratio(a, b, c, d)
    return rr - 1.0, low - 1.0, high - 1.0


def uplift(
    action_id: str,
    stage: int,
    names: Sequence[str],
    targeted: Sequence[tuple[str, bool]],
    advanced: Callable[[int], set[str]],
) -> Uplift:
    """The uplift of one action at ``stage`` (1-based): ``targeted`` are (contact, held out)
    pairs; ``advanced(k)`` the contacts who reached stage ``k`` (1-based)."""
    moved = advanced(stage + 1)
    t = [c for c, h in targeted if not h]
    h = [c for c, held in targeted if held]
    a, c = sum(x in moved for x in t), sum(x in moved for x in h)
    b, d = len(t) - a, len(h) - c
    tr = a / len(t) if t else None
    hr = c / len(h) if h else None
    diff = tr - hr if tr is not None and hr is not None else None
    up = low = high = p = None
    if t and h:
        arr = [np.array([x]) for x in (a, b, c, d)]
        u, lo, hi = uplift_arrays(*arr)
        up, low, high = float(u[0]), float(lo[0]), float(hi[0])
        p = float(exact_p(*arr)[0])
    return Uplift(
        action_id, stage, names[stage - 1], names[stage], len(t), a, len(h), c, tr, hr, diff,
        up, low, high, p,
    )  # fmt: skip
