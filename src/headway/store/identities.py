"""Identities: recorded merges of anonymous ids into known contacts (see docs/identities.md).

The activity log is never rewritten. A claim "``alias`` is ``contact``" becomes a row of
``identity_links``; the links in force resolve every merged contact key to its root in
``identity_resolved``; reports read the view ``activity_log``, which maps each activity's
contact key through it. While no merge is in force the view is the bare log (a store
without merges pays nothing); the first merge redefines it with the join, the last undo
puts the bare view back.

Rules (the same whatever order the claims arrive in):

- an alias points at one contact; chains ``a -> b -> c`` resolve ``a`` and ``b`` to ``c``;
  any number of aliases may point at one contact;
- a claim of an id into itself is a no-op (not recorded);
- a repeated claim (same alias and contact as a link not undone, or the very same claim -
  time and activity - as an undone one) is not recorded again (retries do not duplicate);
- conflicts: among the claims not undone that involve one alias, the earliest by claim time
  (then by recording order) is in force; a later one that points the alias elsewhere, or
  that would close a cycle, is kept with status ``conflict`` and not applied. Claims are
  re-judged whenever a claim of the same group of ids is recorded or undone, so an earlier
  claim recorded late takes over, and undoing the link in force lets the next one apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from headway.errors import Conflict, InvalidInput, NotFound
from headway.ingest.presets import IdentityClaim
from headway.store import appends, email_rollup
from headway.store.store import Store, touch_in_write

MERGED, CONFLICT, UNDONE = "merged", "conflict", "undone"
# What a claim did: recorded as MERGED or CONFLICT, or not recorded.
SAME, REPEATED = "same", "repeated"

BARE_VIEW = "CREATE OR REPLACE VIEW activity_log AS SELECT * FROM activities"
RESOLVED_VIEW = """CREATE OR REPLACE VIEW activity_log AS
SELECT a.* REPLACE (coalesce(r.contact_key, a.contact_key) AS contact_key)
FROM activities a LEFT JOIN identity_resolved r ON r.alias_key = a.contact_key"""


@dataclass(frozen=True)
class ClaimOutcome:
    """What recording one claim did: its status and the link's id (None when not recorded)."""

    claim: IdentityClaim
    status: str
    link_id: int | None


