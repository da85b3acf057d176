"""Which stages repeat or widen the stage before them (docs/semantics.md, ordered and strict modes).

When every activity that matches stage ``i-1`` also matches stage ``i``, the match of stage
``i`` must be a different, strictly later activity. This is decided from the conditions'
syntax and conservatively: ``True`` only when the containment is certain.
"""

from __future__ import annotations

from headway.model.condition import AllOf, AnyOf, Condition, Match, Not
from headway.model.journey import Journey, Stage


def strictly_later_flags(journey: Journey) -> tuple[bool, ...]:
    """Per stage: True when it repeats or widens the previous stage (entry 0 is False)."""
    stages = journey.stages
    return (False, *(widens(stages[i], stages[i - 1]) for i in range(1, len(stages))))


def widens(stage: Stage, previous: Stage) -> bool:
    """True when every activity matching ``previous`` surely matches ``stage``."""
    if stage.first_time != "false":
        # A first-time stage keeps one activity; it covers only an identical stage.
        return stage.first_time == previous.first_time and stage.when == previous.when
    return covers(stage.when, previous.when)


def covers(wide: Condition, narrow: Condition) -> bool:
    """True when every activity matching ``narrow`` surely matches ``wide``."""
    if wide == narrow or wide == Match():
        return True
    if isinstance(narrow, AnyOf):
        return all(covers(wide, n) for n in narrow.items)
    if isinstance(wide, AllOf):
        return all(covers(w, narrow) for w in wide.items)
    if isinstance(wide, AnyOf) and any(covers(w, narrow) for w in wide.items):
        return True
    if isinstance(narrow, AllOf):
        return any(covers(wide, n) for n in narrow.items)
    if isinstance(wide, Match) and isinstance(narrow, Match):
        return _match_covers(wide, narrow)
    if isinstance(wide, Not) and isinstance(narrow, Not):
        # not a ⊇ not b exactly when b ⊇ a.
        return covers(narrow.item, wide.item)
    return False


def _match_covers(wide: Match, narrow: Match) -> bool:
    if wide.types is not None and (
        narrow.types is None or not set(narrow.types) <= set(wide.types)
    ):
        return False
    return set(wide.where) <= set(narrow.where)
