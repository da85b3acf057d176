"""Stall diagnosis: who is stuck at each stage, what they did last, and which touchpoints are
over-represented among them (issue #6, item 3).

A contact is **stalled** at stage k as in docs/metrics.md (``outcomes.py``): in progress there and
``as_of - t_k > stall_after``. Per stage:

- the stalled contacts, longest stalled first, with their last touchpoints: the latest three
  activities strictly after ``t_k`` up to ``as_of`` (stage k and k+1 activities left out, human
  view by default);
- stalled vs advanced: among the contacts stalled at k and those who reached k+1, the 2×2 table
  of each touchpoint (with it / without it × stalled / advanced), with the statistics of the
  drivers report. The advanced contacts compared are those who reached k in the period where
  a contact can be stalled at ``as_of`` (``as_of - window <= t_k < as_of - stall_after``), so
  both groups saw the same mail. Advanced contacts are watched from ``t_k`` until ``t_{k+1}``; each stalled
  contact for the wait of a randomly drawn advanced one (``drivers.borrowed_waits``), so that
  the longer time stalled contacts have spent at the stage does not make every touchpoint look
  like a cause of stalling. Contacts are compared within contact-age strata.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from headway.backends.base import Backend
from headway.engine.diagnostics.drivers import (
    DEFAULT_MIN_SUPPORT,
    ContactTouchpoints,
    Plan,
    age_stratum,
    borrowed_waits,
    contact_touchpoints,
    first_seen,
    outcome_warnings,
    plan_tables,
    stage_activities,
    table_figures,
)
from headway.engine.diagnostics.stats import Tables
from headway.engine.diagnostics.touchpoints import describe, email_names
from headway.engine.funnel.outcomes import Outcomes, outcomes, shown_stall_after
from headway.engine.kernel.run import Matched, match_journey
from headway.engine.options import DEFAULT_LIMIT, ReportOptions, from_micros
from headway.engine.results import Tabular, iso, jsonable, ratio
from headway.errors import InvalidInput
from headway.model.journey import Journey

LAST_TOUCHPOINTS = 3


@dataclass(frozen=True)
class LastTouch:
    """One of a stalled contact's latest touchpoints."""

    touchpoint: str
    label: str
    ts: datetime


@dataclass(frozen=True)
class StalledContact:
    """A contact stalled at a stage."""

    contact: str
    reached_at: datetime
    stalled_for_seconds: float
    last_touchpoints: tuple[LastTouch, ...]


