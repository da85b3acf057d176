"""Versioned schema migrations of the Headway database.

Each migration is a list of statements applied in one transaction; the applied version is
kept in ``schema_version``. Append new migrations at the end; never edit an applied one.
"""

from __future__ import annotations

MIGRATIONS: list[list[str]] = [
    # 1: the activity log and the dictionaries that make the engine fast.
    [
        """CREATE TABLE activity_types (
            code SMALLINT PRIMARY KEY,
            name VARCHAR NOT NULL UNIQUE
        )""",
        """CREATE TABLE contacts (
            key INTEGER PRIMARY KEY,
            id VARCHAR NOT NULL UNIQUE,
            email VARCHAR,
            attributes JSON,
            subscription VARCHAR NOT NULL DEFAULT 'subscribed',
            created_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )""",
        # ts is UTC with microseconds, stored without zone (the zone is always UTC).
        # id_hash = hash(id): a fixed-width key for cheap duplicate probes.
        """CREATE TABLE activities (
            id VARCHAR NOT NULL,
            id_hash UBIGINT NOT NULL,
            contact_key INTEGER NOT NULL,
            type_code SMALLINT NOT NULL,
            ts TIMESTAMP NOT NULL,
            properties JSON,
            bot BOOLEAN NOT NULL DEFAULT false,
            bot_reason VARCHAR,
            source VARCHAR NOT NULL
        )""",
        """CREATE TABLE emails (
            id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            subject VARCHAR,
            campaign VARCHAR,
            kind VARCHAR NOT NULL DEFAULT 'newsletter',
            send_time TIMESTAMP,
            created_at TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE email_links (
            email_id VARCHAR NOT NULL,
            link_id VARCHAR NOT NULL,
            url VARCHAR NOT NULL,
            label VARCHAR,
            honeypot BOOLEAN NOT NULL DEFAULT false,
            PRIMARY KEY (email_id, link_id)
        )""",
        """CREATE TABLE journeys (
            name VARCHAR NOT NULL,
            version INTEGER NOT NULL,
            definition JSON NOT NULL,
            source_text VARCHAR,
            created_at TIMESTAMP NOT NULL,
            deleted BOOLEAN NOT NULL DEFAULT false,
            PRIMARY KEY (name, version)
        )""",
    ],
    # 2: one-time tokens of signed webhooks (Mailgun), kept to refuse replays.
    [
        """CREATE TABLE webhook_tokens (
            provider VARCHAR NOT NULL,
            token VARCHAR NOT NULL,
            seen_at TIMESTAMP NOT NULL,
            PRIMARY KEY (provider, token)
        )""",
    ],
    # 3: API keys; only a SHA-256 digest of each key's secret is stored (see api_keys.py).
    [
        """CREATE TABLE api_keys (
            id VARCHAR PRIMARY KEY,
            name VARCHAR,
            secret_hash VARCHAR NOT NULL,
            scopes VARCHAR[] NOT NULL,
            created_at TIMESTAMP NOT NULL,
            last_used_at TIMESTAMP,
            revoked_at TIMESTAMP
        )""",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)
