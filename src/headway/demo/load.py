"""Writing the demo world into a store: dictionaries, emails, activities, contacts, truth.

Activities are generated as small integer columns; DuckDB turns them into contact ids,
type names and JSON properties by joining small dictionary tables, then the store's bulk
append path takes them from there.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from headway.demo import clients, population
from headway.demo.campaigns import (
    CURRENCIES,
    EMAILS,
    FORMS,
    PAGES,
    PLANS,
    UTMS,
    emails_table,
    links_table,
)
from headway.demo.events import BOUNCES, TRUTH, TYPES
from headway.demo.generate import LIFECYCLES, SUBSCRIPTIONS, Chunk
from headway.store import Store

ROWS_SQL = """
CREATE OR REPLACE TEMP TABLE _demo_rows AS
SELECT printf('demo-%d-%010d', $seed, $offset + r._seq) AS id,
       c.id AS contact, t.name AS type, r.ts,
       CASE
         WHEN t.name = 'page_visit' AND r.utm < 0 THEN json_object('url', p.name)
         WHEN t.name = 'page_visit' THEN json_object('url', p.name, 'utm_source', u.source,
              'utm_medium', u.medium, 'utm_campaign', u.campaign)
         WHEN t.name = 'form_submission' THEN json_object('form', f.name)
         WHEN t.name = 'purchase' THEN json_object('value', r.value, 'currency', cur.name,
              'plan', pl.name)
         WHEN t.name = 'email_bounce' THEN json_object('email', e.id, 'campaign', e.campaign,
              'bounce_type', bt.name)
         WHEN t.name = 'email_open' THEN json_object('email', e.id, 'campaign', e.campaign,
              'user_agent', ua.name, 'ip', concat_ws('.', r.ip // 16777216,
              (r.ip // 65536) % 256, (r.ip // 256) % 256, r.ip % 256))
         WHEN t.name = 'email_click' THEN json_object('email', e.id, 'campaign', e.campaign,
              'link', l.link_id, 'url', l.url, 'method', CASE WHEN r.head THEN 'HEAD' ELSE 'GET' END,
              'user_agent', ua.name, 'ip', concat_ws('.', r.ip // 16777216,
              (r.ip // 65536) % 256, (r.ip // 256) % 256, r.ip % 256))
         ELSE json_object('email', e.id, 'campaign', e.campaign)
       END AS properties,
       false AS bot, NULL::VARCHAR AS bot_reason,
       CASE WHEN t.name LIKE 'email_%' THEN 'sendgrid'
            WHEN t.name = 'purchase' THEN 'api' ELSE 'tracking' END AS source,
       r._seq, tr.name AS truth
FROM _demo_raw r
JOIN _demo_types t ON t.idx = r.type
JOIN _demo_contacts c ON c.idx = r.contact
LEFT JOIN _demo_emails e ON e.idx = r.email
LEFT JOIN _demo_links l ON l.idx = r.link
LEFT JOIN _demo_pages p ON p.idx = r.page
LEFT JOIN _demo_forms f ON f.idx = r.form
LEFT JOIN _demo_uas ua ON ua.idx = r.ua
LEFT JOIN _demo_utms u ON u.idx = r.utm
LEFT JOIN _demo_plans pl ON pl.idx = r.plan
LEFT JOIN _demo_currencies cur ON cur.idx = r.currency
LEFT JOIN _demo_bounces bt ON bt.idx = r.bounce
LEFT JOIN _demo_truth_labels tr ON tr.idx = r.truth
"""

# Contacts go in before their activities (the append path then finds them), with their
# attributes, final subscription state and first activity time: cheaper than an update.
CONTACTS_SQL = """
INSERT INTO contacts (key, id, email, attributes, subscription, created_at, updated_at)
SELECT (SELECT coalesce(max(key), -1) FROM contacts) + row_number() OVER (ORDER BY a.idx),
       a.id, a.id,
       json_object('email', a.id, 'name', a.name, 'country', a.country,
                   'lifecycle', a.lifecycle, 'company_size', a.company_size),
       a.subscription, a.first_seen, a.first_seen
FROM _demo_contacts a
"""


def _names(values: tuple[str, ...] | list[str]) -> pa.Table:
    return pa.table({"idx": pa.array(range(len(values)), pa.int32()), "name": list(values)})


def dictionaries() -> dict[str, pa.Table]:
    """The small lookup tables that turn generated codes into text."""
    emails = emails_table()
    return {
        "_demo_types": _names(TYPES),
        "_demo_emails": pa.table(
            {
                "idx": pa.array(range(len(EMAILS)), pa.int32()),
                "id": emails["id"],
                "campaign": emails["campaign"],
            }
        ),
        "_demo_links": links_table().select(["idx", "link_id", "url"]),
        "_demo_pages": _names(PAGES),
        "_demo_forms": _names(FORMS),
        "_demo_uas": _names(clients.USER_AGENTS),
        "_demo_utms": pa.table(
            {
                "idx": pa.array(range(len(UTMS)), pa.int32()),
                "source": [u[0] for u in UTMS],
                "medium": [u[1] for u in UTMS],
                "campaign": [u[2] for u in UTMS],
            }
        ),
        "_demo_plans": _names([p[0] for p in PLANS]),
        "_demo_currencies": _names(CURRENCIES),
        "_demo_bounces": _names(BOUNCES),
        "_demo_truth_labels": _names(TRUTH),
    }


def write_catalogue(store: Store) -> None:
    """Register the emails and their links, and create the demo-only truth table."""

    def write(conn: duckdb.DuckDBPyConnection) -> None:
        conn.register("_demo_e", emails_table())
        conn.register("_demo_l", links_table())
        conn.execute(
            "INSERT OR REPLACE INTO emails SELECT id, name, subject, campaign, kind, send_time,"
            " TIMESTAMP '2025-03-01' FROM _demo_e"
        )
        conn.execute(
            "INSERT OR REPLACE INTO email_links"
            " SELECT email_id, link_id, url, label, honeypot FROM _demo_l"
        )
        conn.execute("CREATE TABLE IF NOT EXISTS demo_truth (activity_id VARCHAR, label VARCHAR)")
        conn.unregister("_demo_e")
        conn.unregister("_demo_l")

    store.write(write)


def write_chunk(store: Store, chunk: Chunk, seed: int, offset: int) -> int:
    """Append one chunk's activities, truth labels and contact attributes; rows appended."""
    raw = _raw_table(chunk)
    contacts = _contacts_table(chunk, seed)
    tables = {**dictionaries(), "_demo_raw": raw, "_demo_contacts": contacts}

    def write(conn: duckdb.DuckDBPyConnection) -> int:
        for name, table in tables.items():
            conn.register(name, table)
        try:
            conn.execute(CONTACTS_SQL)
            conn.execute(ROWS_SQL, {"seed": seed, "offset": offset})
            result = store.append_relation(conn, "_demo_rows")
            conn.execute(
                "INSERT INTO demo_truth SELECT id, truth FROM _demo_rows WHERE truth IS NOT NULL"
            )
            conn.execute("DROP TABLE _demo_rows")
            return result.accepted
        finally:
            for name in tables:
                conn.unregister(name)

    return store.write(write)


def _raw_table(chunk: Chunk) -> pa.Table:
    cols = dict(chunk.columns)
    ts = cols.pop("ts")
    table = {name: pa.array(values) for name, values in cols.items()}
    table["ts"] = pa.array(ts.astype("datetime64[us]"), pa.timestamp("us"))
    table["_seq"] = pa.array(np.arange(len(ts), dtype=np.int64))
    return pa.table(table)


def _contacts_table(chunk: Chunk, seed: int) -> pa.Table:
    pop = chunk.pop
    ids = population.addresses(pop, seed)
    return pa.table(
        {
            "idx": pa.array(np.arange(pop.first, pop.first + pop.n, dtype=np.int32)),
            "id": ids,
            "name": population.names(ids),
            "country": np.array(population.COUNTRIES)[pop.country],
            "lifecycle": np.array(LIFECYCLES)[chunk.lifecycle],
            "company_size": np.array(population.COMPANY_SIZES)[pop.size],
            "subscription": np.array(SUBSCRIPTIONS)[chunk.subscription],
            "first_seen": pa.array(_first_seen(chunk).astype("datetime64[us]"), pa.timestamp("us")),
        }
    )


def _first_seen(chunk: Chunk) -> np.ndarray:
    """Each contact's first activity time (activities are ordered by contact, then time)."""
    contacts, first = np.unique(chunk.columns["contact"], return_index=True)
    seen = np.full(chunk.pop.n, np.iinfo(np.int64).max, dtype=np.int64)
    seen[contacts - chunk.first] = chunk.columns["ts"][first]
    return seen