@dataclass(frozen=True)
class StallTouchpoint:
    """A touchpoint seen more often among stalled than among advanced contacts."""

    touchpoint: str
    label: str
    support: int
    stalled_with: int
    advanced_with: int
    stalled_without: int
    advanced_without: int
    share_stalled: float | None  # of the stalled contacts, the share with the touchpoint
    share_advanced: float | None
    rate_ratio: float  # how many times as often contacts with it stalled
    rate_ratio_low: float
    rate_ratio_high: float
    odds_ratio: float
    odds_ratio_low: float
    odds_ratio_high: float
    p: float
    q: float
    sentence: str
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class StageStalls:
    """Stalls at one stage."""

    index: int  # 1-based
    name: str
    next_name: str
    stall_after_seconds: float | None
    stalled: int
    advanced: int
    contacts: tuple[StalledContact, ...]  # longest stalled first, at most ``limit``
    over_represented: tuple[StallTouchpoint, ...]  # most significant first
    tested: int
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class StallsReport(Tabular):
    """Where contacts stall in a journey and what goes with it."""

    journey: str
    as_of: datetime
    human: bool
    min_support: int
    stages: tuple[StageStalls, ...]

    def rows(self) -> list[dict[str, Any]]:
        """One row per stalled contact listed."""
        out = []
        for s in self.stages:
            for c in s.contacts:
                out.append(
                    {
                        "stage": s.name,
                        "contact": c.contact,
                        "reached_at": c.reached_at,
                        "stalled_for_seconds": c.stalled_for_seconds,
                        "last_touchpoints": "; ".join(t.touchpoint for t in c.last_touchpoints),
                    }
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON form (docs/drivers.md)."""
        return {
            "journey": self.journey,
            "as_of": iso(self.as_of),
            "view": "human" if self.human else "all",
            "min_support": self.min_support,
            "stages": [jsonable(_stage_dict(s)) for s in self.stages],
        }


def _stage_dict(s: StageStalls) -> dict[str, Any]:
    out = {k: v for k, v in s.__dict__.items() if k not in ("contacts", "over_represented")}
    out["contacts"] = [
        {**c.__dict__, "last_touchpoints": [t.__dict__ for t in c.last_touchpoints]}
        for c in s.contacts
    ]
    out["over_represented"] = [t.__dict__ for t in s.over_represented]
    return out


def stalls_report(
    backend: Backend,
    journey: Journey,
    options: ReportOptions,
    *,
    stage: int | None = None,
    min_support: int = DEFAULT_MIN_SUPPORT,
    human: bool = True,
    limit: int | None = DEFAULT_LIMIT,
    matched: Matched | None = None,
) -> StallsReport:
    """Stalled contacts and over-represented touchpoints per stage (``stage``: 0-based)."""
    if min_support < 1:
        raise InvalidInput("--min-support must be at least 1")
    stages = _stages(journey, stage)
    if matched is None:
        matched = match_journey(backend, journey, options)
    outs = outcomes(matched)
    first = first_seen(backend, matched)
    plans = [stall_plan(matched, outs, first, k) for k in stages]
    lasts = [last_touch_plan(matched, outs, k) for k in stages]
    found = contact_touchpoints(backend, matched, plans + lasts, human)
    names = email_names(backend)
    built = [
        _stage(backend, matched, outs, k, plan, last, found, min_support, limit, names)
        for k, plan, last in zip(stages, plans, lasts, strict=True)
    ]
    return StallsReport(journey.name, options.as_of, human, min_support, tuple(built))


def _stages(journey: Journey, stage: int | None) -> list[int]:
    n = len(journey.stages)
    if stage is None:
        return list(range(n - 1))
    if not 0 <= stage < n - 1:
        raise InvalidInput(
            f"--stage: {stage + 1} is the last stage or not a stage of '{journey.name}' "
            f"(contacts stall at 1..{n - 1})"
        )
    return [stage]


def stall_plan(matched: Matched, outs: Outcomes, first: np.ndarray, k: int) -> Plan:
    """Stalled at k (outcome) vs reached k+1, each watched for a comparable time after t_k."""
    res = matched.result
    stalled = outs.stalled & (outs.last_stage == k)
    limit = outs.stall_after_us[k]
    # Advanced contacts who reached k when stalling there was possible: the same calendar
    # period, so mail sent lately does not pass for a cause of stalling.
    t_all = res.stage_ts[:, k]
    period = (t_all >= matched.as_of_us - matched.window_us) & (
        t_all < matched.as_of_us - (limit if limit is not None else 0)
    )
    advanced = (res.reached >= k + 2) & period
    population = stalled | advanced
    t_k = np.where(population, res.stage_ts[:, k], 0)
    t_next = np.where(advanced, res.stage_ts[:, min(k + 1, res.stage_ts.shape[1] - 1)], 0)
    waits = borrowed_waits((t_next - t_k)[advanced], len(t_k), seed=k)
    end = np.where(advanced, t_next, np.minimum(t_k + waits, matched.as_of_us + 1))
    skip = stage_activities(matched.journey, k, k + 1)
    return Plan(population, stalled, t_k + 1, end, skip, age_stratum(first, t_k))


def last_touch_plan(matched: Matched, outs: Outcomes, k: int) -> Plan:
    """The stalled contacts at k, from ``t_k`` (exclusive) to ``as_of`` (inclusive)."""
    stalled = outs.stalled & (outs.last_stage == k)
    t_k = np.where(stalled, matched.result.stage_ts[:, k], 0)
    end = np.full(len(t_k), matched.as_of_us + 1, np.int64)
    zero = np.zeros(len(t_k), np.int64)
    return Plan(stalled, stalled, t_k + 1, end, stage_activities(matched.journey, k, k + 1), zero)


def last_touchpoints(
    plan: Plan, found: ContactTouchpoints, per_contact: int = LAST_TOUCHPOINTS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The latest ``per_contact`` touchpoints of each contact in the plan: (row, ts, code),
    latest first within a contact."""
    r = found.row
    keep = plan.population[r] & (found.ts >= plan.start_us[r]) & (found.ts < plan.end_us[r])
    keep &= (found.stage_mask & plan.skip_stages) == 0
    rows, ts, code = r[keep], found.ts[keep], found.code[keep]
    order = np.lexsort((code, -ts, rows))
    rows, ts, code = rows[order], ts[order], code[order]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]) if len(rows) else np.zeros(0, int)
    rank = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    top = rank < per_contact
    return rows[top], ts[top], code[top]