@dataclass(frozen=True)
class IdentityLink:
    """One recorded claim: ``alias`` merged into ``contact`` (or in conflict, or undone)."""

    id: int
    alias: str
    contact: str
    claimed_at: datetime
    recorded_at: datetime
    activity_id: str | None
    source: str
    status: str
    undone_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times in ISO 8601, UTC)."""
        out = asdict(self)
        for key in ("claimed_at", "recorded_at", "undone_at"):
            if out[key] is not None:
                out[key] = out[key].replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
        return out


@dataclass(frozen=True)
class ContactIdentities:
    """The ids merged into a contact, what it is merged into, and the links naming them."""

    contact: str
    merged_into: str | None
    aliases: tuple[str, ...]
    links: tuple[IdentityLink, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "contact": self.contact,
            "merged_into": self.merged_into,
            "aliases": list(self.aliases),
            "links": [link.to_dict() for link in self.links],
        }


# -- recording -----------------------------------------------------------------------------


def claim(store: Store, claims: Sequence[IdentityClaim]) -> list[ClaimOutcome]:
    """Record ``claims`` in one write transaction; one outcome per claim, in order."""
    return store.write(lambda conn: record_claims(conn, claims))


def record_claims(
    conn: duckdb.DuckDBPyConnection, claims: Sequence[IdentityClaim]
) -> list[ClaimOutcome]:
    """Record ``claims`` inside the caller's write transaction (``Store.write``).

    Ids not seen before become contacts (as appends create them). Returns one outcome per
    claim: ``merged`` or ``conflict`` (recorded, with the link id), ``same`` (an id claimed
    into itself) or ``repeated`` (already recorded; the existing link's id).
    """
    for i, c in enumerate(claims):
        _check_claim(i, c)
    if not claims:
        return []
    keys = ensure_contacts(conn, [x for c in claims for x in (c.alias, c.contact)])
    pairs = [(keys[c.alias], keys[c.contact]) for c in claims]
    stored = _stored_links(conn, {p for p in pairs if p[0] != p[1]})
    next_id = int(_all(conn, "SELECT coalesce(max(id), 0) FROM identity_links")[0][0])
    new_rows: list[tuple[int, int, int, datetime, str | None, str]] = []
    earlier: dict[int, tuple[datetime, str | None]] = {}
    recorded: list[tuple[int | None, str | None]] = []
    for c, (alias, contact) in zip(claims, pairs, strict=True):
        if alias == contact:
            recorded.append((None, SAME))
            continue
        at = _naive_utc(c.at)
        repeat = _repeat_of(stored.get((alias, contact), []), at, c.activity_id)
        if repeat is not None:
            link_id, linked_at = repeat
            if at < linked_at:  # the earliest claim decides conflicts, whatever the order
                earlier[link_id] = (at, c.activity_id)
                stored[(alias, contact)] = [
                    (i, at if i == link_id else t, a, s) for i, t, a, s in stored[(alias, contact)]
                ]
            recorded.append((link_id, REPEATED))
            continue
        next_id += 1
        new_rows.append((next_id, alias, contact, at, c.activity_id, c.source))
        stored.setdefault((alias, contact), []).append((next_id, at, c.activity_id, CONFLICT))
        recorded.append((next_id, None))
    _write_links(conn, new_rows, earlier)
    touched = {k for row in new_rows for k in row[1:3]}
    touched |= {k for link_id in earlier for k in _pair_of(conn, link_id)}
    statuses = _rejudge(conn, touched) if touched else {}
    return [
        ClaimOutcome(c, status or statuses.get(link_id or 0, CONFLICT), link_id)
        for c, (link_id, status) in zip(claims, recorded, strict=True)
    ]


def merge(store: Store, alias: str, contact: str, *, source: str = "manual") -> ClaimOutcome:
    """Merge ``alias`` into ``contact`` now (a manual claim); both must be known contacts."""

    def run(conn: duckdb.DuckDBPyConnection) -> ClaimOutcome:
        for name in (alias, contact):
            if _key_of(conn, name) is None:
                raise NotFound(f"there is no contact {name!r}")
        now = datetime.now(UTC).replace(tzinfo=None)
        return record_claims(conn, [IdentityClaim(alias, contact, now, None, source)])[0]

    return store.write(run)


def undo(store: Store, link_id: int) -> IdentityLink:
    """Undo a link (status ``undone``); the group's claims are re-judged and resolution
    recomputed. ``NotFound`` for an unknown id, ``Conflict`` when it is already undone."""

    def run(conn: duckdb.DuckDBPyConnection) -> IdentityLink:
        row = _one(
            conn,
            "SELECT alias_key, contact_key, status FROM identity_links WHERE id = ?",
            [link_id],
        )
        if row is None:
            raise NotFound(f"there is no identity link {link_id}")
        if row[2] == UNDONE:
            raise Conflict(f"identity link {link_id} is already undone")
        _all(
            conn,
            "UPDATE identity_links SET status = ?, undone_at = now()::TIMESTAMP WHERE id = ?",
            [UNDONE, link_id],
        )
        _rejudge(conn, {int(row[0]), int(row[1])})
        return _links(conn, "l.id = ?", [link_id])[0]

    return store.write(run)


def set_attributes(
    conn: duckdb.DuckDBPyConnection, items: Iterable[tuple[str, dict[str, Any]]]
) -> int:
    """Merge each JSON object into its contact's attributes (later items win; a null value
    removes the key, as in JSON Merge Patch); inside a write transaction. Contacts not seen
    before are created. A string ``email`` attribute also sets the contact's email. Returns
    the number of contacts updated."""
    merged: dict[str, dict[str, Any]] = {}
    for i, (contact, attributes) in enumerate(items):
        _check_id(i, "contact", contact)
        if not isinstance(attributes, dict):
            raise InvalidInput(f"attributes of {contact!r} must be a JSON object")
        merged[contact] = _patch(merged.get(contact, {}), attributes)
    if not merged:
        return 0
    ensure_contacts(conn, list(merged))
    table = pa.table(
        {
            "id": pa.array(list(merged), pa.string()),
            "patch": pa.array([orjson.dumps(v).decode() for v in merged.values()], pa.string()),
        }
    )
    conn.register("_hw_attr_arrow", table)
    try:
        row = _one(
            conn,
            """UPDATE contacts SET
                attributes = json_merge_patch(coalesce(contacts.attributes, '{}'),
                                              CAST(n.patch AS JSON)),
                email = CASE WHEN json_extract_string(n.patch, '$.email') LIKE '%_@_%'
                             THEN json_extract_string(n.patch, '$.email')
                             ELSE contacts.email END,
                updated_at = now()::TIMESTAMP
            FROM _hw_attr_arrow n WHERE contacts.id = n.id""",
        )
    finally:
        conn.unregister("_hw_attr_arrow")
    return int(row[0]) if row else 0


def store_attributes(store: Store, items: Iterable[tuple[str, dict[str, Any]]]) -> int:
    """``set_attributes`` in its own write transaction."""
    listed = list(items)
    return store.write(lambda conn: set_attributes(conn, listed))


def ensure_contacts(conn: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> dict[str, int]:
    """The key of each id, creating contacts for ids not seen yet (as appends do)."""
    distinct = sorted(set(ids))
    conn.register("_hw_ids_arrow", pa.table({"contact": pa.array(distinct, pa.string())}))
    try:
        appends._add_contacts(conn, "_hw_ids_arrow")
    finally:
        conn.unregister("_hw_ids_arrow")
    keys = {str(c): int(k) for c, k in _all(conn, "SELECT contact, key FROM _hw_keys")}
    _all(conn, "DROP TABLE _hw_keys")
    return keys


def person_keys(conn: duckdb.DuckDBPyConnection, key: int) -> list[int]:
    """The keys of ``key``'s person: the contact it resolves to, then every id merged into it."""
    row = _one(conn, "SELECT contact_key FROM identity_resolved WHERE alias_key = ?", [key])
    root = int(row[0]) if row else key
    rows = _all(
        conn, "SELECT alias_key FROM identity_resolved WHERE contact_key = ? ORDER BY 1", [root]
    )
    return [root, *(int(r[0]) for r in rows)]


