"""Compare one journey over two date ranges, stage by stage (issue #12.4).

Each range is matched as the funnel matches it (docs/semantics.md: the range limits the activities
considered); the comparison takes, per stage, the contacts who reached it and its conversion
from the previous stage (stage 1: entered), in range A and in range B, and for every stage after
the first, and for the journey's overall conversion (entry → last stage):

- ``change``: conversion in B minus conversion in A (a difference of shares: 0.05 is five
  percentage points);
- the two-proportion comparison of the 2×2 table (B or A, converted or not) from the one
  statistics module (``diagnostics/stats.py``, the drivers' tables with one stratum): the
  ratio of B's conversion to A's with its 95 % Katz interval, and Fisher's exact two-sided p.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from headway.engine.diagnostics.stats import tables
from headway.engine.kernel.inputs import effective_range
from headway.engine.kernel.run import Matched
from headway.engine.results import Tabular, iso, jsonable, ratio
from headway.errors import InvalidInput


@dataclass(frozen=True)
class Change:
    """One conversion in ranges A and B and how it changed."""

    base_a: int  # contacts who could convert (reached the previous stage) in A
    converted_a: int
    base_b: int
    converted_b: int
    conversion_a: float | None
    conversion_b: float | None
    change: float | None  # conversion_b - conversion_a
    ratio: float | None  # conversion_b / conversion_a (None when not defined)
    ratio_low: float | None
    ratio_high: float | None
    p: float | None  # Fisher's exact, two-sided (None when a range has no one to convert)


@dataclass(frozen=True)
class StageComparison:
    """One stage: reached in each range and its conversion from the previous stage."""

    index: int  # 1-based
    name: str
    reached_a: int
    reached_b: int
    from_previous: Change | None  # None for the first stage


@dataclass(frozen=True)
class CompareReport(Tabular):
    """A journey's funnel over two date ranges, side by side."""

    journey: str
    as_of: datetime
    range_a: tuple[datetime | None, datetime | None] | None
    range_b: tuple[datetime | None, datetime | None] | None
    stages: tuple[StageComparison, ...]
    overall: Change  # entered → reached the last stage

    def rows(self) -> list[dict[str, Any]]:
        """One row per stage (the conversion's figures flattened)."""
        out = []
        for s in self.stages:
            row: dict[str, Any] = {
                "index": s.index,
                "name": s.name,
                "reached_a": s.reached_a,
                "reached_b": s.reached_b,
            }
            change = s.from_previous.__dict__ if s.from_previous else dict.fromkeys(_FIELDS)
            row.update({k: change[k] for k in _FIELDS})
            out.append(jsonable(row))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON form (docs/reports.md)."""
        return {
            "journey": self.journey,
            "as_of": iso(self.as_of),
            "range_a": _range_json(self.range_a),
            "range_b": _range_json(self.range_b),
            "stages": [
                {
                    "index": s.index,
                    "name": s.name,
                    "reached_a": s.reached_a,
                    "reached_b": s.reached_b,
                    "from_previous": jsonable(s.from_previous.__dict__)
                    if s.from_previous
                    else None,
                }
                for s in self.stages
            ],
            "overall": jsonable(self.overall.__dict__),
        }


_FIELDS = tuple(Change.__dataclass_fields__)


def _range_json(r: tuple[datetime | None, datetime | None] | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"start": iso(r[0]) if r[0] else None, "end": iso(r[1]) if r[1] else None}


def compare_report(a: Matched, b: Matched) -> CompareReport:
    """Stage by stage, the journey matched over range A (``a``) and over range B (``b``)."""
    if a.journey != b.journey:
        raise InvalidInput("compare: both ranges must be of the same journey")
    n = len(a.journey.stages)
    reached_a = [int((a.result.reached >= k + 1).sum()) for k in range(n)]
    reached_b = [int((b.result.reached >= k + 1).sum()) for k in range(n)]
    pairs = [(reached_a[k - 1], reached_a[k], reached_b[k - 1], reached_b[k]) for k in range(1, n)]
    pairs.append((reached_a[0], reached_a[-1], reached_b[0], reached_b[-1]))
    changes = changes_of(pairs)
    stages = tuple(
        StageComparison(
            index=k + 1,
            name=stage.name,
            reached_a=reached_a[k],
            reached_b=reached_b[k],
            from_previous=changes[k - 1] if k else None,
        )
        for k, stage in enumerate(a.journey.stages)
    )
    return CompareReport(
        journey=a.journey.name,
        as_of=a.options.as_of,
        range_a=_range_of(a),
        range_b=_range_of(b),
        stages=stages,
        overall=changes[-1],
    )


def _range_of(m: Matched) -> tuple[datetime | None, datetime | None] | None:
    dr = effective_range(m.journey, m.options)
    return (dr.start, dr.end) if dr is not None else None


def changes_of(pairs: list[tuple[int, int, int, int]]) -> list[Change]:
    """Per ``(base_a, converted_a, base_b, converted_b)``: the change and its two-proportion
    comparison (``stats.tables``: B is "with", A "without"; one stratum)."""
    testable = [i for i, (na, ca, nb, cb) in enumerate(pairs) if na > 0 and nb > 0]
    figures: dict[int, tuple[float, float, float, float]] = {}
    exact: set[int] = set()  # no Haldane–Anscombe correction: the ratio is the plain one
    if testable:
        cells = np.array([pairs[i] for i in testable], np.int64)
        na, ca, nb, cb = cells.T
        st = tables(cb, nb - cb, ca, na - ca)
        for j, i in enumerate(testable):
            figures[i] = (st.rate_ratio[j], st.rr_low[j], st.rr_high[j], st.p[j])
            if not st.corrected[j]:
                exact.add(i)
    out = []
    for i, (na, ca, nb, cb) in enumerate(pairs):
        conv_a, conv_b = ratio(ca, na), ratio(cb, nb)
        rr, lo, hi, p = (float(x) for x in figures.get(i, (np.nan,) * 4))
        defined = i in exact  # a share of 0 (or 1 on both sides) has no ratio worth showing
        out.append(
            Change(
                base_a=na,
                converted_a=ca,
                base_b=nb,
                converted_b=cb,
                conversion_a=conv_a,
                conversion_b=conv_b,
                change=conv_b - conv_a if conv_a is not None and conv_b is not None else None,
                ratio=rr if defined else None,
                ratio_low=lo if defined else None,
                ratio_high=hi if defined else None,
                p=p if i in figures else None,
            )
        )
    return out
