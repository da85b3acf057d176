"""One-time webhook tokens (Mailgun), remembered in the database to refuse replays.

A token is remembered once its request has been stored, so a request that failed can be
retried. Tokens older than the signature age limit are pruned: a replay of one of them is
refused as stale anyway, which keeps the table small.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from headway.errors import Forbidden
from headway.store import Store


def refuse_used(store: Store, provider: str, label: str, token: str) -> None:
    """403 when ``token`` was already used for ``provider``."""
    used = store.execute(
        "SELECT 1 FROM webhook_tokens WHERE provider = ? AND token = ?", [provider, token]
    ).first()
    if used is not None:
        raise Forbidden(f"{label} token was already used")


def remember(store: Store, provider: str, token: str, now: datetime, keep: timedelta) -> None:
    """Record ``token`` as used and forget tokens older than ``keep``."""
    seen = now.replace(tzinfo=None)

    def write(conn: duckdb.DuckDBPyConnection) -> None:
        conn.execute(
            "INSERT OR IGNORE INTO webhook_tokens VALUES (?, ?, ?)", [provider, token, seen]
        )
        conn.execute(
            "DELETE FROM webhook_tokens WHERE provider = ? AND seen_at < ?",
            [provider, seen - keep],
        )

    store.write(write)