def forget(conn: duckdb.DuckDBPyConnection, keys: Sequence[int]) -> None:
    """Delete every link naming ``keys`` (an erased person) inside a write transaction; the
    claims of the ids they were linked with are re-judged without them."""
    listed = [int(k) for k in keys]
    links = _all(
        conn,
        """SELECT alias_key, contact_key FROM identity_links
        WHERE alias_key IN (SELECT unnest(?::INTEGER[]))
           OR contact_key IN (SELECT unnest(?::INTEGER[]))""",
        [listed, listed],
    )
    neighbours = {int(k) for link in links for k in link} - set(listed)
    for table, columns in (
        ("identity_links", ("alias_key", "contact_key")),
        ("identity_resolved", ("alias_key", "contact_key")),
    ):
        test = " OR ".join(f"{c} IN (SELECT unnest(?::INTEGER[]))" for c in columns)
        _all(conn, f"DELETE FROM {table} WHERE {test}", [listed] * len(columns))
    if neighbours:
        _rejudge(conn, neighbours)
    else:
        refresh_view(conn)


# -- reading -------------------------------------------------------------------------------


def contact_identities(store: Store, contact_id: str) -> ContactIdentities:
    """The ids merged into ``contact_id``, what it is merged into, and every link naming it
    or its aliases; ``NotFound`` when there is no such contact."""
    cur = store.cursor()
    key = _key_of(cur, contact_id)
    if key is None:
        raise NotFound(f"there is no contact {contact_id!r}")
    into = _one(
        cur,
        """SELECT c.id FROM identity_resolved r JOIN contacts c ON c.key = r.contact_key
        WHERE r.alias_key = ?""",
        [key],
    )
    aliases = [
        str(r[0])
        for r in _all(
            cur,
            """SELECT c.id FROM identity_resolved r JOIN contacts c ON c.key = r.alias_key
            WHERE r.contact_key = ? ORDER BY c.id""",
            [key],
        )
    ]
    group = "(SELECT alias_key FROM identity_resolved WHERE contact_key = ? UNION SELECT ?)"
    links = _links(cur, f"l.alias_key IN {group} OR l.contact_key IN {group}", [key] * 4)
    return ContactIdentities(contact_id, str(into[0]) if into else None, tuple(aliases), links)


def list_links(store: Store, limit: int = 1000) -> tuple[IdentityLink, ...]:
    """Every recorded link, newest first (at most ``limit``)."""
    return _links(store.cursor(), "true", [], limit)


def group_keys(store: Store, key: int) -> list[int]:
    """``key`` and the keys of every id merged into it (whose activities count as its)."""
    rows = store.execute(
        "SELECT alias_key FROM identity_resolved WHERE contact_key = ?", [key]
    ).rows
    return [key, *(int(r[0]) for r in rows)]


# -- internals -----------------------------------------------------------------------------


def _check_claim(i: int, c: IdentityClaim) -> None:
    _check_id(i, "alias", c.alias)
    _check_id(i, "contact", c.contact)
    if not isinstance(c.at, datetime):
        raise InvalidInput(f"identity claim {i}: 'at' must be a time, not {c.at!r}")


def _check_id(i: int, field: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"identity claim {i}: {field!r} must be a non-empty id, not {value!r}")


