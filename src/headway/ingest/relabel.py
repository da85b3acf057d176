"""Batch labelling of stored email activities with the bot labeller.

``relabel`` reads the email sends, deliveries, opens and clicks of a range of contacts at a
time (every rule looks only at one contact's activities of one email), classifies them with
``bots.classify`` and writes back ``bot``/``bot_reason`` of the rows whose label changed, in
one UPDATE per chunk joined to a registered Arrow table. Nothing else of an activity changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa

from headway.ingest.bot_settings import BotSettings
from headway.ingest.bots import BotContext, classify
from headway.store import Store, email_rollup, saved_matches

CHUNK_CONTACTS = 200_000

# The email events of contacts [lo, hi); with $since, only (contact, email) pairs that have an
# open or click at or after it. A row is a provider flag when an adapter set bot without a
# reason of ours, or left a flag in the properties.
_READ = """
WITH ev AS (
    SELECT a.id, a.id_hash, a.contact_key AS contact, t.name AS type, a.ts,
           a.properties->>'email' AS email,
           coalesce(a.properties->>'link', a.properties->>'url') AS link,
           a.properties->>'user_agent' AS user_agent,
           a.properties->>'ip' AS ip,
           a.properties->>'method' AS method,
           lower(a.properties->>'honeypot') = 'true' AS honeypot,
           (a.bot AND coalesce(a.bot_reason, 'provider_flag') = 'provider_flag')
             OR list_contains(json_extract_string(a.properties, $flags), 'true')
             AS provider_flag,
           a.bot AS old_bot, a.bot_reason AS old_reason
    FROM activities a JOIN activity_types t ON t.code = a.type_code
    WHERE t.name IN ('email_sent', 'email_delivered', 'email_open', 'email_click')
      AND a.contact_key >= $lo AND a.contact_key < $hi
      AND a.properties->>'email' IS NOT NULL
)
SELECT * FROM ev
WHERE $since IS NULL OR (contact, email) IN (
    SELECT (contact, email) FROM ev
    WHERE type IN ('email_open', 'email_click') AND ts >= $since
)
"""

_UPDATE = """
UPDATE activities SET bot = u.bot, bot_reason = u.bot_reason
FROM _hw_relabel u
WHERE activities.id_hash = u.id_hash AND activities.id = u.id
"""


def relabel(
    store: Store,
    settings: BotSettings | None = None,
    since: datetime | None = None,
    *,
    chunk_contacts: int = CHUNK_CONTACTS,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Label stored opens and clicks (all, or pairs active since a time); counts per reason."""
    settings = settings or BotSettings()
    context = honeypot_context(store)
    top = int(store.execute("SELECT coalesce(max(key), -1) + 1 FROM contacts").scalar())
    counts: Counter[str] = Counter()
    for lo in range(0, top, chunk_contacts):
        batch = store.arrow(_READ, _params(settings, lo, lo + chunk_contacts, since))
        counts.update(_label_chunk(store, batch, context, settings))
        if progress:
            progress(min(lo + chunk_contacts, top), top)
    return {reason: counts[reason] for reason in sorted(counts)}


def honeypot_context(store: Store) -> BotContext:
    """The registered honeypot links, by link id and by URL."""
    rows = store.execute("SELECT email_id, link_id, url FROM email_links WHERE honeypot").rows
    links = {(e, link) for e, link, _ in rows} | {(e, url) for e, _, url in rows}
    return BotContext(honeypot_links=frozenset(links))


def _params(settings: BotSettings, lo: int, hi: int, since: datetime | None) -> dict[str, object]:
    flags = [f"$.{name}" for name in settings.provider_flag_properties] or ["$.__none__"]
    return {"lo": lo, "hi": hi, "since": since, "flags": flags}


def _label_chunk(
    store: Store, batch: pa.Table, context: BotContext, settings: BotSettings
) -> Counter[str]:
    if batch.num_rows == 0:
        return Counter()
    bot, reasons = classify(batch, context, settings)
    old_bot = batch["old_bot"].to_numpy(zero_copy_only=False).astype(bool)
    old_reason = np.array(batch["old_reason"].to_pylist(), dtype=object)
    new_reason = np.array(reasons, dtype=object)
    changed = (old_bot != bot) | (old_reason != new_reason)  # None == None: unchanged
    updates = pa.table(
        {
            "id": batch["id"],
            "id_hash": batch["id_hash"],
            "contact": batch["contact"],
            "bot": pa.array(bot),
            "bot_reason": pa.array(reasons, pa.string()),
        }
    ).filter(pa.array(changed))
    if updates.num_rows:
        store.write(lambda conn: _apply(conn, updates))
    return Counter(new_reason[bot].tolist())


def _apply(conn: duckdb.DuckDBPyConnection, updates: pa.Table) -> None:
    conn.register("_hw_relabel", updates)
    try:
        conn.execute(_UPDATE)
        keys = conn.execute("SELECT DISTINCT contact FROM _hw_relabel").fetchnumpy()["contact"]
        email_rollup.refresh(conn, keys.tolist())  # their counts move between the views
    finally:
        conn.unregister("_hw_relabel")
    saved_matches.clear(conn)  # bot flags changed: saved matches no longer follow the log
