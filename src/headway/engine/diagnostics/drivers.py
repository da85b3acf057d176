"""Transition drivers: which touchpoints go with moving on from stage k to k+1 (issue #6).

For each transition ``k → k+1`` (and entry → conversion when the journey has more than two
stages):

- **population**: the contacts whose best attempt reached stage k, less those whose outcome is
  not known yet — they did not reach k+1 and are still in progress at ``as_of`` (docs/metrics.md);
- **advanced**: reached k+1 (the matcher keeps every stage within the window);
- **touchpoints** (``touchpoints.py``): the contact's activities strictly after ``t_k`` and
  strictly before ``t_{k+1}`` (advanced); for a contact who did not advance, strictly after
  ``t_k`` and strictly before ``t_k + w`` where ``w`` is the wait ``t_{k+1} - t_k`` of a
  randomly drawn contact who advanced (``borrowed_waits``), and never past ``min(t_entry +
  window, as_of, exit)`` (inclusive, as the window in §5);
- **before, not because of**: by default three kinds of activity are left out of the
  touchpoints and listed as ``excluded`` with the reason (``include_excluded`` tests them
  too): activities matching the condition of a stage the transition spans (k and k+1: the
  next stage itself implies them), activities matching a later stage's condition (they
  happen because contacts move on), and sends (``email_sent``, ``email_delivered``) of the
  journey's own emails — those its conditions name and those the email registry marks
  ``transactional`` (sent automatically by being in the journey, not a contact's choice);
- per touchpoint with at least ``min_support`` contacts (and some without it): the 2×2
  table, the rate ratio (the one effect shown, with its plain-language reading), odds ratio,
  Fisher p and BH q over the transition's tested touchpoints (``stats.py``).

The matcher runs once; one touchpoint query reads each contact's union interval; the 2×2
counts are NumPy aggregations over (contact, touchpoint) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot

from headway.backends.base import Backend
from headway.backends.query import Query
from headway.engine.diagnostics.stats import MIN_OUTCOMES, Tables, tables
from headway.engine.diagnostics.touchpoints import (
    describe,
    email_names,
    fetch_touchpoints,
    intervals_table,
    stage_mask,
)
from headway.engine.funnel.outcomes import IN_PROGRESS, Outcomes, outcomes
from headway.engine.kernel.match_types import NOT_REACHED
from headway.engine.kernel.run import Matched, match_journey
from headway.engine.options import DEFAULT_MIN_SUPPORT, ReportOptions
from headway.engine.results import Tabular, iso, jsonable, ratio
from headway.errors import InvalidInput
from headway.model.condition import Match, property_path, walk
from headway.model.journey import Journey

# Contact-age strata (time since the contact's first activity, at t_k): contacts who just
# arrived get onboarding mail and move fast; comparing within strata keeps that from passing
# for an effect of the onboarding mail.
AGE_EDGES_DAYS = (1, 3, 7, 14, 30, 90)

# Activity types that are sends: what the sender does to a contact, not what a contact does.
SEND_TYPES = ("email_sent", "email_delivered")
# Why an activity is left out of a transition's touchpoints (0: it is a touchpoint).
KEEP, OWN_STAGE, LATER_STAGE, JOURNEY_EMAIL = 0, 1, 2, 3
EXCLUSION_KINDS = {OWN_STAGE: "stage_condition", LATER_STAGE: "later_stage",
                   JOURNEY_EMAIL: "journey_email"}  # fmt: skip

_TRANSACTIONAL = sqlglot.parse_one(
    "SELECT id FROM emails WHERE kind = 'transactional'", read="duckdb"
)

_FIRST_SEEN = sqlglot.parse_one(
    """