def _naive_utc(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo is not None else at


def _key_of(conn: duckdb.DuckDBPyConnection, contact_id: str) -> int | None:
    row = _one(conn, "SELECT key FROM contacts WHERE id = ?", [contact_id])
    return int(row[0]) if row else None


StoredLink = tuple[int, datetime, str | None, str]  # id, claimed_at, activity_id, status


def _stored_links(
    conn: duckdb.DuckDBPyConnection, pairs: set[tuple[int, int]]
) -> dict[tuple[int, int], list[StoredLink]]:
    """The recorded links of each (alias, contact) pair, in recording order."""
    if not pairs:
        return {}
    listed = sorted(pairs)
    table = pa.table(
        {
            "alias_key": pa.array([p[0] for p in listed], pa.int32()),
            "contact_key": pa.array([p[1] for p in listed], pa.int32()),
        }
    )
    conn.register("_hw_pairs_arrow", table)
    try:
        rows = _all(
            conn,
            """SELECT l.alias_key, l.contact_key, l.id, l.claimed_at, l.activity_id, l.status
            FROM identity_links l
            SEMI JOIN _hw_pairs_arrow p
              ON p.alias_key = l.alias_key AND p.contact_key = l.contact_key
            ORDER BY l.id""",
        )
    finally:
        conn.unregister("_hw_pairs_arrow")
    out: dict[tuple[int, int], list[StoredLink]] = {}
    for alias, contact, link_id, at, activity_id, status in rows:
        out.setdefault((int(alias), int(contact)), []).append(
            (int(link_id), at, activity_id, str(status))
        )
    return out


def _repeat_of(
    links: list[StoredLink], at: datetime, activity_id: str | None
) -> tuple[int, datetime] | None:
    """The link a claim repeats: the pair's link not undone, else the very same claim undone."""
    for link_id, linked_at, _, status in links:
        if status != UNDONE:
            return link_id, linked_at
    for link_id, linked_at, linked_activity, _ in links:
        if linked_at == at and linked_activity == activity_id:
            return link_id, linked_at
    return None


def _write_links(
    conn: duckdb.DuckDBPyConnection,
    rows: list[tuple[int, int, int, datetime, str | None, str]],
    earlier: dict[int, tuple[datetime, str | None]],
) -> None:
    """Insert new links (status ``conflict`` until judged) and move repeated ones earlier."""
    if rows:
        table = pa.table(
            {
                "id": pa.array([r[0] for r in rows], pa.int32()),
                "alias_key": pa.array([r[1] for r in rows], pa.int32()),
                "contact_key": pa.array([r[2] for r in rows], pa.int32()),
                "claimed_at": pa.array([r[3] for r in rows], pa.timestamp("us")),
                "activity_id": pa.array([r[4] for r in rows], pa.string()),
                "source": pa.array([r[5] for r in rows], pa.string()),
            }
        )
        conn.register("_hw_links_arrow", table)
        try:
            _all(
                conn,
                """INSERT INTO identity_links (id, alias_key, contact_key, claimed_at,
                                               recorded_at, activity_id, source, status)
                SELECT id, alias_key, contact_key, claimed_at, now()::TIMESTAMP, activity_id,
                       source, ?
                FROM _hw_links_arrow ORDER BY id""",
                [CONFLICT],
            )
        finally:
            conn.unregister("_hw_links_arrow")
    for link_id, (at, activity_id) in earlier.items():
        _all(
            conn,
            "UPDATE identity_links SET claimed_at = ?, activity_id = ? WHERE id = ?",
            [at, activity_id, link_id],
        )


def _pair_of(conn: duckdb.DuckDBPyConnection, link_id: int) -> tuple[int, int]:
    row = _one(conn, "SELECT alias_key, contact_key FROM identity_links WHERE id = ?", [link_id])
    assert row is not None
    return int(row[0]), int(row[1])


def _rejudge(conn: duckdb.DuckDBPyConnection, seeds: set[int]) -> dict[int, str]:
    """Re-judge the claims of the groups of ``seeds`` and recompute their resolution.

    A group is the set of ids joined by links not undone (usually a person's few ids).
    Returns each judged link's status.
    """
    links = _group_links(conn, seeds)
    nodes = set(seeds) | {k for _, a, c, _ in links for k in (a, c)}
    parent: dict[int, int] = {}
    status: dict[int, str] = {}
    for link_id, alias, contact, _ in sorted(links, key=lambda r: (r[3], r[0])):
        if alias in parent or _root(parent, contact) == alias:
            status[link_id] = CONFLICT
        else:
            parent[alias] = contact
            status[link_id] = MERGED
    if status:
        conn.register(
            "_hw_status_arrow",
            pa.table(
                {
                    "id": pa.array(list(status), pa.int32()),
                    "status": pa.array(list(status.values()), pa.string()),
                }
            ),
        )
        try:
            _all(
                conn,
                """UPDATE identity_links SET status = s.status FROM _hw_status_arrow s
                WHERE identity_links.id = s.id AND identity_links.status <> s.status""",
            )
        finally:
            conn.unregister("_hw_status_arrow")
    _resolve(conn, nodes, parent)
    return status


def _group_links(
    conn: duckdb.DuckDBPyConnection, seeds: set[int]
) -> list[tuple[int, int, int, datetime]]:
    """Every link not undone reachable from ``seeds`` through links not undone."""
    seen = set(seeds)
    frontier = list(seeds)
    found: dict[int, tuple[int, int, int, datetime]] = {}
    while frontier:
        conn.register("_hw_frontier", pa.table({"k": pa.array(frontier, pa.int32())}))
        try:
            rows = _all(
                conn,
                """SELECT id, alias_key, contact_key, claimed_at FROM identity_links
                WHERE status <> 'undone'
                  AND (alias_key IN (SELECT k FROM _hw_frontier)
                       OR contact_key IN (SELECT k FROM _hw_frontier))""",
            )
        finally:
            conn.unregister("_hw_frontier")
        frontier = []
        for link_id, alias, contact, at in rows:
            found[int(link_id)] = (int(link_id), int(alias), int(contact), at)
            for k in (int(alias), int(contact)):
                if k not in seen:
                    seen.add(k)
                    frontier.append(k)
    return list(found.values())


def _all(conn: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run ``sql`` and fetch every row (the connection is free again afterwards)."""
    return conn.execute(sql, params).fetchall()


def _one(conn: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> tuple[Any, ...] | None:
    """The first row of ``sql`` (all rows fetched), or None."""
    rows = _all(conn, sql, params)
    return rows[0] if rows else None


def _root(parent: dict[int, int], key: int) -> int:
    while key in parent:
        key = parent[key]
    return key


def _resolve(conn: duckdb.DuckDBPyConnection, nodes: set[int], parent: dict[int, int]) -> None:
    """Rewrite ``identity_resolved`` for ``nodes``; switch the view if merges start or end."""
    listed = sorted(nodes)
    roots = [_root(parent, k) for k in listed]
    touch_in_write([*listed, *roots])  # live journeys match these contacts again
    table = pa.table({"k": pa.array(listed, pa.int32()), "root": pa.array(roots, pa.int32())})
    conn.register("_hw_roots", table)
    try:
        _all(conn, "DELETE FROM identity_resolved WHERE alias_key IN (SELECT k FROM _hw_roots)")
        _all(conn, "INSERT INTO identity_resolved SELECT k, root FROM _hw_roots WHERE k <> root")
    finally:
        conn.unregister("_hw_roots")
    refresh_view(conn)
    email_rollup.refresh(conn, [*listed, *roots])  # their pairs are another person's now


def refresh_view(conn: duckdb.DuckDBPyConnection) -> None:
    """Define ``activity_log``: the bare log without merges, resolved through them with."""
    row = _one(conn, "SELECT count(*) FROM (SELECT 1 FROM identity_resolved LIMIT 1)")
    want_join = bool(row and row[0])
    current = _one(
        conn, "SELECT sql FROM duckdb_views() WHERE view_name = 'activity_log' AND NOT internal"
    )
    has_join = bool(current and "identity_resolved" in str(current[0]))
    if want_join != has_join:
        _all(conn, RESOLVED_VIEW if want_join else BARE_VIEW)


def _links(
    conn: duckdb.DuckDBPyConnection, where: str, params: list[Any], limit: int | None = None
) -> tuple[IdentityLink, ...]:
    rows = _all(
        conn,
        f"""SELECT l.id, a.id, c.id, l.claimed_at, l.recorded_at, l.activity_id, l.source,
                   l.status, l.undone_at
        FROM identity_links l
        JOIN contacts a ON a.key = l.alias_key
        JOIN contacts c ON c.key = l.contact_key
        WHERE {where}
        ORDER BY l.id DESC
        LIMIT ?""",
        [*params, limit],
    )
    return tuple(IdentityLink(*row) for row in rows)


def _patch(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON Merge Patch of two objects held in memory (before one SQL merge)."""
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _patch(out[key], value)
        else:
            out[key] = value
    return out
