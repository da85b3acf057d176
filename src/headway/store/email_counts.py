"""The email pre-aggregate's increment of an Arrow batch, computed in Python.

``email_rollup.record_append`` adds an append's email events with two SQL statements whose
planning alone (a join, six JSON reads, 22 filtered aggregates) costs ~20 ms of CPU per
batch, whatever its size. An HTTP batch's properties are parsed already (``catalog_counts``
parses them once for the catalogue): here its email events, their pairs' aggregates and its
opens and clicks are computed from those objects, and written with one upsert of the pairs
and one insert of the engagement rows.

The rows must be the SQL's exactly, so Python reads a property only where it reads it as
``properties ->> '/key'`` does: an absent key or a JSON ``null`` is NULL, a string is its
text (the objects parse back to their text byte for byte: ``catalog_counts.documents``).
Anything else the rules read — a number or object as ``email``, ``campaign``, ``link`` or
``url``, a ``repeats`` that is not an integer, a ``bounce_type`` with non-ASCII letters —
makes ``record_batch`` return False with nothing written, and the caller runs the SQL.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from headway.model.activity import EMAIL_TYPES
from headway.store import email_rollup

_KINDS = {name: kind for kind, name in enumerate(EMAIL_TYPES, start=1)}
_INT64 = range(-(2**63), 2**63)
_COUNTED = {1: 1, 2: 2, 3: 3}  # kind -> slot of its count (sent, delivered, bounces)
# Slots of a view's aggregates, in email_rollup's column order.
_SEEN, _HARD, _OPENS, _CLICKS, _FIRST_DELIVERED, _FIRST_SENT, _FIRST_TS, _CAMPAIGN = (
    0, 4, 5, 6, 7, 8, 9, 10,
)  # fmt: skip
_WIDTH = 11
_TYPES = [pa.int32(), *[pa.int64()] * 6, *[pa.timestamp("us")] * 3, pa.string()]
_PAIRS = pa.schema(
    [
        ("email", pa.string()),
        ("contact_key", pa.int32()),
        *[(name, _TYPES[i % _WIDTH]) for i, name in enumerate(email_rollup.NAMES)],
    ]
)
_ENGAGEMENT = pa.schema(
    [
        ("email", pa.string()),
        ("contact_key", pa.int32()),
        ("kind", pa.int8()),
        ("ts", pa.timestamp("us")),
        ("weight", pa.int64()),
        ("bot", pa.bool_()),
        ("link", pa.string()),
        ("url", pa.string()),
    ]
)


class _Unread(Exception):
    """A value Python does not read as the SQL does."""


def has_email(types: list[str]) -> bool:
    """Whether any of these type names is an email event."""
    return any(t in _KINDS for t in types)


def record_batch(conn: duckdb.DuckDBPyConnection, rows: pa.Table, docs: list[Any]) -> bool:
    """Add the email events of ``rows`` (an append's rows, all kept, their contacts' keys in
    ``_hw_keys``; ``docs`` their parsed properties) to the pre-aggregate; False, with nothing
    written, when they are not computed here."""
    columns = _columns(rows)
    if columns is None:
        return False
    types, contacts, ts, bots, sources = columns
    picked = [i for i, t in enumerate(types) if t in _KINDS]
    if not picked:
        return True
    try:
        events = [(i, e) for i in picked if (e := _event(docs[i], _KINDS[types[i]], sources[i]))]
    except _Unread:
        return False
    if not events:
        return True
    keys = dict(
        conn.execute(
            """SELECT k.contact, coalesce(r.contact_key, k.key) FROM _hw_keys k
            LEFT JOIN identity_resolved r ON r.alias_key = k.key"""
        ).fetchall()
    )
    pairs: dict[tuple[str, int], list[Any]] = {}
    engagement: list[tuple[Any, ...]] = []
    for i, (email, kind, campaign, weight, hard, link, url) in events:
        key = keys[contacts[i]]
        bot = bool(bots[i])  # NULL is not a bot
        row = pairs.get((email, key))
        if row is None:
            row = pairs[(email, key)] = _empty() + _empty()
        _add(row, 0, kind, ts[i], campaign, weight, hard)
        if not bot:
            _add(row, _WIDTH, kind, ts[i], campaign, weight, hard)
        if kind in (4, 5):
            engagement.append((email, key, kind, ts[i], weight, bot, link, url))
    _write(conn, pairs, engagement)
    return True


def _columns(rows: pa.Table) -> tuple[list[Any], ...] | None:
    """The columns the rules read, as Python lists (None: not of the canonical types)."""
    wanted = {"type": pa.string(), "contact": pa.string(), "ts": pa.timestamp("us"),
              "bot": pa.bool_(), "source": pa.string()}  # fmt: skip
    for name, kind in wanted.items():
        if name in rows.column_names and rows.schema.field(name).type != kind:
            return None
    for name in ("type", "contact", "ts"):
        if name not in rows.column_names or rows[name].null_count:
            return None
    n = rows.num_rows
    bots = rows["bot"].to_pylist() if "bot" in rows.column_names else [None] * n
    sources = rows["source"].to_pylist() if "source" in rows.column_names else [None] * n
    ts = rows["ts"].cast(pa.int64()).to_pylist()
    return rows["type"].to_pylist(), rows["contact"].to_pylist(), ts, bots, sources


def _text(doc: dict[str, Any], key: str) -> str | None:
    """``properties ->> '/key'`` of an object, when it is NULL or a string."""
    value = doc.get(key)
    if value is None or type(value) is str:
        return value
    raise _Unread


def _event(
    doc: Any, kind: int, source: str | None
) -> tuple[str, int, str | None, int, bool, str | None, str | None] | None:
    """(email, kind, campaign, weight, hard, link, url) of one email event; None without an
    email (the SQL drops it)."""
    if type(doc) is not dict:
        return None  # no properties, or not an object: every key reads NULL
    email = _text(doc, "email")
    if email is None:
        return None
    campaign = _text(doc, "campaign")
    weight = 1
    if kind in (4, 5) and source == "tracking":
        repeats = doc.get("repeats")
        if repeats is not None:
            if type(repeats) is not int or repeats not in _INT64:
                raise _Unread
            weight = max(repeats, 1)
    hard = False
    if kind == 3:
        bounce = _text(doc, "bounce_type")
        if bounce is not None and not bounce.isascii():
            raise _Unread  # lower() of other letters: DuckDB's and Python's may differ
        hard = bounce is not None and bounce.lower() == "hard"
    link = url = None
    if kind == 5:
        url = _text(doc, "url")
        link = _text(doc, "link")
        link = url if link is None else link
    return email, kind, campaign, weight, hard, link, url


def _empty() -> list[Any]:
    """A view's aggregates before any event: no kinds, zero counts, no times, no campaign."""
    return [0, 0, 0, 0, 0, 0, 0, None, None, None, None]


