"""Suppression state per contact: unsubscribed, hard-bounced, complained, and since when."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import orjson
import pyarrow as pa

from headway.backends.duckdb import DuckDBBackend
from headway.engine.email.suppression import suppressions, to_arrow, write_csv
from headway.store import Store

T0 = datetime(2025, 5, 1, 12, 0)


def test_reasons_and_first_time(store: Store) -> None:
    timeline = [
        ("a@x.org", "email_bounce", 0, {"bounce_type": "hard"}),
        ("a@x.org", "email_bounce", 5, {"bounce_type": "hard"}),  # later: since stays at 0
        ("b@x.org", "email_bounce", 1, {"bounce_type": "soft"}),  # soft: not suppressed
        ("c@x.org", "email_unsubscribe", 2, {}),
        ("c@x.org", "email_spam_report", 3, {}),
        ("d@x.org", "email_open", 4, {}),
        ("crm-7", "email_unsubscribe", 6, {}),  # no email address known
    ]
    rows = [
        {
            "id": f"s{i}",
            "contact": c,
            "type": t,
            "ts": T0 + timedelta(minutes=m),
            "properties": orjson.dumps({"email": "e1", **p}).decode(),
            "bot": False,
            "bot_reason": None,
            "source": "api",
        }
        for i, (c, t, m, p) in enumerate(timeline)
    ]
    store.append_activities(pa.Table.from_pylist(rows))
    # d unsubscribed through its subscription state only (e.g. an import)
    store.write(
        lambda c: c.execute(
            "UPDATE contacts SET subscription = 'unsubscribed', updated_at = ? WHERE id = 'd@x.org'",
            [T0 + timedelta(days=1)],
        )
    )
    got = [(s.contact, s.email, s.reason, s.since) for s in suppressions(DuckDBBackend(store))]
    assert got == [
        ("a@x.org", "a@x.org", "hard_bounced", T0),
        ("c@x.org", "c@x.org", "complained", T0 + timedelta(minutes=3)),
        ("c@x.org", "c@x.org", "unsubscribed", T0 + timedelta(minutes=2)),
        ("crm-7", None, "unsubscribed", T0 + timedelta(minutes=6)),
        ("d@x.org", "d@x.org", "unsubscribed", T0 + timedelta(days=1)),
    ]
    assert [s.reason for s in suppressions(DuckDBBackend(store), contact="c@x.org")] == [
        "complained",
        "unsubscribed",
    ]
    assert to_arrow(suppressions(DuckDBBackend(store))).num_rows == 5
    out = io.StringIO()
    assert write_csv(suppressions(DuckDBBackend(store), contact="crm-7"), out) == 1
    assert (
        out.getvalue() == "contact,email,reason,since\ncrm-7,,unsubscribed,2025-05-01T12:06:00Z\n"
    )


def test_nobody_suppressed(store: Store) -> None:
    assert suppressions(DuckDBBackend(store)) == []
