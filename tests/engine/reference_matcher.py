"""Slow, obviously-correct sequence matcher written literally from docs/semantics.md (tests only).

Every attempt is solved by brute force (all stage assignments, all matchings), so this module
must only ever see small inputs. `matcher.match` must return exactly what this returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np

from headway.engine.kernel.match_types import NOT_REACHED, MatchResult, MatchSpec, empty_result


@dataclass(frozen=True)
class Activity:
    """One input row of a contact, with the stage / exclusion indexes it matches."""

    row: int
    ts: int
    stages: frozenset[int]
    exclusions: frozenset[int]
    exit: bool


@dataclass(frozen=True)
class Attempt:
    """The activities an attempt used for its stages 1..k, and whether an exclusion voids it."""

    entry: Activity
    used: tuple[Activity, ...]
    void: bool


def bits(mask: int, n: int) -> frozenset[int]:
    """The set bits of `mask` below `n`."""
    return frozenset(i for i in range(n) if mask >> i & 1)


def match(
    spec: MatchSpec,
    contact: np.ndarray,
    ts: np.ndarray,
    stage_mask: np.ndarray,
    excl_mask: np.ndarray,
    exit: np.ndarray,
) -> MatchResult:
    """Match every contact's activities against the journey; same contract as matcher.match."""
    by_contact: dict[int, list[Activity]] = {}
    for row in range(len(contact)):
        by_contact.setdefault(int(contact[row]), []).append(
            Activity(
                row=row,
                ts=int(ts[row]),
                stages=bits(int(stage_mask[row]), spec.n_stages),
                exclusions=bits(int(excl_mask[row]), len(spec.exclusions)),
                exit=bool(exit[row]) and spec.has_exit,
            )
        )
    if not by_contact:
        return empty_result(spec.n_stages)
    keys = sorted(by_contact)
    outcomes = []
    for k in keys:
        acts = sorted(by_contact[k], key=lambda a: (a.ts, a.row))
        attempt, removed = contact_outcome(spec, acts)
        exit_ts = exit_time(acts, attempt.used[-1].ts) if attempt else NOT_REACHED
        outcomes.append((attempt, removed, exit_ts))
    return to_result(spec, keys, outcomes)


def contact_outcome(spec: MatchSpec, acts: list[Activity]) -> tuple[Attempt | None, bool]:
    """(best attempt or None, removed) for one contact's activities sorted by (ts, row)."""
    if spec.mode == "unordered":
        attempts = [unordered_attempt(spec, acts, a) for a in acts if a.stages]
        clean = [a for a in attempts if not a.void]
        if not clean:
            return None, bool(attempts)
        depth = max(len(a.used) for a in clean)
        return next(a for a in clean if len(a.used) == depth), False
    attempts = [ordered_attempt(spec, acts, a) for a in acts if 0 in a.stages]
    if not attempts:
        return None, False
    depth = max(len(a.used) for a in attempts)
    furthest = [a for a in attempts if len(a.used) == depth]
    clean = [a for a in furthest if not a.void]
    return (clean[0], False) if clean else (None, True)


# --- ordered and strict -------------------------------------------------------------------


def ordered_attempt(spec: MatchSpec, acts: list[Activity], entry: Activity) -> Attempt:
    """The attempt entered at `entry`: deepest assignment, then earliest times, then rows."""
    best = min(
        assignments(spec, acts, (entry,)),
        key=lambda seq: (-len(seq), [a.ts for a in seq], [a.row for a in seq]),
    )
    return Attempt(entry, best, ordered_void(spec, acts, best))


def assignments(
    spec: MatchSpec, acts: list[Activity], seq: tuple[Activity, ...]
) -> Iterator[tuple[Activity, ...]]:
    """Every valid assignment of activities to stages 1..k that extends `seq`."""
    yield seq
    if len(seq) == spec.n_stages:
        return
    for act in acts:
        if can_extend(spec, acts, seq, act):
            yield from assignments(spec, acts, (*seq, act))


