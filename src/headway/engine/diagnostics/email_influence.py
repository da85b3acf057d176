"""Email influence on journey progress (issue 6, item 2).

For one email and one journey: the recipients *sitting at stage k* when the email was
delivered — their best attempt (docs/metrics.md, at ``as_of``) had reached stage k but not k+1 at
the delivery, its window was still open and ``exit_when`` had not matched — split by what
they did with the email within N days of delivery (human view by default):

- ``clicked``: at least one click;
- ``opened``: opened, never clicked (a click implies an open, so openers = clicked + opened);
- ``not engaged``: neither.

For each group: the share that reached stage k+1 within N days of the delivery, and its
lift over the not-engaged group (rate ratio with a 95 % Katz interval and Fisher's exact p,
``engine/diagnostics/stats.py``; ``lopsided`` warns when too few advanced or did not to trust them).
Deliveries less than N days before ``as_of`` are left out (their N days are not over).
When the next stage is defined by engaging with emails (e.g. any human click), an open or
click of this email can itself be the step: ``own_steps`` counts those advances, and the
summary says so, since the lift is then true by definition.
A delivery is the contact's first ``email_delivered`` of the email; for an email whose sender
reports no deliveries at all, its first ``email_sent`` without a bounce.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import sqlglot

from headway.backends.base import Backend
from headway.backends.query import Query
from headway.engine.attribution.report import Matcher
from headway.engine.diagnostics.email_journeys import stage_at_times
from headway.engine.diagnostics.stats import tables
from headway.engine.email.delivery import HUMAN, delivered_pairs
from headway.engine.kernel.match_types import NOT_REACHED
from headway.engine.kernel.run import Matched, match_journey
from headway.engine.options import ReportOptions, to_micros
from headway.engine.results import Tabular, iso, ratio
from headway.engine.support import arrow_typed
from headway.errors import Detail, InvalidInput
from headway.model.journey import Journey

GROUPS = ("clicked", "opened", "not engaged")
DAY_US = 86_400_000_000
MAX_DAYS = 365

# Recipients of one email with their delivery time and engagement within $days of it.
# (Delivered: engine/email/delivery.py, the one definition.)
_RECIPIENTS = f"""
WITH {delivered_pairs(one_email=True)}, ev AS (
    SELECT a.contact_key, t.name AS type, a.ts, NOT ({HUMAN}) AS machine
    FROM activity_log a JOIN hw_types t ON t.code = a.type_code
    WHERE t.name IN ('email_open', 'email_click')
      AND a.ts <= $as_of AND a.properties ->> '$.email' = $email
), rec AS (
    SELECT contact_key, at FROM hw_delivered
)
SELECT r.contact_key, r.at,
       coalesce(bool_or(e.type IN ('email_open', 'email_click') AND NOT e.machine), false) AS opened,
       coalesce(bool_or(e.type = 'email_click' AND NOT e.machine), false) AS clicked,
       list(e.ts) FILTER (WHERE NOT e.machine) AS engaged_at
FROM rec r
LEFT JOIN ev e ON e.contact_key = r.contact_key AND e.type IN ('email_open', 'email_click')
     AND e.ts <= r.at + CAST($days AS INTEGER) * INTERVAL 1 DAY
