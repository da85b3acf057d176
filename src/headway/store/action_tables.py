"""The tables of journey actions (schema migration 10; see ``headway/actions/``). Never edit."""

from __future__ import annotations

from typing import Any

ACTION_TABLES: list[str] = [
    # Subscriptions: which journey events go where (a signed webhook or a JSON Lines file).
    """CREATE TABLE action_subscriptions (
        id VARCHAR PRIMARY KEY,
        journey VARCHAR NOT NULL,
        kinds VARCHAR[] NOT NULL,
        stage VARCHAR,
        target VARCHAR NOT NULL,
        url VARCHAR,
        path VARCHAR,
        secret VARCHAR,
        holdout DOUBLE NOT NULL,
        created_at TIMESTAMP NOT NULL,
        deleted_at TIMESTAMP
    )""",
    # How far the fan-out has read the journey events (their sequence numbers).
    "CREATE TABLE action_cursor (name VARCHAR PRIMARY KEY, seq BIGINT NOT NULL)",
    # One row per event and subscription: durable, so pending ones survive a restart.
    """CREATE TABLE action_deliveries (
        subscription_id VARCHAR NOT NULL,
        event_id VARCHAR NOT NULL,
        journey VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        contact VARCHAR NOT NULL,
        payload VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TIMESTAMP,
        last_error VARCHAR,
        created_at TIMESTAMP NOT NULL,
        delivered_at TIMESTAMP,
        PRIMARY KEY (subscription_id, event_id)
    )""",
    # Every contact an action targeted (a subscription or a cohort sync): treated or held out.
    """CREATE TABLE action_holdouts (
        action_id VARCHAR NOT NULL,
        journey VARCHAR NOT NULL,
        stage INTEGER NOT NULL,
        contact VARCHAR NOT NULL,
        held_out BOOLEAN NOT NULL,
        assigned_at TIMESTAMP NOT NULL,
        PRIMARY KEY (action_id, stage, contact)
    )""",
    # Cohort syncs: a step's contacts kept equal to an outside list (a file or an endpoint).
    """CREATE TABLE cohort_syncs (
        id VARCHAR PRIMARY KEY,
        journey VARCHAR NOT NULL,
        stage VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        every_seconds INTEGER NOT NULL,
        format VARCHAR NOT NULL,
        path VARCHAR,
        url VARCHAR,
        secret VARCHAR,
        holdout DOUBLE NOT NULL,
        created_at TIMESTAMP NOT NULL,
        deleted_at TIMESTAMP,
        last_run_at TIMESTAMP,
        last_count BIGINT,
        last_error VARCHAR
    )""",
    # Digests as sent (or as failed to send): the dashboard shows the latest of each journey.
    """CREATE TABLE action_digests (
        journey VARCHAR NOT NULL,
        period_start TIMESTAMP NOT NULL,
        period_end TIMESTAMP NOT NULL,
        created_at TIMESTAMP NOT NULL,
        body JSON NOT NULL,
        sent_to VARCHAR[] NOT NULL,
        error VARCHAR
    )""",
]

# For erasure (store/erase.py): the tables naming one contact, and those naming no one.
PER_CONTACT: frozenset[str] = frozenset({"action_deliveries", "action_holdouts"})
SHARED: frozenset[str] = frozenset(
    {"action_subscriptions", "action_cursor", "cohort_syncs", "action_digests"}
)


def forget_contacts(conn: Any, ids: list[str]) -> dict[str, int]:
    """Delete the deliveries (their payloads name the contact) and holdout records of the
    contacts ``ids`` (inside the erasure's transaction); rows removed per table, where any."""
    removed = {}
    for table in sorted(PER_CONTACT):
        row = conn.execute(
            f"SELECT count(*) FROM {table} WHERE contact IN (SELECT unnest(?::VARCHAR[]))", [ids]
        ).fetchone()
        conn.execute(f"DELETE FROM {table} WHERE contact IN (SELECT unnest(?::VARCHAR[]))", [ids])
        if row and row[0]:
            removed[table] = int(row[0])
    return removed