def _stage(
    backend: Backend,
    matched: Matched,
    outs: Outcomes,
    k: int,
    plan: Plan,
    last: Plan,
    found: ContactTouchpoints,
    min_support: int,
    limit: int | None,
    names: dict[str, str],
) -> StageStalls:
    stages = matched.journey.stages
    codes, st, _ = plan_tables(plan, found, min_support)
    over = [_touchpoint(found.keys[c], st, i, names) for i, c in enumerate(codes)]
    over = sorted((t for t in over if t.rate_ratio > 1), key=lambda t: (t.p, -t.odds_ratio))
    stalled = int((plan.population & plan.outcome).sum())
    advanced = int((plan.population & ~plan.outcome).sum())
    limit_us = outs.stall_after_us[k]
    return StageStalls(
        index=k + 1,
        name=stages[k].name,
        next_name=stages[k + 1].name,
        stall_after_seconds=shown_stall_after(matched, limit_us),
        stalled=stalled,
        advanced=advanced,
        contacts=_contacts(backend, matched, k, last, found, limit, names),
        over_represented=tuple(over),
        tested=len(codes),
        warnings=outcome_warnings(stalled, advanced, "stalled") if stalled else (),
    )


def _contacts(
    backend: Backend,
    matched: Matched,
    k: int,
    last: Plan,
    found: ContactTouchpoints,
    limit: int | None,
    names: dict[str, str],
) -> tuple[StalledContact, ...]:
    res = matched.result
    idx = np.flatnonzero(last.population)
    waited = matched.as_of_us - res.stage_ts[idx, k]
    ids = backend.contact_ids(res.contact[idx]).astype(str)
    order = np.lexsort((ids, -waited))[: limit if limit is not None else None]
    rows, ts, code = last_touchpoints(last, found)
    out = []
    for j in order:
        # rows come sorted by contact, latest first within a contact
        mine = range(np.searchsorted(rows, idx[j]), np.searchsorted(rows, idx[j], side="right"))
        touches = tuple(
            LastTouch(found.keys[code[m]], describe(found.keys[code[m]], names), from_micros(ts[m]))
            for m in mine
        )
        out.append(
            StalledContact(
                contact=str(ids[j]),
                reached_at=from_micros(int(res.stage_ts[idx[j], k])),
                stalled_for_seconds=int(waited[j]) / 1_000_000,
                last_touchpoints=touches,
            )
        )
    return tuple(out)


def _touchpoint(key: str, st: Tables, i: int, names: dict[str, str]) -> StallTouchpoint:
    a, b, c, d = (int(x[i]) for x in (st.a, st.b, st.c, st.d))
    label = describe(key, names)
    return StallTouchpoint(
        touchpoint=key,
        label=label,
        support=a + b,
        stalled_with=a,
        advanced_with=b,
        stalled_without=c,
        advanced_without=d,
        share_stalled=ratio(a, a + c),
        share_advanced=ratio(b, b + d),
        **table_figures(st, i, f"Contacts who {label} stalled"),
    )
