"""The tables of live journeys (``LIVE_TABLES``: schema migration 9, never edit it; see
``headway/live/``), and the store's two checks of them.

``live_journeys``: the journeys kept current (``active``) and the version being served.
``live_versions``: one row per journey version whose state is built or being built, with
its progress. ``live_state``: every counted contact's current best attempt per version (the
matcher's figures; times in microseconds since the epoch, NULL where not reached).
``journey_events``: what happened, in commit order (``seq``), once per idempotency ``id``.
"""

from __future__ import annotations

from typing import Any

LIVE_TABLES: list[str] = [
    """CREATE TABLE live_journeys (
        name VARCHAR PRIMARY KEY,
        active BOOLEAN NOT NULL,
        version INTEGER,
        changed_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE live_versions (
        journey VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        status VARCHAR NOT NULL,
        contacts_done BIGINT NOT NULL DEFAULT 0,
        contacts_total BIGINT,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        error VARCHAR,
        kpi_reached INTEGER[] NOT NULL DEFAULT [],
        PRIMARY KEY (journey, version)
    )""",
    """CREATE TABLE live_state (
        journey VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        contact_key INTEGER NOT NULL,
        reached SMALLINT NOT NULL,
        removed BOOLEAN NOT NULL,
        stage_us BIGINT[] NOT NULL,
        exit_us BIGINT,
        status VARCHAR NOT NULL,
        stalled_stage SMALLINT,
        updated_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE journey_events (
        seq BIGINT PRIMARY KEY,
        id VARCHAR NOT NULL UNIQUE,
        journey VARCHAR NOT NULL,
        version INTEGER NOT NULL,
        kind VARCHAR NOT NULL,
        contact_key INTEGER,
        contact VARCHAR,
        attempt_at TIMESTAMP,
        stage SMALLINT,
        stage_name VARCHAR,
        occurred_at TIMESTAMP NOT NULL,
        recorded_at TIMESTAMP NOT NULL,
        data JSON NOT NULL
    )""",
]


def any_live(conn: Any) -> bool:
    """Whether any journey is live (read once when a store opens)."""
    rows = conn.execute("SELECT count(*) FROM live_journeys WHERE active").fetchall()
    return bool(rows and rows[0][0])


def mark_stale(conn: Any) -> None:
    """Inside a write that changed activities with no live worker listening: the served
    states no longer follow the log, so the server rebuilds them when it starts."""
    conn.execute("UPDATE live_versions SET status = 'stale' WHERE status = 'ready'")
