"""Emails ranked by what followed them: unsubscribes and journey drop-off (issue 6, item 2).

Per email, over its deliveries at least N days before ``as_of`` (a delivery is the contact's
first ``email_delivered`` of the email, or for an email whose sender reports no deliveries
its first send without a bounce):

- ``unsubscribed``: recipients with an ``email_unsubscribe`` within N days after the delivery
  that names this email (or names no email); the rank is by ``unsubscribed / delivered``;
- with a journey: ``at_stage``, the recipients sitting at some stage k < n of their open
  attempt when it was delivered (as in ``email_influence``), and ``dropped``, those of them
  whose attempt then dropped off at that same stage (docs/metrics.md at ``as_of``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import sqlglot

from headway.backends.base import Backend
from headway.backends.query import Query
from headway.engine.attribution.report import Matcher
from headway.engine.diagnostics.email_influence import DAY_US, check_days, sitting_and_advanced
from headway.engine.diagnostics.touchpoints import email_names
from headway.engine.email.delivery import delivered_pairs
from headway.engine.funnel.outcomes import DROPPED, outcomes
from headway.engine.kernel.run import Matched, match_journey
from headway.engine.options import ReportOptions, to_micros
from headway.engine.results import Tabular, iso, ratio
from headway.engine.support import arrow_typed
from headway.errors import Detail, InvalidInput
from headway.model.journey import Journey

RankBy = Literal["unsubscribes", "dropoff"]
RANKINGS: tuple[str, ...] = ("unsubscribes", "dropoff")

# Every (contact, email) delivery with whether the contact unsubscribed within $days of it.
# (Delivered: engine/email/delivery.py, the one definition.)
_DELIVERIES = f"""
WITH {delivered_pairs()}, ev AS (
    SELECT a.contact_key, a.properties ->> '$.email' AS email, t.name AS type, a.ts
    FROM activity_log a JOIN hw_types t ON t.code = a.type_code
    WHERE t.name = 'email_unsubscribe' AND a.ts <= $as_of
), rec AS (
    SELECT contact_key, email, at FROM hw_delivered
)
SELECT rec.email, rec.contact_key, rec.at, coalesce(bool_or(u.ts IS NOT NULL), false) AS unsubscribed
FROM rec
LEFT JOIN ev u ON u.type = 'email_unsubscribe' AND u.contact_key = rec.contact_key
     AND u.ts >= rec.at AND u.ts <= rec.at + CAST($days AS INTEGER) * INTERVAL 1 DAY
     AND (u.email IS NULL OR u.email = rec.email)
