"""Outcomes at ``as_of`` (docs/metrics.md): converted, dropped, in progress, stalled.

For a contact whose best attempt stopped at stage k < n: dropped if the window has closed
(``as_of - t_entry > window``) or ``exit_when`` matched after stage k; otherwise in progress;
in progress and ``as_of - t_k > stall_after`` is stalled. ``stall_after`` defaults, per stage,
to the 90th percentile of the time from stage k to stage k+1 among those who moved on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from headway.engine.kernel.match_types import NOT_REACHED
from headway.engine.kernel.run import Matched
from headway.model.duration import engine_micros

CONVERTED, DROPPED, IN_PROGRESS = 1, 2, 3


@dataclass(frozen=True)
class Outcomes:
    """Per contact of a match result: counted or not, status, stalled, stall thresholds."""

    counted: np.ndarray  # bool: reached >= 1
    last_stage: np.ndarray  # int: 0-based index of the last stage reached (-1 if not counted)
    status: np.ndarray  # int8: CONVERTED / DROPPED / IN_PROGRESS, 0 if not counted
    stalled: np.ndarray  # bool (a subset of IN_PROGRESS)
    stall_after_us: tuple[int | None, ...]  # per stage (None: no threshold, e.g. last stage)


def outcomes(matched: Matched) -> Outcomes:
    """Classify every contact of ``matched`` at its ``as_of``."""
    res = matched.result
    n = len(matched.journey.stages)
    reached = res.reached.astype(np.int64)
    counted = reached >= 1
    last = reached - 1
    entry = res.stage_ts[:, 0] if n else np.zeros(0, np.int64)
    closed = (matched.as_of_us - entry) > matched.window_us
    exited = res.exit_ts != NOT_REACHED
    status = np.zeros(len(reached), np.int8)
    status[counted & (reached == n)] = CONVERTED
    open_ = counted & (reached < n)
    status[open_ & (closed | exited)] = DROPPED
    status[open_ & ~(closed | exited)] = IN_PROGRESS
    thresholds = stall_thresholds(matched)
    stalled = np.zeros(len(reached), np.bool_)
    for k, limit in enumerate(thresholds):
        if limit is None:
            continue
        at_k = (status == IN_PROGRESS) & (last == k)
        t_k = res.stage_ts[:, k]
        stalled |= at_k & ((matched.as_of_us - t_k) > limit)
    return Outcomes(counted, last, status, stalled, thresholds)


def shown_stall_after(matched: Matched, limit_us: int | None) -> float | None:
    """A stage's stall threshold in seconds as reports show it: the journey's own
    ``stall_after`` as written (the engine caps very long ones), else the computed one."""
    if limit_us is None:
        return None
    fixed = matched.journey.stall_after_seconds
    return float(fixed) if fixed is not None else limit_us / 1_000_000


def stall_thresholds(matched: Matched) -> tuple[int | None, ...]:
    """Per stage: how long a contact may sit there before it counts as stalled (µs)."""
    n = len(matched.journey.stages)
    fixed = matched.journey.stall_after_seconds
    out: list[int | None] = []
    for k in range(n):
        if k == n - 1:
            out.append(None)
        elif fixed is not None:
            out.append(engine_micros(fixed))
        else:
            out.append(_p90_to_next(matched, k))
    return tuple(out)


def _p90_to_next(matched: Matched, k: int) -> int | None:
    res = matched.result
    moved = res.reached >= k + 2
    if not moved.any():
        return None
    waits = res.stage_ts[moved, k + 1] - res.stage_ts[moved, k]
    return int(np.percentile(waits, 90))
