"""One contact's place in a journey: its best attempt, stage times and the activities behind them.

The journey's ``filter`` is narrowed to the contact: a contact's best attempt depends only on
its own activities, so the stages and their activities are exactly those of a full run. The
matcher names the input row behind each stage; an extra column carries that row's activity
id, so a timeline can mark the very activity that reached the stage.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

from sqlglot import exp

from headway.backends.base import Backend
from headway.engine.funnel.contact_lists import STATUS_NAMES
from headway.engine.funnel.outcomes import outcomes
from headway.engine.kernel.inputs import ACTIVITY
from headway.engine.kernel.match_types import NOT_REACHED
from headway.engine.kernel.run import Matched, match_journey
from headway.engine.options import ReportOptions, from_micros
from headway.model.condition import AllOf, Match, Predicate
from headway.model.journey import Journey

_ACTIVITY_ID = "activity_id"


@dataclass(frozen=True)
class StageMark:
    """An activity that reached a stage of a journey."""

    journey: str
    index: int  # 1-based
    stage: str


@dataclass(frozen=True)
class ContactJourney:
    """The contact's best attempt at one journey."""

    journey: str
    stage_names: tuple[str, ...]
    reached: int
    status: str  # converted, dropped, in_progress, not_entered or excluded
    stage_times: tuple[datetime | None, ...]
    activities: dict[str, int] = field(default_factory=dict)  # activity id -> 0-based stage


def for_contact(journey: Journey, contact_id: str) -> Journey:
    """``journey`` with its filter narrowed to one contact's activities."""
    only = Match(None, (Predicate("contact", "eq", contact_id),))
    narrowed = only if journey.filter is None else AllOf((journey.filter, only))
    return dataclasses.replace(journey, filter=narrowed)


def contact_journey(
    backend: Backend, journey: Journey, contact_id: str, opts: ReportOptions
) -> ContactJourney:
    """Where one contact stands in ``journey`` and which activities reached its stages."""
    extras = {_ACTIVITY_ID: exp.column("id", ACTIVITY)}
    matched = match_journey(backend, for_contact(journey, contact_id), opts, extras)
    names = tuple(s.name for s in journey.stages)
    if len(matched.result) == 0:
        return ContactJourney(journey.name, names, 0, "not_entered", (None,) * len(names))
    return _best_attempt(matched, names)


def _best_attempt(matched: Matched, names: tuple[str, ...]) -> ContactJourney:
    res = matched.result
    reached = int(res.reached[0])
    ids = matched.extras[_ACTIVITY_ID]
    activities = {str(ids[int(res.stage_row[0, j])]): j for j in range(reached)}
    times = tuple(
        from_micros(int(t)) if t != NOT_REACHED and j < reached else None
        for j, t in enumerate(res.stage_ts[0, : len(names)])
    )
    if bool(res.removed[0]):
        status = "excluded"
    else:
        status = STATUS_NAMES.get(int(outcomes(matched).status[0]), "not_entered")
    return ContactJourney(matched.journey.name, names, reached, status, times, activities)


def stage_marks(journeys: list[ContactJourney]) -> dict[str, list[StageMark]]:
    """Activity id -> the journey stages that activity reached."""
    marks: dict[str, list[StageMark]] = {}
    for j in journeys:
        for activity, stage in j.activities.items():
            marks.setdefault(activity, []).append(
                StageMark(j.journey, stage + 1, j.stage_names[stage])
            )
    return marks
