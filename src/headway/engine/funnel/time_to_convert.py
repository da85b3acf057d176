"""Time to convert: per step, how long contacts took, counted in bins of human units (#12.4).

For each step k → k+1, the contacts whose best attempt reached k+1 and the wait
``t_{k+1} − t_k`` between their exact stage times (the matcher's, docs/metrics.md — the waits the
funnel's ``time_from_previous`` summarises). The bins are the funnel histogram's
(``times.HISTOGRAM_EDGES``, ``[low, high)``, the last open), labelled in words: under 1 min,
1–10 min, 10 min–1 h, 1–6 h, 6–24 h, 1–3 days, 3–7 days, 1–2 weeks, 2–4 weeks (14–30 days),
30 days or more. The bins from the first to the last non-empty one are listed (a step nobody
completed lists none); their counts equal the funnel's histogram.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from headway.engine.funnel.times import HISTOGRAM_EDGES, Durations, micros_to_seconds, summarize
from headway.engine.kernel.run import Matched
from headway.engine.results import Tabular, iso, jsonable

# The funnel histogram's bins (times.HISTOGRAM_LABELS) as a reader says them.
BIN_LABELS = (
    "under 1 min",
    "1–10 min",
    "10 min–1 h",
    "1–6 h",
    "6–24 h",
    "1–3 days",
    "3–7 days",
    "1–2 weeks",
    "2–4 weeks",
    "30 days or more",
)


@dataclass(frozen=True)
class Bin:
    """Contacts whose wait was at least ``low_seconds`` and under ``high_seconds``."""

    label: str
    low_seconds: int
    high_seconds: int | None  # None: open-ended
    contacts: int


@dataclass(frozen=True)
class StepTimes:
    """The waits of one step's converters, binned."""

    from_stage: int  # 1-based
    to_stage: int
    from_name: str
    to_name: str
    converted: int
    summary: Durations
    bins: tuple[Bin, ...]


@dataclass(frozen=True)
class TimeToConvertReport(Tabular):
    """Per step of a journey, the histogram of times to convert."""

    journey: str
    as_of: datetime
    steps: tuple[StepTimes, ...]

    def rows(self) -> list[dict[str, Any]]:
        """One row per (step, bin)."""
        return [
            {"from_stage": s.from_name, "to_stage": s.to_name, **jsonable(b.__dict__)}
            for s in self.steps
            for b in s.bins
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (docs/reports.md)."""
        return {
            "journey": self.journey,
            "as_of": iso(self.as_of),
            "steps": [
                {
                    **jsonable({k: v for k, v in s.__dict__.items() if k not in _NESTED}),
                    "summary": jsonable(s.summary.__dict__),
                    "bins": [jsonable(b.__dict__) for b in s.bins],
                }
                for s in self.steps
            ],
        }


_NESTED = ("summary", "bins")


def bin_counts(seconds: np.ndarray) -> tuple[Bin, ...]:
    """The waits counted per bin (as ``times.summarize``), first to last non-empty bin."""
    values = np.asarray(seconds, np.float64)
    counts = np.histogram(values, bins=[*HISTOGRAM_EDGES, np.inf])[0]
    used = np.flatnonzero(counts)
    if not len(used):
        return ()
    out = []
    for i in range(int(used[0]), int(used[-1]) + 1):
        high = HISTOGRAM_EDGES[i + 1] if i + 1 < len(HISTOGRAM_EDGES) else None
        out.append(Bin(BIN_LABELS[i], HISTOGRAM_EDGES[i], high, int(counts[i])))
    return tuple(out)


def time_to_convert(matched: Matched) -> TimeToConvertReport:
    """Per step k → k+1: the converters' waits between their exact stage times, binned."""
    res, stages = matched.result, matched.journey.stages
    steps = []
    for k in range(len(stages) - 1):
        done = res.reached >= k + 2
        seconds = micros_to_seconds(res.stage_ts[done, k + 1] - res.stage_ts[done, k])
        steps.append(
            StepTimes(
                from_stage=k + 1,
                to_stage=k + 2,
                from_name=stages[k].name,
                to_name=stages[k + 1].name,
                converted=int(done.sum()),
                summary=summarize(seconds),
                bins=bin_counts(seconds),
            )
        )
    return TimeToConvertReport(matched.journey.name, matched.options.as_of, tuple(steps))
