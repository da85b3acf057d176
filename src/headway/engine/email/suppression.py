"""Suppression state per contact: who must not be emailed again, why, and since when.

A contact is suppressed as ``unsubscribed`` (an ``email_unsubscribe`` activity, or its
subscription state set to unsubscribed), ``hard_bounced`` (an ``email_bounce`` with
``bounce_type: hard``) or ``complained`` (an ``email_spam_report``); one row per contact and
reason, ``since`` the first time it happened. An erased contact is one ``erased`` row with no
contact and no email, ``since`` its erasure: counted, never named (it is kept only as salted
digests, ``store/erased.py``; ``headway suppression check ADDRESS`` tests one address).
Senders import the CSV into their ESP. The list reads the store's suppression state (contacts'
subscription and address, erased contacts): a backend without it answers ``NotOnBackend``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, TextIO

import pyarrow as pa
import sqlglot

from headway.backends.base import Backend
from headway.backends.query import Query
from headway.engine.support import arrow_typed, require
from headway.safe_csv import safe_writer

REASONS = ("unsubscribed", "hard_bounced", "complained", "erased")
CSV_COLUMNS = ("contact", "email", "reason", "since")

_QUERY = """
WITH ev AS (
    SELECT a.contact_key, t.name AS type, a.ts
    FROM activity_log a JOIN hw_types t ON t.code = a.type_code
    WHERE t.name IN ('email_unsubscribe', 'email_spam_report')
       OR (t.name = 'email_bounce' AND lower(a.properties->>'bounce_type') = 'hard')
),
reasons AS (
    SELECT contact_key,
           CASE type WHEN 'email_unsubscribe' THEN 'unsubscribed'
                     WHEN 'email_bounce' THEN 'hard_bounced'
                     ELSE 'complained' END AS reason,
           min(ts) AS since
    FROM ev GROUP BY ALL
    UNION ALL
    -- unsubscribed by state only (e.g. imported), with no unsubscribe activity
    SELECT c.key, 'unsubscribed', c.updated_at FROM contacts c
    WHERE c.subscription = 'unsubscribed'
      AND NOT EXISTS (SELECT 1 FROM ev WHERE ev.contact_key = c.key
                                         AND ev.type = 'email_unsubscribe')
)
SELECT c.id AS contact, c.email, r.reason, r.since
FROM reasons r JOIN contacts c ON c.key = r.contact_key
WHERE CAST($contact AS VARCHAR) IS NULL OR c.id = $contact
UNION ALL
-- erased contacts: one row per erasure, counted and never named (store/erased.py)
SELECT NULL, NULL, 'erased', min(erased_at) FROM erased_contacts
WHERE CAST($contact AS VARCHAR) IS NULL GROUP BY erasure
ORDER BY contact NULLS LAST, reason, since
"""
_TREE = sqlglot.parse_one(_QUERY, read="duckdb")


@dataclass(frozen=True)
class Suppression:
    """One reason a contact must not be emailed, and since when."""

    contact: str | None  # None for an erased contact
    email: str | None
    reason: str
    since: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "since": self.since.isoformat()}


def suppression_query(contact: str | None = None) -> Query:
    """The suppression list (of every contact, or of one) as a query tree and parameters."""
    return Query(_TREE, {"contact": contact})


def suppressions(backend: Backend, contact: str | None = None) -> list[Suppression]:
    """Suppressed contacts with their reasons, ordered by contact id."""
    require(backend, "the suppression list", "contacts.subscription", "erased_contacts")
    rows = arrow_typed(backend, suppression_query(contact)).to_pylist()
    return [Suppression(**row) for row in rows]


def to_arrow(rows: list[Suppression]) -> pa.Table:
    """The suppression list as an Arrow table."""
    schema = pa.schema(
        [
            ("contact", pa.string()),
            ("email", pa.string()),
            ("reason", pa.string()),
            ("since", pa.timestamp("us")),
        ]
    )
    return pa.Table.from_pylist([asdict(r) for r in rows], schema=schema)


def write_csv(rows: list[Suppression], out: TextIO) -> int:
    """Write the CSV senders import (contact, email, reason, since in ISO UTC); rows written."""
    writer = safe_writer(out)  # contact ids and addresses are typed by others: no formulas
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([r.contact or "", r.email or "", r.reason, r.since.isoformat() + "Z"])
    return len(rows)
