"""The funnel report: per stage reached, conversion, outcomes and times (docs/metrics.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from headway.engine.funnel.outcomes import (
    DROPPED,
    IN_PROGRESS,
    Outcomes,
    outcomes,
    shown_stall_after,
)
from headway.engine.funnel.times import Durations, micros_to_seconds, summarize
from headway.engine.kernel.inputs import effective_range
from headway.engine.kernel.run import Matched
from headway.engine.results import Tabular, iso, jsonable, ratio


@dataclass(frozen=True)
class StageRow:
    """One stage of a funnel."""

    index: int  # 1-based
    name: str
    reached: int
    conversion_from_previous: float | None
    conversion_from_first: float | None
    dropped: int
    in_progress: int
    stalled: int
    stall_after_seconds: float | None
    kpi: int | None
    kpi_share: float | None
    time_from_previous: Durations | None
    time_from_entry: Durations | None


@dataclass(frozen=True)
class FunnelReport(Tabular):
    """A journey's funnel at ``as_of``."""

    journey: str
    order: str
    window_seconds: int
    as_of: datetime
    date_range: tuple[datetime | None, datetime | None] | None
    entered: int
    converted: int
    stages: tuple[StageRow, ...]

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per stage (times as mean/median/p90 columns)."""
        out = []
        for s in self.stages:
            row = {k: v for k, v in jsonable(s.__dict__).items() if not k.startswith("time_")}
            for key in ("time_from_previous", "time_from_entry"):
                d: Durations | None = getattr(s, key)
                for stat in ("mean", "median", "p90"):
                    row[f"{key}_{stat}"] = getattr(d, stat) if d else None
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``headway funnel --json`` (docs/cli.md)."""
        stages = []
        for s in self.stages:
            item = jsonable(s.__dict__)
            for key in ("time_from_previous", "time_from_entry"):
                item[key] = jsonable((getattr(s, key) or summarize(np.zeros(0))).__dict__)
            stages.append(item)
        return {
            "journey": self.journey,
            "order": self.order,
            "window_seconds": self.window_seconds,
            "as_of": iso(self.as_of),
            "date_range": jsonable(list(self.date_range)) if self.date_range else None,
            "entered": self.entered,
            "converted": self.converted,
            "conversion": ratio(self.converted, self.entered),
            "stages": stages,
        }


def funnel_report(matched: Matched, outs: Outcomes | None = None) -> FunnelReport:
    """Stage counts, conversion, outcomes and times of a matched journey."""
    outs = outs if outs is not None else outcomes(matched)
    res = matched.result
    journey = matched.journey
    n = len(journey.stages)
    reached = [int((res.reached >= i + 1).sum()) for i in range(n)]
    rows = []
    for i, stage in enumerate(journey.stages):
        at = outs.last_stage == i
        limit = outs.stall_after_us[i]
        rows.append(
            StageRow(
                index=i + 1,
                name=stage.name,
                reached=reached[i],
                conversion_from_previous=ratio(reached[i], reached[i - 1])
                if i
                else ratio(reached[0], reached[0]),
                conversion_from_first=ratio(reached[i], reached[0]),
                dropped=int((at & (outs.status == DROPPED)).sum()),
                in_progress=int((at & (outs.status == IN_PROGRESS)).sum()),
                stalled=int((at & outs.stalled).sum()),
                stall_after_seconds=shown_stall_after(matched, limit),
                kpi=stage.kpi,
                kpi_share=ratio(reached[i], stage.kpi) if stage.kpi else None,
                time_from_previous=_durations(res.stage_ts, res.reached, i, i - 1) if i else None,
                time_from_entry=_durations(res.stage_ts, res.reached, i, 0) if i else None,
            )
        )
    dr = effective_range(journey, matched.options)
    return FunnelReport(
        journey=journey.name,
        order=journey.order,
        window_seconds=journey.window_seconds,
        as_of=matched.options.as_of,
        date_range=(dr.start, dr.end) if dr is not None else None,
        entered=reached[0] if n else 0,
        converted=reached[-1] if n else 0,
        stages=tuple(rows),
    )


def _durations(stage_ts: np.ndarray, reached: np.ndarray, to: int, frm: int) -> Durations:
    mask = reached >= to + 1
    return summarize(micros_to_seconds(stage_ts[mask, to] - stage_ts[mask, frm]))
