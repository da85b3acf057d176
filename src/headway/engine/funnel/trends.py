"""Trends: conversion by the period (day, week, month) of each contact's entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from headway.engine.funnel.cohorts import Cohort, cohort, cohort_dicts, cohort_rows
from headway.engine.kernel.run import Matched
from headway.engine.results import Tabular, iso
from headway.errors import InvalidInput

PERIODS = ("day", "week", "month")


@dataclass(frozen=True)
class TrendReport(Tabular):
    """Conversion by entry period; weeks start on Monday (UTC). Each cohort's label is its period."""

    journey: str
    by: str
    stage_names: tuple[str, ...]
    periods: tuple[Cohort, ...]
    as_of: Any

    def rows(self) -> list[dict[str, Any]]:
        """One row per period with a column per stage."""
        return cohort_rows(self.periods, "period", self.stage_names)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "journey": self.journey,
            "by": self.by,
            "as_of": iso(self.as_of),
            "stages": list(self.stage_names),
            "periods": cohort_dicts(self.periods, "period"),
        }


def period_start(entry_us: np.ndarray, by: str) -> np.ndarray:
    """The first day (datetime64[D]) of each entry's period."""
    days = (np.asarray(entry_us, dtype=np.int64) // 86_400_000_000).astype("datetime64[D]")
    if by == "day":
        return days
    if by == "week":
        # 1970-01-01 was a Thursday: shift so that weeks start on Monday.
        offset = (days.astype(np.int64) + 3) % 7
        return days - offset.astype("timedelta64[D]")
    if by == "month":
        return days.astype("datetime64[M]").astype("datetime64[D]")
    raise InvalidInput(f"--by: '{by}' is not a period (use day, week or month)")


def trend_report(matched: Matched, by: str = "week") -> TrendReport:
    """Entered, converted and stage counts per entry period."""
    if by not in PERIODS:
        raise InvalidInput(f"--by: '{by}' is not a period (use day, week or month)")
    res = matched.result
    n = len(matched.journey.stages)
    counted = res.reached >= 1
    starts = period_start(res.stage_ts[counted, 0], by)
    reached = res.reached[counted]
    rows = [
        cohort(period.astype(object), reached[starts == period], n) for period in np.unique(starts)
    ]
    return TrendReport(
        journey=matched.journey.name,
        by=by,
        stage_names=tuple(s.name for s in matched.journey.stages),
        periods=tuple(rows),
        as_of=matched.options.as_of,
    )