SELECT contact_key, min(ts) AS first_ts FROM activity_log WHERE ts <= $as_of GROUP BY contact_key
""",
    read="duckdb",
)


@dataclass(frozen=True)
class Plan:
    """One 2×2 comparison over the contacts of a match result (arrays by result row)."""

    population: np.ndarray  # bool
    outcome: np.ndarray  # bool: advanced (drivers) or stalled (stalls)
    start_us: np.ndarray  # int64, inclusive
    end_us: np.ndarray  # int64, exclusive
    skip_stages: int  # stage activities left out (bit mask)
    stratum: np.ndarray  # int64: contact-age stratum at the transition's start
    later_stages: int = 0  # stages after the transition whose activities are left out


@dataclass(frozen=True)
class ContactTouchpoints:
    """Touchpoint activities of the matched contacts: one entry per activity row."""

    row: np.ndarray  # index into the match result
    ts: np.ndarray  # int64 µs
    code: np.ndarray  # int64 index into ``keys``
    stage_mask: np.ndarray  # int64
    keys: tuple[str, ...]
    automatic: np.ndarray | None = None  # bool per key: a send of the journey's own emails


@dataclass(frozen=True)
class Driver:
    """One touchpoint of one transition."""

    touchpoint: str
    label: str
    support: int
    with_advanced: int
    with_not_advanced: int
    without_advanced: int
    without_not_advanced: int
    rate_with: float | None
    rate_without: float | None
    rate_ratio: float
    rate_ratio_low: float
    rate_ratio_high: float
    odds_ratio: float
    odds_ratio_low: float
    odds_ratio_high: float
    p: float
    q: float
    sentence: str
    warnings: tuple[str, ...]
    effect: str = ""  # the rate ratio read aloud: "… were 2.3× as likely to reach Demo, …"
    excluded_reason: str | None = None  # tested although excluded by default (why it is)


@dataclass(frozen=True)
class Excluded:
    """A touchpoint left out of a transition by default, and why."""

    touchpoint: str
    label: str
    kind: str  # stage_condition, later_stage or journey_email
    reason: str
    contacts: int  # contacts of the population with it in their interval


@dataclass(frozen=True)
class Transition:
    """The drivers of one transition, most significant first."""

    from_stage: int  # 1-based
    to_stage: int
    from_name: str
    to_name: str
    kind: str  # "step" or "entry_to_conversion"
    population: int
    advanced: int
    in_progress_left_out: int
    touchpoints_seen: int
    tested: int
    drivers: tuple[Driver, ...]
    warnings: tuple[str, ...]
    excluded: tuple[Excluded, ...] = ()


@dataclass(frozen=True)
class DriversReport(Tabular):
    """What moves contacts forward, per transition of a journey."""

    journey: str
    as_of: datetime
    human: bool
    min_support: int
    transitions: tuple[Transition, ...]
    include_excluded: bool = False

    def rows(self) -> list[dict[str, Any]]:
        """One row per (transition, tested touchpoint)."""
        out = []
        for t in self.transitions:
            for d in t.drivers:
                row = {"from_stage": t.from_name, "to_stage": t.to_name, "kind": t.kind}
                row.update(jsonable(d.__dict__))
                row["warnings"] = "; ".join(d.warnings)
                out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON form (docs/drivers.md)."""
        return {
            "journey": self.journey,
            "as_of": iso(self.as_of),
            "view": "human" if self.human else "all",
            "min_support": self.min_support,
            "include_excluded": self.include_excluded,
            "transitions": [
                {
                    **jsonable(
                        {k: v for k, v in t.__dict__.items() if k not in ("drivers", "excluded")}
                    ),
                    "drivers": [jsonable(d.__dict__) for d in t.drivers],
                    "excluded": [jsonable(e.__dict__) for e in t.excluded],
                }
                for t in self.transitions
            ],
        }


def drivers_report(
    backend: Backend,
    journey: Journey,
    options: ReportOptions,
    *,
    stage: int | None = None,
    min_support: int = DEFAULT_MIN_SUPPORT,
    human: bool = True,
    matched: Matched | None = None,
    include_excluded: bool = False,
) -> DriversReport:
    """Drivers of every transition (or of ``stage`` → ``stage + 1``, 0-based) of a journey.

    ``matched``: the journey already matched at ``options`` (e.g. from a cache);
    ``include_excluded``: test the touchpoints left out by default too (module docstring)."""
    if min_support < 1:
        raise InvalidInput("--min-support must be at least 1")
    pairs = transition_pairs(journey, stage)
    if matched is None:
        matched = match_journey(backend, journey, options)
    outs = outcomes(matched)
    first = first_seen(backend, matched)
    plans = [transition_plan(matched, outs, first, f, t) for f, t in pairs]
    found = contact_touchpoints(backend, matched, plans, human)
    own = journey_emails(backend, journey)
    found = replace(found, automatic=automatic_keys(found.keys, own))
    names = email_names(backend)
    built = [
        _transition(matched, outs, plan, found, f, t, min_support, names, own, include_excluded)
        for plan, (f, t) in zip(plans, pairs, strict=True)
    ]
    return DriversReport(
        journey.name, options.as_of, human, min_support, tuple(built), include_excluded
    )


