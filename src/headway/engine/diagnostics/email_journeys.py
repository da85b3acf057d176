"""Email statistics tied to journeys (issue 4, item 6).

* Per stage: the email engagement of the contacts whose best attempt currently stops at that
  stage — deliveries, and open / click rates over (contact, email) pairs delivered, human view
  by default (opens count a click, as in docs/metrics.md).
* Per email: how many of its recipients were at each stage when it was delivered (the stage
  of their best attempt reached at or before the first delivery, else the send).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import sqlglot

from headway.backends.base import Backend
from headway.backends.query import Query
from headway.engine.email.delivery import HUMAN, delivered_pairs
from headway.engine.funnel.outcomes import outcomes
from headway.engine.kernel.match_types import NOT_REACHED
from headway.engine.kernel.run import Matched
from headway.engine.results import Tabular, iso, ratio
from headway.engine.support import arrow_typed

NOT_ENTERED = "(not entered)"

# (contact, email) pairs delivered (engine/email/delivery.py, the one definition) with their
# human opens and clicks (opens count a click, docs/metrics.md).
_PAIRS = f"""
WITH {delivered_pairs()}, engaged AS (
    SELECT a.contact_key, a.properties ->> '$.email' AS email,
           bool_or({HUMAN}) AS opened,
           bool_or(t.name = 'email_click' AND {HUMAN}) AS clicked
    FROM activity_log a JOIN hw_types t ON t.code = a.type_code
    WHERE t.name IN ('email_open', 'email_click')
      AND a.ts <= $as_of AND a.properties ->> '$.email' IS NOT NULL
    GROUP BY a.contact_key, a.properties ->> '$.email'
)
SELECT at.stage,
       count(DISTINCT at.contact_key) AS contacts,
       count(d.email) AS delivered,
       count(d.email) FILTER (e.opened) AS opened,
       count(d.email) FILTER (e.clicked) AS clicked
FROM _hw_at at
LEFT JOIN hw_delivered d ON d.contact_key = at.contact_key
LEFT JOIN engaged e ON e.contact_key = d.contact_key AND e.email = d.email
GROUP BY at.stage ORDER BY at.stage
"""

# The recipients of $email it was delivered to, each at its delivery (a bounced send is none).
_DELIVERIES = f"""
WITH {delivered_pairs(one_email=True)}
SELECT contact_key, at FROM hw_delivered
"""


@dataclass(frozen=True)
class StageEngagement:
    """Email engagement of the contacts sitting at one stage."""

    index: int
    name: str
    contacts: int
    delivered: int
    opened: int
    clicked: int
    open_rate: float | None
    click_rate: float | None


@dataclass(frozen=True)
class JourneyEngagement(Tabular):
    """Per stage of a journey, the email engagement of the contacts at that stage."""

    journey: str
    as_of: datetime
    human: bool
    stages: tuple[StageEngagement, ...]

    def rows(self) -> list[dict[str, Any]]:
        """One row per stage."""
        return [dict(s.__dict__) for s in self.stages]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "journey": self.journey,
            "as_of": iso(self.as_of),
            "human": self.human,
            "stages": self.rows(),
        }


@dataclass(frozen=True)
class StageCount:
    """Recipients of an email who were at a stage when it was delivered."""

    stage: str
    recipients: int


@dataclass(frozen=True)
class EmailStages(Tabular):
    """Where in a journey an email's recipients were when it reached them."""

    email: str
    journey: str
    as_of: datetime
    recipients: int
    stages: tuple[StageCount, ...]

    def rows(self) -> list[dict[str, Any]]:
        """One row per stage, '(not entered)' first."""
        return [dict(s.__dict__) for s in self.stages]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "email": self.email,
            "journey": self.journey,
            "as_of": iso(self.as_of),
            "recipients": self.recipients,
            "stages": self.rows(),
        }


def journey_engagement(backend: Backend, matched: Matched, human: bool = True) -> JourneyEngagement:
    """Email engagement per stage of the contacts whose best attempt stops there."""
    outs = outcomes(matched)
    counted = outs.counted
    at = pa.table(
        {
            "contact_key": pa.array(matched.result.contact[counted], pa.int64()),
            "stage": pa.array(outs.last_stage[counted], pa.int64()),
        }
    )
    rows = arrow_typed(
        backend,
        Query(_PAIRS_TREE, {"as_of": matched.options.as_of, "human": human}),
        {"_hw_at": at},
    )
    found = {r["stage"]: r for r in rows.to_pylist()}
    stages = []
    for i, stage in enumerate(matched.journey.stages):
        r = found.get(i, {"contacts": 0, "delivered": 0, "opened": 0, "clicked": 0})
        stages.append(
            StageEngagement(
                index=i + 1,
                name=stage.name,
                contacts=int(r["contacts"]),
                delivered=int(r["delivered"]),
                opened=int(r["opened"]),
                clicked=int(r["clicked"]),
                open_rate=ratio(int(r["opened"]), int(r["delivered"])),
                click_rate=ratio(int(r["clicked"]), int(r["delivered"])),
            )
        )
    return JourneyEngagement(matched.journey.name, matched.options.as_of, human, tuple(stages))


def email_stages(backend: Backend, matched: Matched, email: str) -> EmailStages:
    """How many recipients of ``email`` were at each stage when it was delivered."""
    params = {"as_of": matched.options.as_of, "email": email}
    rows = arrow_typed(backend, Query(_DELIVERIES_TREE, params))
    keys = rows.column("contact_key").to_numpy().astype(np.int64)
    at = rows.column("at").cast(pa.timestamp("us")).cast(pa.int64()).to_numpy()
    stage_at = stage_at_times(matched, keys, at)
    names = [NOT_ENTERED, *[s.name for s in matched.journey.stages]]
    counts = np.bincount(stage_at, minlength=len(names))
    return EmailStages(
        email=email,
        journey=matched.journey.name,
        as_of=matched.options.as_of,
        recipients=len(keys),
        stages=tuple(StageCount(n, int(c)) for n, c in zip(names, counts, strict=True)),
    )


def stage_at_times(matched: Matched, keys: np.ndarray, times: np.ndarray) -> np.ndarray:
    """For each (contact, time): stages of its best attempt reached at or before that time."""
    res = matched.result
    out = np.zeros(len(keys), np.int64)
    if len(res.contact) == 0 or len(keys) == 0:
        return out
    idx = np.clip(np.searchsorted(res.contact, keys), 0, len(res.contact) - 1)
    known = res.contact[idx] == keys
    for j in range(len(matched.journey.stages)):
        t = res.stage_ts[idx, j]
        out += known & (res.reached[idx] > j) & (t != NOT_REACHED) & (t <= times)
    return out


# Constant SQL (only placeholders vary), parsed once into the trees the backend runs.
_PAIRS_TREE = sqlglot.parse_one(_PAIRS, read="duckdb")
_DELIVERIES_TREE = sqlglot.parse_one(_DELIVERIES, read="duckdb")
