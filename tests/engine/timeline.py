"""Timeline DSL for matcher tests.

    log = tl("a: page_visit@0s, email_click@5s=click; b: page_visit@1m")
    j = journey("page_visit", "email_click|page_visit", window="1h",
                exclusions=[("email_unsubscribe", 1, 2)], exit="email_bounce")
    out = run(matcher.match, j, log)   # {"a": Outcome(...), "b": ...}

Each activity is `type@time[=label]`; time is a number with a unit (us, ms, s, m, h, d, w).
A stage is a `|`-separated set of activity types; a row's stage_mask follows from its type.
Stage numbers in `exclusions` are 1-based, as users write them. Types matching nothing are
"other" activities (they only matter in strict mode).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np

from headway.engine.kernel.match_types import NOT_REACHED, MatchMode, MatchResult, MatchSpec

UNITS = {"us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000}
UNITS |= {"d": 24 * UNITS["h"], "w": 7 * 24 * UNITS["h"]}
ITEM = re.compile(r"^\s*([\w.-]+)@(-?\d+)(us|ms|s|m|h|d|w)(?:=(\w+))?\s*$")

Matcher = Callable[..., MatchResult]


@dataclass(frozen=True)
class Timeline:
    """Activities in the order written: contact name, type, µs time and label per row."""

    contacts: tuple[str, ...]
    types: tuple[str, ...]
    ts: tuple[int, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Journey:
    """Stages, exclusions and exit as sets of activity types."""

    stages: tuple[frozenset[str], ...]
    mode: MatchMode
    window_us: int
    strictly_later: tuple[bool, ...]
    exclusions: tuple[tuple[frozenset[str], int, int], ...]
    exit: frozenset[str]

    def spec(self) -> MatchSpec:
        """The MatchSpec the engine would build for this journey."""
        return MatchSpec(
            mode=self.mode,
            n_stages=len(self.stages),
            window_us=self.window_us,
            strictly_later=self.strictly_later,
            exclusions=tuple((lo, hi) for _, lo, hi in self.exclusions),
            has_exit=bool(self.exit),
        )


@dataclass(frozen=True)
class Outcome:
    """One contact's result in test units: seconds and row labels."""

    reached: int
    removed: bool = False
    times: tuple[float, ...] = ()
    rows: tuple[str, ...] = ()
    exit: float | None = None


def duration(text: str) -> int:
    """'90s' -> 90_000_000 µs."""
    m = re.fullmatch(r"(-?\d+)(us|ms|s|m|h|d|w)", text.strip())
    assert m, f"bad duration {text!r}"
    return int(m.group(1)) * UNITS[m.group(2)]


def tl(text: str) -> Timeline:
    """Parse 'a: page_visit@0s, email_click@5s; b: ...' into a Timeline."""
    contacts, types, ts, labels = [], [], [], []
    for part in filter(str.strip, text.split(";")):
        name, _, items = part.partition(":")
        for item in filter(str.strip, items.split(",")):
            m = ITEM.match(item)
            assert m, f"bad activity {item!r}"
            contacts.append(name.strip())
            types.append(m.group(1))
            ts.append(int(m.group(2)) * UNITS[m.group(3)])
            labels.append(m.group(4) or f"{m.group(1)}@{m.group(2)}{m.group(3)}")
    return Timeline(tuple(contacts), tuple(types), tuple(ts), tuple(labels))


def journey(
    *stages: str,
    mode: MatchMode = "ordered",
    window: str = "1h",
    exclusions: Iterable[tuple[str, int, int]] = (),
    exit: str = "",
    strictly_later: Iterable[bool] | None = None,
) -> Journey:
    """A journey over activity types; a stage repeating or widening the previous one (its
    types include the previous stage's) is strictly later unless told otherwise."""
    sets = tuple(frozenset(s.split("|")) for s in stages)
    later = (
        tuple(strictly_later)
        if strictly_later is not None
        else (False, *(sets[i - 1] <= sets[i] for i in range(1, len(sets))))
    )
    return Journey(
        stages=sets,
        mode=mode,
        window_us=duration(window),
        strictly_later=later,
        exclusions=tuple((frozenset(t.split("|")), a - 1, b - 1) for t, a, b in exclusions),
        exit=frozenset(filter(None, exit.split("|"))),
    )


def arrays(j: Journey, log: Timeline, order: list[int]) -> tuple[np.ndarray, ...]:
    """The matcher's input arrays for the rows of `log` taken in `order`; contact keys are
    sparse (3 * first-appearance index + 1) to exercise gaps."""
    names = list(dict.fromkeys(log.contacts))
    contact = np.array([3 * names.index(log.contacts[i]) + 1 for i in order], np.int64)
    ts = np.array([log.ts[i] for i in order], np.int64)
    stage = np.array([mask(log.types[i], j.stages) for i in order], np.uint64)
    excl = np.array([mask(log.types[i], [s for s, _, _ in j.exclusions]) for i in order], np.uint64)
    exit = np.array([log.types[i] in j.exit for i in order], np.bool_)
    return contact, ts, stage, excl, exit


def mask(activity_type: str, sets: Iterable[frozenset[str]]) -> int:
    """Bit i set when the type belongs to set i."""
    return sum(1 << i for i, s in enumerate(sets) if activity_type in s)


def outcomes(j: Journey, log: Timeline, res: MatchResult, order: list[int]) -> dict[str, Outcome]:
    """Per contact name, the result in seconds and labels."""
    names = list(dict.fromkeys(log.contacts))
    out = {}
    for i, key in enumerate(res.contact.tolist()):
        k = int(res.reached[i])
        out[names[(key - 1) // 3]] = Outcome(
            reached=k,
            removed=bool(res.removed[i]),
            times=tuple(t / 1e6 for t in res.stage_ts[i, :k].tolist()),
            rows=tuple(log.labels[order[r]] for r in res.stage_row[i, :k].tolist()),
            exit=None if res.exit_ts[i] == NOT_REACHED else res.exit_ts[i] / 1e6,
        )
        assert (res.stage_ts[i, k:] == NOT_REACHED).all() and (res.stage_row[i, k:] == -1).all()
    return out


def run(impl: Matcher, j: Journey, log: Timeline) -> dict[str, Outcome]:
    """Run `impl` on the log as written, and reversed: rows come in any order, so everything
    but the tie-breaks between equal (ts, type) rows must be the same. An `impl` with a
    `run_timeline` method runs the whole engine on a backend (tests/backends/)."""
    if hasattr(impl, "run_timeline"):
        return impl.run_timeline(j, log)  # type: ignore[no-any-return]
    written = list(range(len(log.ts)))
    results = []
    for order in (written, written[::-1]):
        res = impl(j.spec(), *arrays(j, log, order))
        results.append(outcomes(j, log, res, order))
    timing = [{k: replace(o, rows=()) for k, o in r.items()} for r in results]
    assert timing[0] == timing[1], "result depends on input row order"
    return results[0]