def journey_emails(backend: Backend, journey: Journey) -> dict[str, str]:
    """Email id -> why its sends are the journey's own: named by the journey's conditions,
    or ``transactional`` in the email registry (sent automatically)."""
    out: dict[str, str] = {}
    if "emails" in backend.relations:
        found = backend.arrow(Query(_TRANSACTIONAL)).column("id").to_pylist()
        out.update({str(i): "a transactional email, sent automatically" for i in found})
    for email in named_emails(journey):
        out[email] = "an email this journey's conditions name"
    return out


def named_emails(journey: Journey) -> set[str]:
    """The email ids the journey's conditions name (``email`` equal to or in a list)."""
    conds = [s.when for s in journey.stages] + [e.when for e in journey.exclusions]
    conds += [c for c in (journey.filter, journey.exit_when) if c is not None]
    out: set[str] = set()
    for match in (m for c in conds for m in walk(c)):
        out |= _named_in(match)
    return out


def _named_in(match: Match) -> set[str]:
    out: set[str] = set()
    for pred in match.where:
        try:
            path = property_path(pred.field)
        except ValueError:
            continue
        if path != ("email",):
            continue
        if pred.op == "eq" and isinstance(pred.value, str):
            out.add(pred.value)
        elif pred.op == "in" and isinstance(pred.value, (list, tuple)):
            out |= {v for v in pred.value if isinstance(v, str)}
    return out


def automatic_keys(keys: tuple[str, ...], own: dict[str, str]) -> np.ndarray:
    """Per touchpoint key: True for a send (``SEND_TYPES``) of one of the ``own`` emails."""
    out = np.zeros(len(keys), np.bool_)
    for i, key in enumerate(keys):
        kind, _, ident = key.partition(":")
        out[i] = kind in SEND_TYPES and ident.partition("/")[0] in own
    return out


def transition_pairs(journey: Journey, stage: int | None) -> list[tuple[int, int]]:
    """The (from, to) stage indexes to analyse: each step, then entry → conversion."""
    n = len(journey.stages)
    if n < 2:
        raise InvalidInput(f"'{journey.name}' has one stage: there is no transition to explain")
    if stage is not None:
        if not 0 <= stage < n - 1:
            raise InvalidInput(
                f"--stage: {stage + 1} has no next stage in '{journey.name}' (1..{n - 1})"
            )
        return [(stage, stage + 1)]
    pairs = [(k, k + 1) for k in range(n - 1)]
    return pairs + ([(0, n - 1)] if n > 2 else [])


def first_seen(backend: Backend, matched: Matched) -> np.ndarray:
    """Per contact of the match result: the time (µs) of its first activity up to ``as_of``."""
    # Every contact's: a plain aggregate beats a join to the matched keys (most of them).
    found = backend.arrow(Query(_FIRST_SEEN, {"as_of": matched.options.as_of}))
    keys = found.column("contact_key").to_numpy().astype(np.int64)
    first = found.column("first_ts").cast(pa.timestamp("us")).cast(pa.int64()).to_numpy()
    contacts = matched.result.contact
    out = np.zeros(len(contacts), np.int64)
    at = np.clip(np.searchsorted(contacts, keys), 0, max(len(contacts) - 1, 0))
    known = (contacts[at] == keys) if len(contacts) else np.zeros(len(keys), np.bool_)
    out[at[known]] = first[known]
    return out


def age_stratum(first_us: np.ndarray, at_us: np.ndarray) -> np.ndarray:
    """Contact-age stratum (0..len(AGE_EDGES_DAYS)) of contacts at the given times."""
    edges = np.asarray(AGE_EDGES_DAYS, np.int64) * 86_400_000_000
    return np.searchsorted(edges, at_us - first_us, side="right").astype(np.int64)


def transition_plan(matched: Matched, outs: Outcomes, first: np.ndarray, frm: int, to: int) -> Plan:
    """Population, outcome and touchpoint interval of the transition ``frm → to``."""
    res = matched.result
    reached_from = res.reached >= frm + 1
    advanced = res.reached >= to + 1
    unknown = ~advanced & (outs.status == IN_PROGRESS)
    population = reached_from & ~unknown
    t_from = np.where(reached_from, res.stage_ts[:, frm], 0)
    t_to = np.where(advanced, res.stage_ts[:, to], 0)
    closes = np.where(reached_from, res.stage_ts[:, 0] + matched.window_us, 0)
    last = np.minimum(closes, matched.as_of_us)
    exited = res.exit_ts != NOT_REACHED
    last = np.where(exited, np.minimum(last, res.exit_ts), last)
    waits = (t_to - t_from)[population & advanced]
    observed = t_from + borrowed_waits(waits, len(t_from), seed=frm * 64 + to)
    end = np.where(advanced, t_to, np.minimum(last + 1, observed))
    skip = stage_activities(matched.journey, frm, to)
    later = later_stages(matched.journey, to) & ~skip
    return Plan(population, advanced, t_from + 1, end, skip, age_stratum(first, t_from), later)