def can_extend(
    spec: MatchSpec, acts: list[Activity], seq: tuple[Activity, ...], act: Activity
) -> bool:
    """Whether `act` may be the next stage of the partial attempt `seq` (§5 ordered / strict)."""
    stage, prev, entry = len(seq), seq[-1], seq[0]
    if act in seq or stage not in act.stages:
        return False  # one activity never satisfies two stages
    if act.ts < prev.ts or (spec.strictly_later[stage] and act.ts == prev.ts):
        return False
    if act.ts - entry.ts > spec.window_us:
        return False
    if spec.mode == "strict":
        instants = {a.ts for a in seq} | {act.ts}
        # any activity strictly between entry and this stage, not at a stage instant, interrupts
        return not any(entry.ts < o.ts < act.ts and o.ts not in instants for o in acts)
    return True


def ordered_void(spec: MatchSpec, acts: list[Activity], seq: tuple[Activity, ...]) -> bool:
    """§5 exclusions: an excluded activity strictly between `from` and `to` voids the attempt."""
    window_end = seq[0].ts + spec.window_us
    for e, (lo, hi) in enumerate(spec.exclusions):
        if len(seq) <= lo:
            continue
        start = seq[lo].ts
        for o in acts:
            if e not in o.exclusions:
                continue
            if len(seq) > hi and start < o.ts < seq[hi].ts:
                return True
            if len(seq) <= hi and start < o.ts <= window_end:
                return True
    return False


# --- unordered ----------------------------------------------------------------------------


def unordered_attempt(spec: MatchSpec, acts: list[Activity], entry: Activity) -> Attempt:
    """The attempt entered at `entry`: the activity completing the 1st, 2nd, ... stage."""
    window_end = entry.ts + spec.window_us
    members = [entry] + [a for a in acts if a is not entry and entry.ts <= a.ts <= window_end]
    used: list[Activity] = []
    for m in range(1, len(members) + 1):
        if len(used) == spec.n_stages:
            break
        if max_stages_completed(members[:m], spec.n_stages) > len(used):
            used.append(members[m - 1])
    return Attempt(entry, tuple(used), unordered_void(spec, acts, entry, used))


def max_stages_completed(acts: list[Activity], n_stages: int) -> int:
    """Most distinct stages completed by distinct activities (brute force over assignments)."""

    @cache
    def best(i: int, done: frozenset[int]) -> int:
        if i == len(acts):
            return len(done)
        options = [best(i + 1, done)]
        options += [best(i + 1, done | {s}) for s in acts[i].stages if s not in done]
        return max(options)

    return best(0, frozenset())


def unordered_void(
    spec: MatchSpec, acts: list[Activity], entry: Activity, used: list[Activity]
) -> bool:
    """Exclusions span the whole unordered journey: entry to last stage, or to window end."""
    converted = len(used) == spec.n_stages
    end = used[-1].ts if converted else entry.ts + spec.window_us
    return any(
        o.exclusions and entry.ts < o.ts and (o.ts < end if converted else o.ts <= end)
        for o in acts
    )


# --- result -------------------------------------------------------------------------------


def exit_time(acts: list[Activity], after: int) -> int:
    """Time of the first exit activity strictly after `after`."""
    return next((a.ts for a in acts if a.exit and a.ts > after), NOT_REACHED)


def to_result(
    spec: MatchSpec, keys: list[int], outcomes: list[tuple[Attempt | None, bool, int]]
) -> MatchResult:
    """Pack per-contact outcomes into a MatchResult."""
    n = len(keys)
    result = MatchResult(
        contact=np.array(keys, np.int64),
        reached=np.zeros(n, np.int16),
        removed=np.array([removed for _, removed, _ in outcomes], np.bool_),
        stage_ts=np.full((n, spec.n_stages), NOT_REACHED, np.int64),
        stage_row=np.full((n, spec.n_stages), -1, np.int64),
        exit_ts=np.array([exit_ts for _, _, exit_ts in outcomes], np.int64),
    )
    for i, (attempt, _, _) in enumerate(outcomes):
        if attempt is None:
            continue
        result.reached[i] = len(attempt.used)
        result.stage_ts[i, : len(attempt.used)] = [a.ts for a in attempt.used]
        result.stage_row[i, : len(attempt.used)] = [a.row for a in attempt.used]
    return result
