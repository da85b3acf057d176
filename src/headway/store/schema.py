"""Versioned schema migrations of the Headway database.

Each migration is a list of statements applied in one transaction; the applied version is
kept in ``schema_version``. Append new migrations at the end; never edit an applied one.
"""

from __future__ import annotations

from headway.store import catalog, email_rollup, property_columns
from headway.store.action_tables import ACTION_TABLES
from headway.store.live_tables import LIVE_TABLES
from headway.store.saved_matches import SAVED_MATCH_TABLES

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
    # 4: imports (each file import gets an id; its rows carry it, so it can be undone) and
    # identities (recorded merges of anonymous ids into known contacts; the log is untouched,
    # reports read ``activity_log``, which resolves every contact key through the merges).
    [
        """CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            files VARCHAR[] NOT NULL,
            preset VARCHAR,
            imported BIGINT NOT NULL DEFAULT 0,
            duplicates BIGINT NOT NULL DEFAULT 0,
            rejected BIGINT NOT NULL DEFAULT 0,
            undone_at TIMESTAMP,
            undone_rows BIGINT
        )""",
        "ALTER TABLE activities ADD COLUMN import_id INTEGER",
        """CREATE TABLE identity_links (
            id INTEGER PRIMARY KEY,
            alias_key INTEGER NOT NULL,
            contact_key INTEGER NOT NULL,
            claimed_at TIMESTAMP NOT NULL,
            recorded_at TIMESTAMP NOT NULL,
            activity_id VARCHAR,
            source VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            undone_at TIMESTAMP
        )""",
        # alias_key -> the contact every activity of alias_key counts for (only merged keys).
        """CREATE TABLE identity_resolved (
            alias_key INTEGER PRIMARY KEY,
            contact_key INTEGER NOT NULL
        )""",
        "CREATE VIEW activity_log AS SELECT * FROM activities",
    ],
    # 5: the catalogue of what the log holds (types, property paths, their values), kept
    # current on append (store/catalog.py); an existing log is catalogued here once.
    [*catalog.CREATE, *catalog.REBUILD],
    # 6: the identity links an import recorded carry its id, so undoing it undoes them.
    ["ALTER TABLE identity_links ADD COLUMN import_id INTEGER"],
    # 7: erased contacts, kept only as salted hashes so nothing recreates them (erased.py).
    [
        "CREATE TABLE erasure_salt (salt BLOB NOT NULL)",
        """CREATE TABLE erased_contacts (
            digest VARCHAR PRIMARY KEY,
            erasure INTEGER NOT NULL,
            erased_at TIMESTAMP NOT NULL
        )""",
    ],
    # 8: named cohorts (a step's contacts saved as keys, store/cohorts.py) and named saved
    # views of the journey page (its query string).
    [
        """CREATE TABLE cohorts (
            id INTEGER PRIMARY KEY,
            name VARCHAR NOT NULL UNIQUE,
            journey VARCHAR,
            stage VARCHAR,
            status VARCHAR,
            as_of TIMESTAMP,
            created_at TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE cohort_members (
            cohort_id INTEGER NOT NULL,
            contact_key BIGINT NOT NULL,
            PRIMARY KEY (cohort_id, contact_key)
        )""",
        """CREATE TABLE saved_views (
            name VARCHAR PRIMARY KEY,
            journey VARCHAR NOT NULL,
            query VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL
        )""",
    ],
    # 9: live journeys (headway/live/): which journeys are kept current, each version's
    # rebuild progress, every contact's current attempt per live version, and the journey
    # events recorded as contacts move (read by webhook deliveries after a sequence number).
    LIVE_TABLES,
    # 10: journey actions (store/action_tables.py, headway/actions/): subscriptions, durable
    # deliveries, holdout records, cohort syncs and digests.
    ACTION_TABLES,
    # Saved journey matches and the journal of touched contacts that extends them
    # (store/saved_matches.py): the journey page after a restart does not match again.
    SAVED_MATCH_TABLES,
    # Typed property columns (store/property_columns.py): which common property paths have
    # their own typed column in activities; opening the database adds and backfills them.
    property_columns.CREATE,
    # The email statistics pre-aggregate (store/email_rollup.py): one row per (email,
    # contact) and per open or click, kept current on every write; built here from the log.
    [*email_rollup.TABLES, *email_rollup.BUILD],
]

SCHEMA_VERSION = len(MIGRATIONS)