def later_stages(journey: Journey, to: int) -> int:
    """The stages after ``to`` (a ``skip_stages`` mask; none in an unordered journey)."""
    if journey.order == "unordered":
        return 0
    return stage_mask(range(to + 1, len(journey.stages)))


def stage_activities(journey: Journey, frm: int, to: int) -> int:
    """The stages whose activities are not touchpoints of ``frm → to`` (a ``skip_stages``
    mask): those it spans; every stage in an unordered journey, where stage k means "k stages
    done" in any order."""
    if journey.order == "unordered":
        return stage_mask(range(len(journey.stages)))
    return stage_mask(range(frm, to + 1))


def borrowed_waits(waits: np.ndarray, n: int, seed: int) -> np.ndarray:
    """For each of ``n`` contacts, the wait of a randomly drawn contact who moved on.

    Contacts who did not move on would otherwise be watched for the whole window and those
    who did only until they moved: every touchpoint would look like a cause of staying
    behind. Watching each of them for a wait drawn from the movers' waits gives both groups
    the same time to collect touchpoints. The draw has a fixed seed (reproducible figures);
    with nobody moving on, everyone is watched to the end of the window.
    """
    if len(waits) == 0:
        return np.full(n, np.iinfo(np.int64).max // 2, np.int64)
    picks = np.random.default_rng(seed).integers(0, len(waits), size=n)
    return np.sort(waits)[picks]


def contact_touchpoints(
    backend: Backend, matched: Matched, plans: list[Plan], human: bool
) -> ContactTouchpoints:
    """One touchpoint query over each contact's union of the plans' intervals."""
    res = matched.result
    anyone = np.zeros(len(res.contact), np.bool_)
    start = np.full(len(res.contact), np.iinfo(np.int64).max)
    end = np.full(len(res.contact), np.iinfo(np.int64).min)
    for plan in plans:
        anyone |= plan.population
        start = np.where(plan.population, np.minimum(start, plan.start_us), start)
        end = np.where(plan.population, np.maximum(end, plan.end_us), end)
    idx = np.flatnonzero(anyone)
    table = intervals_table(np.zeros(len(idx)), res.contact[idx], start[idx], end[idx])
    found = fetch_touchpoints(
        backend,
        matched.journey,
        matched.options,
        table,
        human=human,
        grouped=False,
        stage_flags=True,
    )
    return _decode(found, res.contact)


def _decode(found: pa.Table, contacts: np.ndarray) -> ContactTouchpoints:
    keys = found.column("contact_key").to_numpy().astype(np.int64)
    ts = found.column("ts").cast(pa.timestamp("us")).cast(pa.int64()).to_numpy()
    encoded = pc.dictionary_encode(found.column("touchpoint")).combine_chunks()
    return ContactTouchpoints(
        row=np.searchsorted(contacts, keys),
        ts=np.asarray(ts, np.int64),
        code=encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        stage_mask=found.column("stage_mask").to_numpy().astype(np.int64),
        keys=tuple(encoded.dictionary.to_pylist()),
    )


def exclusion_reasons(plan: Plan, found: ContactTouchpoints) -> tuple[np.ndarray, np.ndarray]:
    """Per activity: inside the plan's intervals (bool), and why it is left out (``KEEP``,
    ``OWN_STAGE``, ``LATER_STAGE`` or ``JOURNEY_EMAIL``; the first that applies)."""
    r = found.row
    inside = plan.population[r] & (found.ts >= plan.start_us[r]) & (found.ts < plan.end_us[r])
    why = np.full(len(r), KEEP, np.int8)
    if found.automatic is not None and len(found.automatic):
        why[found.automatic[found.code]] = JOURNEY_EMAIL
    why[(found.stage_mask & plan.later_stages) != 0] = LATER_STAGE
    why[(found.stage_mask & plan.skip_stages) != 0] = OWN_STAGE
    return inside, why


def plan_pairs(
    plan: Plan, found: ContactTouchpoints, include_excluded: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (result row, touchpoint code) pairs inside the plan's intervals, without
    the activities left out by default unless ``include_excluded``."""
    inside, why = exclusion_reasons(plan, found)
    keep = inside if include_excluded else inside & (why == KEEP)
    width = max(len(found.keys), 1)
    pairs = np.unique(found.row[keep] * width + found.code[keep])
    return pairs // width, pairs % width


def plan_tables(
    plan: Plan, found: ContactTouchpoints, min_support: int, include_excluded: bool = False
) -> tuple[np.ndarray, Tables, int]:
    """Touchpoint codes tested (support ≥ ``min_support``, some contacts without), their
    2×2 statistics within contact-age strata, and how many touchpoints were seen at all."""
    rows, codes = plan_pairs(plan, found, include_excluded)
    n_codes, n_strata = len(found.keys), len(AGE_EDGES_DAYS) + 1
    cell = codes * n_strata + plan.stratum[rows]
    size = n_codes * n_strata
    support = np.bincount(cell, minlength=size).reshape(n_codes, n_strata)
    a = np.bincount(cell, weights=plan.outcome[rows], minlength=size)
    a = a.reshape(n_codes, n_strata).astype(np.int64)
    pop = plan.population
    total = np.bincount(plan.stratum[pop], minlength=n_strata)
    hits = np.bincount(plan.stratum[pop & plan.outcome], minlength=n_strata)
    with_tp = support.sum(1)
    tested = np.flatnonzero((with_tp >= min_support) & (with_tp < total.sum()))
    seen = int((with_tp > 0).sum())
    a, s = a[tested], support[tested]
    b = s - a
    return tested, tables(a, b, hits - a, (total - hits) - b), seen


def _transition(
    matched: Matched,
    outs: Outcomes,
    plan: Plan,
    found: ContactTouchpoints,
    frm: int,
    to: int,
    min_support: int,
    names: dict[str, str],
    own: dict[str, str],
    include_excluded: bool = False,
) -> Transition:
    stages = matched.journey.stages
    kind = "step" if to == frm + 1 else "entry_to_conversion"
    codes, st, seen = plan_tables(plan, found, min_support, include_excluded)
    verb = "moved on" if kind == "step" else "converted"
    left_out = excluded_touchpoints(matched.journey, plan, found, names, own, frm, to)
    reasons = {e.touchpoint: e.reason for e in left_out}
    drivers = [
        _driver(found.keys[c], st, i, verb, names, stages[to].name, reasons)
        for i, c in enumerate(codes)
    ]
    drivers.sort(key=lambda d: (d.p, -d.odds_ratio, d.touchpoint))
    population = int(plan.population.sum())
    advanced = int((plan.population & plan.outcome).sum())
    reached = matched.result.reached >= frm + 1
    return Transition(
        from_stage=frm + 1,
        to_stage=to + 1,
        from_name=stages[frm].name,
        to_name=stages[to].name,
        kind=kind,
        population=population,
        advanced=advanced,
        in_progress_left_out=int((reached & ~plan.population).sum()),
        touchpoints_seen=seen,
        tested=len(codes),
        drivers=tuple(drivers),
        warnings=outcome_warnings(advanced, population - advanced, "advanced"),
        excluded=() if include_excluded else left_out,
    )


def excluded_touchpoints(
    journey: Journey,
    plan: Plan,
    found: ContactTouchpoints,
    names: dict[str, str],
    own: dict[str, str],
    frm: int,
    to: int,
) -> tuple[Excluded, ...]:
    """The touchpoints a transition leaves out by default, most contacts first, each with
    the reason of its first left-out activity and the contacts who had it."""
    inside, why = exclusion_reasons(plan, found)
    hit = inside & (why != KEEP)
    width = max(len(found.keys), 1)
    pairs = np.unique(found.row[hit] * width + found.code[hit])
    contacts = np.bincount(pairs % width, minlength=len(found.keys))
    codes, first = np.unique(found.code[hit], return_index=True)
    out = []
    for code, at in zip(codes, first, strict=True):
        reason, key = int(why[hit][at]), found.keys[code]
        stage = _lowest_bit(int(found.stage_mask[hit][at]), reason, plan)
        out.append(
            Excluded(
                touchpoint=key,
                label=describe(key, names),
                kind=EXCLUSION_KINDS[reason],
                reason=_reason_text(reason, journey, stage, (frm, to), key, (names, own)),
                contacts=int(contacts[code]),
            )
        )
    out.sort(key=lambda e: (-e.contacts, e.touchpoint))
    return tuple(out)


def _lowest_bit(mask: int, reason: int, plan: Plan) -> int:
    bits = mask & (plan.skip_stages if reason == OWN_STAGE else plan.later_stages)
    return (bits & -bits).bit_length() - 1 if bits else 0


def _reason_text(
    reason: int,
    journey: Journey,
    stage: int,
    span: tuple[int, int],
    key: str,
    emails: tuple[dict[str, str], dict[str, str]],
) -> str:
    stages = journey.stages
    if reason == OWN_STAGE:
        which = {span[1]: "the stage reached", span[0]: "the stage left"}.get(stage, "on the way")
        if journey.order == "unordered":
            which = "a stage of an unordered journey"
        return f"matches the condition of {stages[stage].name} ({which}): implied, not a cause"
    if reason == LATER_STAGE:
        return (
            f"matches the condition of {stages[stage].name}, a later stage: "
            "it happens because contacts move on"
        )
    email = key.partition(":")[2].partition("/")[0]
    names, own = emails
    why = own.get(email, "one of the journey's own emails")
    return (
        f"a send of {names.get(email, email)} ({why}): "
        "a consequence of being in the journey, not a contact's choice"
    )


def outcome_warnings(hits: int, misses: int, word: str) -> tuple[str, ...]:
    """Warn when a population is too lopsided for any touchpoint to be trusted."""
    if hits + misses == 0:
        return ("No contacts with a known outcome: nothing to compare.",)
    if min(hits, misses) < MIN_OUTCOMES:
        return (
            f"Only {hits:,} {word} and {misses:,} did not: too lopsided to trust these figures.",
        )
    return ()


def _driver(
    key: str,
    st: Tables,
    i: int,
    verb: str,
    names: dict[str, str],
    to_name: str,
    reasons: dict[str, str],
) -> Driver:
    a, b, c, d = (int(x[i]) for x in (st.a, st.b, st.c, st.d))
    label = describe(key, names)
    return Driver(
        touchpoint=key,
        label=label,
        support=a + b,
        with_advanced=a,
        with_not_advanced=b,
        without_advanced=c,
        without_not_advanced=d,
        rate_with=ratio(a, a + b),
        rate_without=ratio(c, c + d),
        **table_figures(st, i, f"Contacts who {label} {verb}"),
        effect=effect_reading(label, to_name, float(st.rate_ratio[i])),
        excluded_reason=reasons.get(key),
    )


def effect_reading(label: str, to_name: str, rate_ratio: float) -> str:
    """The rate ratio in plain language (it is compared within contact-age strata)."""
    return (
        f"Contacts who {label} were {times(rate_ratio)} as likely to reach {to_name}, "
        "after accounting for how long they had been contacts"
    )


def table_figures(st: Tables, i: int, subject: str) -> dict[str, Any]:
    """Ratios, intervals, p, q, the sentence (``subject`` … × as often) and the warnings of
    table ``i``."""
    rr, lo, hi = float(st.rate_ratio[i]), float(st.rr_low[i]), float(st.rr_high[i])
    return {
        "rate_ratio": rr,
        "rate_ratio_low": lo,
        "rate_ratio_high": hi,
        "odds_ratio": float(st.odds_ratio[i]),
        "odds_ratio_low": float(st.or_low[i]),
        "odds_ratio_high": float(st.or_high[i]),
        "p": float(st.p[i]),
        "q": float(st.q[i]),
        "sentence": f"{subject} {times(rr)} as often ({times(lo, '')}–{times(hi)})",
        "warnings": table_warnings(st, i),
    }


def table_warnings(st: Tables, i: int) -> tuple[str, ...]:
    """The warnings of one 2×2 table."""
    out = []
    if st.lopsided[i]:
        out.append(
            "Few contacts on one side (under 10, or an expected count under 5): read with care."
        )
    if st.corrected[i]:
        out.append("A count was zero: +0.5 added to every cell (Haldane–Anscombe).")
    return tuple(out)


def times(x: float, suffix: str = "×") -> str:
    """A ratio as a reader says it: 2.1×, 12×, 0.45×."""
    if not np.isfinite(x):
        return "–"
    if x >= 10:
        return f"{x:.0f}{suffix}"
    if x >= 1:
        return f"{x:.1f}{suffix}"
    return f"{x:.2g}{suffix}"
