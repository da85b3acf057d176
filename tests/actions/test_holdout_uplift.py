"""Holdouts measure an action: the uplift's interval covers a planted effect, and covers
zero in at least 95 % of 200 seeded worlds where the action does nothing.

A world: contacts targeted by an action at a stage; the action holds out 10 % of them by
contact hash (the real ``held_out``); each contact advances to the next stage with
probability ``base`` when held out and ``base * (1 + effect)`` when treated. The uplift is
the one the journey page shows (``holdouts.uplift`` over the drivers' rate-ratio statistics).
"""

from __future__ import annotations

import numpy as np

from headway.actions.holdouts import held_out, uplift, uplift_arrays

NAMES = ("Visit", "Pricing", "Buy")


def world(
    seed: int, contacts: int, base: float, effect: float
) -> tuple[list[tuple[str, bool]], set[str]]:
    """(contact, held out) pairs of one action and the contacts who advanced."""
    rng = np.random.default_rng(seed)
    action = f"sub_world{seed}"
    targeted = [(f"c{seed}-{i}", held_out(action, f"c{seed}-{i}", 0.10)) for i in range(contacts)]
    rate = np.array([base if out else base * (1 + effect) for _, out in targeted])
    moved = rng.random(contacts) < rate
    return targeted, {c for (c, _), m in zip(targeted, moved, strict=True) if m}


def test_the_interval_covers_a_planted_uplift() -> None:
    targeted, moved = world(7, 20_000, base=0.20, effect=0.30)
    u = uplift("sub_world7", 2, NAMES, targeted, lambda k: moved if k == 3 else set())
    assert (u.stage_name, u.next_stage) == ("Pricing", "Buy")
    assert u.held_out + u.treated == 20_000 and 1_800 < u.held_out < 2_200
    assert u.uplift_low is not None and u.uplift_high is not None and u.p is not None
    assert u.uplift_low <= 0.30 <= u.uplift_high
    assert u.uplift_low > 0 and u.p < 0.001  # and the effect is told apart from none
    assert u.difference is not None
    assert abs(u.difference - 0.06) < 0.03  # 0.26 - 0.20


def test_no_effect_covers_zero_in_at_least_95_percent_of_200_runs() -> None:
    cells = np.zeros((4, 200), np.int64)
    for seed in range(200):
        targeted, moved = world(seed, 2_000, base=0.30, effect=0.0)
        a = sum(1 for c, out in targeted if not out and c in moved)
        t = sum(1 for _, out in targeted if not out)
        c = sum(1 for x, out in targeted if out and x in moved)
        h = len(targeted) - t
        cells[:, seed] = (a, t - a, c, h - c)
    _, low, high = uplift_arrays(*cells)
    covered = int(((low <= 0) & (high >= 0)).sum())
    print(f"no-effect worlds whose 95 % interval covers 0: {covered}/200")
    assert covered >= 190