WHERE r.at IS NOT NULL
GROUP BY r.contact_key, r.at
ORDER BY r.contact_key
"""


@dataclass(frozen=True)
class GroupAdvance:
    """One engagement group at a stage: how many advanced, and the lift over non-engagers."""

    group: str
    recipients: int
    advanced: int
    rate: float | None
    lift: float | None  # rate / rate of the not-engaged group
    lift_low: float | None
    lift_high: float | None
    p: float | None  # Fisher's exact two-sided p against the not-engaged group
    lopsided: bool | None  # too few advanced or not advanced to trust the interval


@dataclass(frozen=True)
class StageInfluence:
    """Recipients sitting at stage ``index`` (1-based) and their advance to the next stage."""

    index: int
    stage: str
    next_stage: str
    recipients: int
    advanced: int
    groups: tuple[GroupAdvance, ...]
    summary: str
    own_steps: int = 0  # advances that were the recipient's own open or click of the email


@dataclass(frozen=True)
class EmailInfluence(Tabular):
    """Per stage of a journey, how an email's recipients there moved on, by engagement."""

    email: str
    journey: str
    as_of: datetime
    days: int
    human: bool
    recipients: int  # delivered, N days over
    too_recent: int  # delivered less than N days before as_of (left out)
    stages: tuple[StageInfluence, ...]

    def rows(self) -> list[dict[str, Any]]:
        """One row per (stage, engagement group)."""
        return [
            {"stage_index": s.index, "stage": s.stage, "next_stage": s.next_stage, **g.__dict__}
            for s in self.stages
            for g in s.groups
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "email": self.email,
            "journey": self.journey,
            "as_of": iso(self.as_of),
            "days": self.days,
            "human": self.human,
            "recipients": self.recipients,
            "too_recent": self.too_recent,
            "stages": [
                {
                    "index": s.index,
                    "stage": s.stage,
                    "next_stage": s.next_stage,
                    "recipients": s.recipients,
                    "advanced": s.advanced,
                    "own_steps": s.own_steps,
                    "summary": s.summary,
                    "groups": [dict(g.__dict__) for g in s.groups],
                }
                for s in self.stages
            ],
        }


def check_days(days: int) -> int:
    """N days must be 1 to 365."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            f"days must be between 1 and {MAX_DAYS}, not {days}", [Detail("out of range", "days")]
        )
    return days


def email_influence(
    backend: Backend,
    journey: Journey,
    options: ReportOptions,
    email: str,
    days: int = 7,
    human: bool = True,
    matcher: Matcher | None = None,
) -> EmailInfluence:
    """How an email's recipients at each stage of a journey moved on, by engagement.

    ``matcher`` replaces ``match_journey`` on ``backend`` (the API passes its cache).
    """
    check_days(days)
    matched = (matcher or (lambda j, o: match_journey(backend, j, o)))(journey, options)
    params = {"as_of": options.as_of, "email": email, "days": days, "human": human}
    rows = arrow_typed(backend, Query(_RECIPIENTS_TREE, params))
    return influence_from(matched, email, rows, days, human)


def influence_from(
    matched: Matched, email: str, rows: pa.Table, days: int, human: bool
) -> EmailInfluence:
    """The report from a matched journey and the recipients table of ``_RECIPIENTS``."""
    keys = rows.column("contact_key").to_numpy().astype(np.int64)
    at = rows.column("at").cast(pa.timestamp("us")).cast(pa.int64()).to_numpy()
    opened = rows.column("opened").to_numpy(zero_copy_only=False).astype(bool)
    clicked = rows.column("clicked").to_numpy(zero_copy_only=False).astype(bool)
    horizon = days * DAY_US
    ripe = at + horizon <= matched.as_of_us
    keys, at, opened, clicked = keys[ripe], at[ripe], opened[ripe], clicked[ripe]
    k, advanced, nxt = sitting_and_advanced(matched, keys, at, horizon)
    own = own_step(advanced, nxt, rows.column("engaged_at").filter(pa.array(ripe)).to_pylist())
    group = np.where(clicked, 0, np.where(opened, 1, 2))
    names = [s.name for s in matched.journey.stages]
    stages = []
    for index in range(1, len(names)):
        here = k == index
        if here.any():
            stage = _stage(index, names, email, days, group[here], advanced[here])
            stages.append(with_own_steps(stage, int(own[here].sum())))
    return EmailInfluence(
        email=email,
        journey=matched.journey.name,
        as_of=matched.options.as_of,
        days=days,
        human=human,
        recipients=int(ripe.sum()),
        too_recent=int((~ripe).sum()),
        stages=tuple(stages),
    )


def sitting_and_advanced(
    matched: Matched, keys: np.ndarray, at: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per (contact, time): the stage its open attempt sat at (0: none), whether it reached
    the next stage within ``horizon`` µs after that time, and the next stage's time."""
    res = matched.result
    n = len(matched.journey.stages)
    k = stage_at_times(matched, keys, at)
    if len(res.contact) == 0 or len(keys) == 0:
        none = np.zeros(len(keys), np.int64)
        return none, none.astype(bool), np.full(len(keys), NOT_REACHED)
    idx = np.clip(np.searchsorted(res.contact, keys), 0, len(res.contact) - 1)
    entry = res.stage_ts[idx, 0]
    exit_ts = res.exit_ts[idx]
    open_ = (at - entry <= matched.window_us) & ((exit_ts == NOT_REACHED) | (exit_ts > at))
    k = np.where((k >= 1) & (k < n) & open_, k, 0)
    nxt = res.stage_ts[idx, np.minimum(k, n - 1)]
    advanced = (k >= 1) & (nxt != NOT_REACHED) & (nxt > at) & (nxt <= at + horizon)
    return k, advanced, nxt