def _add(
    row: list[Any], at: int, kind: int, ts: int, campaign: str | None, weight: int, hard: bool
) -> None:
    """Fold one event into a view's aggregates (``at``: the view's first slot)."""
    row[at + _SEEN] |= 1 << kind
    if kind in _COUNTED:
        row[at + _COUNTED[kind]] += 1
    if hard:
        row[at + _HARD] += 1
    if kind == 4:
        row[at + _OPENS] += weight
    elif kind == 5:
        row[at + _CLICKS] += weight
    firsts = (_FIRST_TS, _FIRST_DELIVERED) if kind == 2 else (_FIRST_TS, _FIRST_SENT)
    for slot in firsts if kind in (1, 2) else (_FIRST_TS,):
        if row[at + slot] is None or ts < row[at + slot]:
            row[at + slot] = ts
    if campaign is not None and (row[at + _CAMPAIGN] is None or campaign > row[at + _CAMPAIGN]):
        row[at + _CAMPAIGN] = campaign


def _write(
    conn: duckdb.DuckDBPyConnection,
    pairs: dict[tuple[str, int], list[Any]],
    engagement: list[tuple[Any, ...]],
) -> None:
    values = list(pairs.values())
    table = pa.table(
        [
            pa.array([email for email, _ in pairs], pa.string()),
            pa.array([key for _, key in pairs], pa.int32()),
            *[pa.array([v[i] for v in values], _TYPES[i % _WIDTH]) for i in range(2 * _WIDTH)],
        ],
        schema=_PAIRS,
    )
    conn.register("_hw_email_pairs", table)
    try:
        conn.execute(email_rollup.upsert("SELECT * FROM _hw_email_pairs"))
    finally:
        conn.unregister("_hw_email_pairs")
    if not engagement:
        return
    columns = list(zip(*engagement, strict=True))
    conn.register(
        "_hw_email_engagement",
        pa.table(
            [pa.array(c, f.type) for c, f in zip(columns, _ENGAGEMENT, strict=True)],
            schema=_ENGAGEMENT,
        ),
    )
    try:
        conn.execute("INSERT INTO email_engagement SELECT * FROM _hw_email_engagement")
    finally:
        conn.unregister("_hw_email_engagement")
