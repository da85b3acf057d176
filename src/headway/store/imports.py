"""The import log: every ``headway import`` gets an id, its rows carry it, and it can be undone.

``imports`` holds one row per import (files, preset, counts, when; ``undone_at`` once undone)
and ``activities.import_id`` tags each row an import inserted. Undoing an import deletes
exactly the activities tagged with its id: rows of the import that repeated earlier rows were
never inserted, so the earlier rows stay. Contacts the import created that are left with
nothing (no activity, attribute or identity link) go too, the catalogue is
recomputed, and the identity links the import recorded (``identity_links.import_id``) are
undone. The store's in-memory indexes notice the deletion themselves (the id index by the
log's row count, the contact keys by the write generation).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import duckdb

from headway.errors import Conflict, NotFound
from headway.store import catalog, email_rollup, identities
from headway.store.erase import forget_demo_truth
from headway.store.store import Store, touch_in_write


@dataclass(frozen=True)
class ImportRecord:
    """One import, as ``headway imports`` lists it."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    files: list[str]
    preset: str | None
    imported: int
    duplicates: int
    rejected: int
    undone_at: datetime | None
    undone_rows: int | None

    @property
    def status(self) -> str:
        """``done``, ``undone`` or ``incomplete`` (stopped by an error or interrupted)."""
        if self.undone_at is not None:
            return "undone"
        return "done" if self.finished_at is not None else "incomplete"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "status": self.status}


@dataclass(frozen=True)
class UndoReport:
    """What undoing an import removed: its activities, the contacts left empty, and the
    identity links it had recorded (undone, so the merges they made no longer hold)."""

    import_id: int
    activities_deleted: int
    contacts_deleted: int
    links_undone: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


_COLUMNS = (
    "id, started_at, finished_at, files, preset, imported, duplicates, rejected, "
    "undone_at, undone_rows"
)


def begin_import(store: Store, files: list[str], preset: str | None) -> int:
    """Record a new import; its id."""

    def begin(conn: duckdb.DuckDBPyConnection) -> int:
        row = conn.execute(
            "INSERT INTO imports (id, started_at, files, preset) "
            "SELECT coalesce(max(id), 0) + 1, now()::TIMESTAMP, ?, ? FROM imports RETURNING id",
            [files, preset],
        ).fetchone()
        assert row is not None
        return int(row[0])

    return store.write(begin)


def count_file(
    conn: duckdb.DuckDBPyConnection, import_id: int, imported: int, duplicates: int, rejected: int
) -> None:
    """Add one file's counts to its import (inside the file's write transaction)."""
    conn.execute(
        "UPDATE imports SET imported = imported + ?, duplicates = duplicates + ?, "
        "rejected = rejected + ? WHERE id = ?",
        [imported, duplicates, rejected, import_id],
    )


def tag_links(conn: duckdb.DuckDBPyConnection, import_id: int, link_ids: list[int]) -> None:
    """Mark identity links as recorded by import ``import_id`` (inside its transaction)."""
    conn.execute(
        "UPDATE identity_links SET import_id = ? WHERE id IN (SELECT unnest(?))",
        [import_id, link_ids],
    )


def finish_import(store: Store, import_id: int) -> None:
    """Mark an import as complete."""
    store.write(
        lambda conn: conn.execute(
            "UPDATE imports SET finished_at = now()::TIMESTAMP WHERE id = ?", [import_id]
        )
    )


def discard_import(store: Store, import_id: int) -> None:
    """Forget an import that wrote nothing (its first file failed)."""
    store.write(
        lambda conn: conn.execute(
            "DELETE FROM imports WHERE id = ? AND NOT EXISTS "
            "(SELECT 1 FROM activities WHERE import_id = ?)",
            [import_id, import_id],
        )
    )


def list_imports(store: Store) -> list[ImportRecord]:
    """Every import, newest first."""
    rows = store.execute(f"SELECT {_COLUMNS} FROM imports ORDER BY id DESC").rows
    return [_record(row) for row in rows]


def get_import(store: Store, import_id: int) -> ImportRecord:
    """One import; ``NotFound`` when there is none with that id."""
    row = store.execute(f"SELECT {_COLUMNS} FROM imports WHERE id = ?", [import_id]).first()
    if row is None:
        raise NotFound(f"there is no import {import_id} (see 'headway imports')")
    return _record(row)


def undo_import(store: Store, import_id: int) -> UndoReport:
    """Delete exactly the rows import ``import_id`` inserted, in one transaction, then undo
    the identity links it recorded."""

    def undo(conn: duckdb.DuckDBPyConnection) -> tuple[UndoReport, list[int]]:
        row = conn.execute(
            "SELECT started_at, finished_at, undone_at FROM imports WHERE id = ?", [import_id]
        ).fetchone()
        if row is None:
            raise NotFound(f"there is no import {import_id} (see 'headway imports')")
        started, finished, undone = row
        if undone is not None:
            raise Conflict(f"import {import_id} was already undone at {undone:%Y-%m-%d %H:%M:%S}")
        links = [
            int(r[0])
            for r in conn.execute(
                "SELECT id FROM identity_links WHERE import_id = ? AND status <> 'undone' "
                "ORDER BY id",
                [import_id],
            ).fetchall()
        ]
        keys = conn.execute(
            "SELECT DISTINCT contact_key FROM activities WHERE import_id = ?", [import_id]
        ).fetchall()
        touch_in_write([int(k[0]) for k in keys])  # live journeys match them again
        forget_demo_truth(conn, "SELECT id FROM activities WHERE import_id = ?", [import_id])
        deleted = _count(conn, "DELETE FROM activities WHERE import_id = ?", [import_id])
        catalog.rebuild(conn)
        email_rollup.refresh(conn, [int(k[0]) for k in keys])
        contacts = _drop_empty_contacts(conn, [k for (k,) in keys], started, finished)
        conn.execute(
            "UPDATE imports SET undone_at = now()::TIMESTAMP, undone_rows = ? WHERE id = ?",
            [deleted, import_id],
        )
        return UndoReport(import_id, deleted, contacts, len(links)), links

    report, links = store.write(undo)
    for link in links:  # each in its transaction: resolution is re-judged link by link
        identities.undo(store, link)
    return report


def _drop_empty_contacts(
    conn: duckdb.DuckDBPyConnection,
    keys: list[int],
    started: datetime,
    finished: datetime | None,
) -> int:
    """Delete the contacts among ``keys`` created during the import that are left empty."""
    if not keys:
        return 0
    return _count(
        conn,
        """DELETE FROM contacts c
        WHERE c.key IN (SELECT unnest(?))
          AND c.created_at >= ? AND (? IS NULL OR c.created_at <= ?)
          AND c.attributes IS NULL
          AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.contact_key = c.key)
          AND NOT EXISTS (SELECT 1 FROM identity_links l
                          WHERE l.alias_key = c.key OR l.contact_key = c.key)""",
        [keys, started, finished, finished],
    )


def _record(row: tuple[Any, ...]) -> ImportRecord:
    return ImportRecord(
        id=int(row[0]),
        started_at=row[1],
        finished_at=row[2],
        files=list(row[3]),
        preset=row[4],
        imported=int(row[5]),
        duplicates=int(row[6]),
        rejected=int(row[7]),
        undone_at=row[8],
        undone_rows=None if row[9] is None else int(row[9]),
    )


def _count(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> int:
    row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row else 0