def own_step(advanced: np.ndarray, nxt: np.ndarray, engaged_at: list[Any]) -> np.ndarray:
    """True where the step to the next stage was the recipient's own open or click of the
    email (the next stage is defined by engaging with it, so the comparison is circular)."""
    out = np.zeros(len(advanced), bool)
    for i in np.flatnonzero(advanced):
        times = engaged_at[i] or []
        out[i] = any(to_micros(t) == nxt[i] for t in times)
    return out


def with_own_steps(stage: StageInfluence, own: int) -> StageInfluence:
    """The stage with the count of advances that were the email's own open or click."""
    if not own:
        return stage
    note = (
        f" For {own:,} of the {stage.advanced:,} who advanced, the step to {stage.next_stage}"
        " was their own open or click of this email."
    )
    return replace(stage, own_steps=own, summary=stage.summary + note)


def _stage(
    index: int, names: list[str], email: str, days: int, group: np.ndarray, advanced: np.ndarray
) -> StageInfluence:
    n = np.bincount(group, minlength=3)
    adv = np.bincount(group, weights=advanced, minlength=3).astype(np.int64)
    base_n, base_adv = int(n[2]), int(adv[2])
    a, b = adv[:2], n[:2] - adv[:2]
    c, d = np.full(2, base_adv), np.full(2, base_n - base_adv)
    stats = tables(a, b, c, d)
    groups = []
    for g, name in enumerate(GROUPS):
        comparable = g < 2 and n[g] > 0 and base_n > 0
        groups.append(
            GroupAdvance(
                group=name,
                recipients=int(n[g]),
                advanced=int(adv[g]),
                rate=ratio(int(adv[g]), int(n[g])),
                lift=float(stats.rate_ratio[g]) if comparable else None,
                lift_low=float(stats.rr_low[g]) if comparable else None,
                lift_high=float(stats.rr_high[g]) if comparable else None,
                p=float(stats.p[g]) if comparable else None,
                lopsided=bool(stats.lopsided[g]) if comparable else None,
            )
        )
    stage, nxt = names[index - 1], names[index]
    return StageInfluence(
        index=index,
        stage=stage,
        next_stage=nxt,
        recipients=int(n.sum()),
        advanced=int(adv.sum()),
        groups=tuple(groups),
        summary=summary_line(email, stage, nxt, days, groups[0], groups[2]),
    )


def summary_line(
    email: str, stage: str, nxt: str, days: int, clicked: GroupAdvance, base: GroupAdvance
) -> str:
    """One plain-language sentence comparing clickers with non-engagers."""
    total = clicked.recipients + base.recipients
    if clicked.lift is None or clicked.rate is None or base.rate is None:
        return (
            f"Too few clickers or non-engagers among the {total:,} recipients at {stage} "
            f"to compare how often they reached {nxt}."
        )
    within = f"within {days} day{'s' if days != 1 else ''}"
    rates = f"{clicked.rate:.1%} vs {base.rate:.1%}; 95% CI {clicked.lift_low:.2f}–{clicked.lift_high:.2f}"
    if clicked.lift_low is not None and clicked.lift_low > 1:
        verdict = (
            f"reached {nxt} {within} {clicked.lift:.1f}× as often as recipients who did not engage"
        )
    elif clicked.lift_high is not None and clicked.lift_high < 1:
        verdict = f"reached {nxt} {within} less often than recipients who did not engage ({clicked.lift:.2f}×)"
    else:
        verdict = f"reached {nxt} {within} about as often as recipients who did not engage"
    caution = (
        " Few of them advanced (or few did not): treat this as a hint." if clicked.lopsided else ""
    )
    return f"Recipients at {stage} who clicked {email} {verdict} ({rates}).{caution}"


# Constant SQL (only placeholders vary), parsed once into the trees the backend runs.
_RECIPIENTS_TREE = sqlglot.parse_one(_RECIPIENTS, read="duckdb")