WHERE rec.at IS NOT NULL
GROUP BY rec.email, rec.contact_key, rec.at
ORDER BY rec.email, rec.contact_key
"""


@dataclass(frozen=True)
class EmailAfterEffects:
    """One email: deliveries, unsubscribes after them, and journey drop-off after them."""

    email: str
    name: str | None
    delivered: int
    unsubscribed: int
    unsubscribe_rate: float | None
    at_stage: int | None
    dropped: int | None
    drop_rate: float | None


@dataclass(frozen=True)
class EmailRanking(Tabular):
    """Emails ranked by unsubscribes (or drop-off) within N days of delivery."""

    as_of: datetime
    days: int
    by: str
    journey: str | None
    emails: tuple[EmailAfterEffects, ...]

    def rows(self) -> list[dict[str, Any]]:
        """One row per email, highest rate first."""
        return [dict(e.__dict__) for e in self.emails]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "as_of": iso(self.as_of),
            "days": self.days,
            "by": self.by,
            "journey": self.journey,
            "emails": self.rows(),
        }


def email_ranking(
    backend: Backend,
    options: ReportOptions,
    days: int = 7,
    journey: Journey | None = None,
    by: str = "unsubscribes",
    matcher: Matcher | None = None,
) -> EmailRanking:
    """Rank every email by unsubscribes (or, with a journey, drop-off) after its delivery."""
    check_days(days)
    if by not in RANKINGS:
        raise InvalidInput(
            f"emails can be ranked by {' or '.join(RANKINGS)}, not {by!r}",
            [Detail("unknown", "by")],
        )
    if by == "dropoff" and journey is None:
        raise InvalidInput("ranking by drop-off needs a journey", [Detail("missing", "journey")])
    rows = arrow_typed(backend, Query(_DELIVERIES_TREE, {"as_of": options.as_of, "days": days}))
    names = email_names(backend)
    run = matcher or (lambda j, o: match_journey(backend, j, o))
    matched = run(journey, options) if journey is not None else None
    return ranking_from(rows, names, days, by, options, matched)


def ranking_from(
    rows: pa.Table,
    names: dict[str, str],
    days: int,
    by: str,
    options: ReportOptions,
    matched: Matched | None,
) -> EmailRanking:
    """The ranking from the deliveries table of ``_DELIVERIES`` (and a matched journey)."""
    at = rows.column("at").cast(pa.timestamp("us")).cast(pa.int64()).to_numpy()
    horizon = days * DAY_US
    ripe = at + horizon <= to_micros(options.as_of)
    rows = rows.filter(pa.array(ripe))
    emails, which = np.unique(
        np.asarray(rows.column("email").to_pylist(), dtype=object), return_inverse=True
    )
    unsub = rows.column("unsubscribed").to_numpy(zero_copy_only=False).astype(np.int64)
    delivered = np.bincount(which, minlength=len(emails))
    unsubscribed = np.bincount(which, weights=unsub, minlength=len(emails)).astype(np.int64)
    zeros = np.zeros(len(emails), np.int64)
    at_stage, dropped = zeros, zeros
    if matched is not None:
        keys = rows.column("contact_key").to_numpy().astype(np.int64)
        at_stage, dropped = _dropoff(matched, keys, at[ripe], horizon, which, len(emails))
    journey = matched is not None
    out = [
        EmailAfterEffects(
            email=str(e),
            name=names.get(str(e)),
            delivered=int(delivered[i]),
            unsubscribed=int(unsubscribed[i]),
            unsubscribe_rate=ratio(int(unsubscribed[i]), int(delivered[i])),
            at_stage=int(at_stage[i]) if journey else None,
            dropped=int(dropped[i]) if journey else None,
            drop_rate=ratio(int(dropped[i]), int(at_stage[i])) if journey else None,
        )
        for i, e in enumerate(emails)
    ]
    out.sort(key=_rank_key(by))
    return EmailRanking(
        as_of=options.as_of,
        days=days,
        by=by,
        journey=matched.journey.name if matched else None,
        emails=tuple(out),
    )


def _dropoff(
    matched: Matched, keys: np.ndarray, at: np.ndarray, horizon: int, which: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per email: recipients sitting at a stage when delivered, and those who then dropped."""
    k, _, _ = sitting_and_advanced(matched, keys, at, horizon)
    outs = outcomes(matched)
    idx = np.clip(np.searchsorted(matched.result.contact, keys), 0, max(len(outs.status) - 1, 0))
    sitting = k >= 1
    if len(outs.status):
        dropped = sitting & (outs.status[idx] == DROPPED) & (outs.last_stage[idx] == k - 1)
    else:
        dropped = sitting
    return (
        np.bincount(which, weights=sitting, minlength=n).astype(np.int64),
        np.bincount(which, weights=dropped, minlength=n).astype(np.int64),
    )


def _rank_key(by: str) -> Any:
    def key(e: EmailAfterEffects) -> tuple[float, int, str]:
        if by == "dropoff":
            return (-(e.drop_rate or 0.0), -(e.dropped or 0), e.email)
        return (-(e.unsubscribe_rate or 0.0), -e.unsubscribed, e.email)

    return key


# Constant SQL (only placeholders vary), parsed once into the trees the backend runs.
_DELIVERIES_TREE = sqlglot.parse_one(_DELIVERIES, read="duckdb")
