"""A slow, obviously-correct Python pipeline written from DESIGN §4-§5, for differential tests.

It evaluates conditions on activity dicts in Python (no SQL), applies as_of, filter,
first_time and the date range, runs the reference matcher, and computes the funnel's
outcome counts with the standard library only.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from headway.engine.kernel.match_types import NOT_REACHED, MatchSpec
from headway.engine.options import to_micros
from headway.model.condition import AllOf, AnyOf, Condition, Match, Not, Predicate
from headway.model.journey import Journey
from headway.model.property_paths import parse_path
from headway.model.subsumption import strictly_later_flags
from tests.engine import reference_matcher as reference

_MISSING = object()


@dataclass(frozen=True)
class Act:
    """One activity as the reference sees it."""

    id: str
    contact: str
    type: str
    ts: datetime
    properties: dict[str, Any]
    bot: bool = False
    source: str = "test"


def holds(cond: Condition, act: Act) -> bool:
    """Does the activity satisfy the condition (DESIGN §4)?"""
    if isinstance(cond, Match):
        if cond.types is not None and act.type not in cond.types:
            return False
        return all(_predicate(p, act) for p in cond.where)
    if isinstance(cond, Not):
        return not holds(cond.item, act)
    if isinstance(cond, AnyOf):
        return any(holds(c, act) for c in cond.items)
    assert isinstance(cond, AllOf)
    return all(holds(c, act) for c in cond.items)


def _value(field: str, act: Act) -> Any:
    if field in ("contact", "source", "bot"):
        return getattr(act, field)
    node: Any = act.properties
    for part in parse_path(field.removeprefix("properties.")):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return _MISSING if node is None else node


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    return type(v).__name__


def _equal(a: Any, b: Any) -> bool:
    return _kind(a) == _kind(b) and a == b


def _predicate(p: Predicate, act: Act) -> bool:
    v = _value(p.field, act)
    op, want = p.op, p.value
    if op == "exists":
        return (v is not _MISSING) == bool(want)
    if op == "neq":
        return v is _MISSING or not _equal(v, want)
    if op == "not_in":
        return v is _MISSING or not any(_equal(v, w) for w in want)
    if v is _MISSING:
        return False
    if op == "eq":
        return _equal(v, want)
    if op == "in":
        return any(_equal(v, w) for w in want)
    if op in ("lt", "lte", "gt", "gte"):
        if _kind(v) != _kind(want) or _kind(v) not in ("number", "str"):
            return False
        return {"lt": v < want, "lte": v <= want, "gt": v > want, "gte": v >= want}[op]
    if not isinstance(v, str):
        return False
    if op == "contains":
        return want in v
    if op == "icontains":
        return want.lower() in v.lower()
    if op == "starts_with":
        return v.startswith(want)
    assert op == "regex"
    return re.search(want, v) is not None


def _first_ids(journey: Journey, acts: list[Act]) -> list[set[str]]:
    """Per stage with first_time: the ids of each contact's qualifying earliest activity."""
    out: list[set[str]] = []
    for stage in journey.stages:
        if stage.first_time == "false":
            out.append(set())
            continue
        firsts: dict[str, Act] = {}
        for a in sorted(acts, key=lambda a: (a.ts, a.id)):
            in_family = (
                _in_types(stage.when, a) if stage.first_time == "event" else holds(stage.when, a)
            )
            if in_family and a.contact not in firsts:
                firsts[a.contact] = a
        out.append({a.id for a in firsts.values() if holds(stage.when, a)})
    return out


def _in_types(cond: Condition, act: Act) -> bool:
    types = _types(cond)
    return types is None or act.type in types


def _types(cond: Condition) -> set[str] | None:
    if isinstance(cond, Match):
        return None if cond.types is None else set(cond.types)
    if isinstance(cond, Not):
        return None
    sets = [_types(c) for c in cond.items]
    if isinstance(cond, AnyOf):
        return None if any(s is None for s in sets) else set().union(*[s for s in sets if s])
    known = [s for s in sets if s is not None]
    return set.intersection(*known) if known else None


@dataclass(frozen=True)
class RefStage:
    """The figures of one stage."""

    reached: int
    dropped: int
    in_progress: int
    stalled: int


def funnel(journey: Journey, acts: list[Act], as_of: datetime) -> list[RefStage]:
    """Reached / dropped / in progress / stalled per stage, from first principles."""
    acts = [a for a in acts if a.ts <= as_of]
    if journey.filter is not None:
        acts = [a for a in acts if holds(journey.filter, a)]
    firsts = _first_ids(journey, acts)
    dr = journey.date_range
    acts = [
        a
        for a in acts
        if dr is None
        or ((dr.start is None or a.ts >= dr.start) and (dr.end is None or a.ts <= dr.end))
    ]
    contacts = sorted({a.contact for a in acts})
    key = {c: i for i, c in enumerate(contacts)}
    n = len(journey.stages)

    def stage_bit(i: int, a: Act) -> int:
        stage = journey.stages[i]
        ok = holds(stage.when, a) if stage.first_time == "false" else a.id in firsts[i]
        return (1 << i) if ok else 0

    spec = MatchSpec(
        mode=journey.order,
        n_stages=n,
        window_us=journey.window_seconds * 1_000_000,
        strictly_later=strictly_later_flags(journey),
        exclusions=tuple((x.from_stage, x.to_stage) for x in journey.exclusions),
        has_exit=journey.exit_when is not None,
    )
    result = reference.match(
        spec,
        np.array([key[a.contact] for a in acts], dtype=np.int64),
        np.array([to_micros(a.ts) for a in acts], dtype=np.int64),
        np.array([sum(stage_bit(i, a) for i in range(n)) for a in acts], dtype=np.uint64),
        np.array(
            [
                sum((1 << e) if holds(x.when, a) else 0 for e, x in enumerate(journey.exclusions))
                for a in acts
            ],
            dtype=np.uint64,
        ),
        np.array(
            [journey.exit_when is not None and holds(journey.exit_when, a) for a in acts],
            dtype=np.bool_,
        ),
    )
    return _outcomes(journey, result, to_micros(as_of))


def _outcomes(journey: Journey, result: Any, as_of_us: int) -> list[RefStage]:
    n = len(journey.stages)
    reached = [int(r) for r in result.reached]
    window = journey.window_seconds * 1_000_000
    limits: list[float | None] = []
    for k in range(n):
        waits = (
            [
                int(t[k + 1] - t[k])
                for r, t in zip(reached, result.stage_ts, strict=True)
                if r >= k + 2
            ]
            if k < n - 1
            else []
        )
        if k == n - 1:
            limits.append(None)
        elif journey.stall_after_seconds is not None:
            limits.append(journey.stall_after_seconds * 1_000_000)
        elif len(waits) == 1:
            limits.append(waits[0])
        elif waits:
            limits.append(int(statistics.quantiles(waits, n=10, method="inclusive")[8]))
        else:
            limits.append(None)
    out = []
    for i in range(n):
        dropped = in_progress = stalled = 0
        for c, r in enumerate(reached):
            if r != i + 1 or r == n:
                continue
            t = result.stage_ts[c]
            closed = as_of_us - int(t[0]) > window
            exited = int(result.exit_ts[c]) != NOT_REACHED
            if closed or exited:
                dropped += 1
            else:
                in_progress += 1
                limit = limits[i]
                stalled += limit is not None and as_of_us - int(t[i]) > limit
        out.append(RefStage(sum(r >= i + 1 for r in reached), dropped, in_progress, stalled))
    return out
