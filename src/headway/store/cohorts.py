"""Named cohorts (a saved list of contact keys) and named saved views of the journey page.

A cohort is what a step's contact list held when it was saved (``cohorts`` + its keys in
``cohort_members``); it does not follow the data afterwards. Erasing a contact removes it from
every cohort (``erase.py``). A saved view is a journey name and the page's query string.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np

from headway.errors import Conflict, InvalidInput, NotFound
from headway.store.store import Store

MAX_NAME = 200


@dataclass(frozen=True)
class Cohort:
    """A saved cohort: its name, where its contacts came from, and how many it holds now."""

    name: str
    journey: str | None
    stage: str | None
    status: str | None
    as_of: datetime | None
    created_at: datetime
    size: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "journey": self.journey,
            "stage": self.stage,
            "status": self.status,
            "as_of": _iso(self.as_of),
            "created_at": _iso(self.created_at),
            "size": self.size,
        }


@dataclass(frozen=True)
class SavedView:
    """A named view of a journey page: the journey and the page's query string."""

    name: str
    journey: str
    query: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "journey": self.journey,
            "query": self.query,
            "created_at": _iso(self.created_at),
        }


def check_name(name: str, what: str) -> str:
    """A stripped, non-empty name of at most ``MAX_NAME`` characters, or ``InvalidInput``."""
    text = (name or "").strip()
    if not text:
        raise InvalidInput(f"{what} name: give a name")
    if len(text) > MAX_NAME or any(ord(ch) < 32 for ch in text):
        raise InvalidInput(f"{what} name: at most {MAX_NAME} printable characters")
    return text


def save_cohort(
    store: Store,
    name: str,
    keys: np.ndarray,
    *,
    journey: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    as_of: datetime | None = None,
) -> Cohort:
    """Save ``keys`` as the cohort ``name``; ``Conflict`` when that name is taken."""
    name = check_name(name, "cohort")
    unique = np.unique(np.asarray(keys, dtype=np.int64))
    now = _now()

    def save(conn: duckdb.DuckDBPyConnection) -> None:
        if conn.execute("SELECT 1 FROM cohorts WHERE name = ?", [name]).fetchone():
            raise Conflict(f"a cohort named {name!r} exists (delete it first)")
        row = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM cohorts").fetchone()
        cohort_id = int(row[0]) if row else 1
        conn.execute(
            "INSERT INTO cohorts VALUES (?, ?, ?, ?, ?, ?, ?)",
            [cohort_id, name, journey, stage, status, as_of, now],
        )
        conn.execute(
            "INSERT INTO cohort_members SELECT ?, unnest(?::BIGINT[])",
            [cohort_id, unique.tolist()],
        )

    store.write(save)
    return Cohort(name, journey, stage, status, as_of, now, len(unique))


def list_cohorts(store: Store) -> list[Cohort]:
    """Every cohort, by name, with its current size."""
    rows = store.execute(
        "SELECT c.name, c.journey, c.stage, c.status, c.as_of, c.created_at,"
        " (SELECT count(*) FROM cohort_members m WHERE m.cohort_id = c.id)"
        " FROM cohorts c ORDER BY c.name"
    )
    return [Cohort(r[0], r[1], r[2], r[3], r[4], r[5], int(r[6])) for r in rows]


def cohort_keys(store: Store, name: str) -> frozenset[int]:
    """The contact keys of the cohort ``name``; ``NotFound`` naming the cohorts there are."""
    found = store.execute("SELECT id FROM cohorts WHERE name = ?", [name]).first()
    if found is None:
        raise NotFound(f"no cohort named {name!r}{_known(store)}")
    keys = store.execute("SELECT contact_key FROM cohort_members WHERE cohort_id = ?", [found[0]])
    return frozenset(int(k[0]) for k in keys)


def delete_cohort(store: Store, name: str) -> None:
    """Delete the cohort ``name`` and its member list; ``NotFound`` when there is none."""

    def delete(conn: duckdb.DuckDBPyConnection) -> bool:
        found = conn.execute("SELECT id FROM cohorts WHERE name = ?", [name]).fetchone()
        if found is None:
            return False
        conn.execute("DELETE FROM cohort_members WHERE cohort_id = ?", [found[0]])
        conn.execute("DELETE FROM cohorts WHERE id = ?", [found[0]])
        return True

    if not store.write(delete):
        raise NotFound(f"no cohort named {name!r}{_known(store)}")


def save_view(store: Store, name: str, journey: str, query: str) -> SavedView:
    """Save (or replace) the view ``name`` of ``journey``: the page's query string."""
    name = check_name(name, "view")
    now = _now()
    text = query.lstrip("?")

    def save(conn: duckdb.DuckDBPyConnection) -> None:
        conn.execute("DELETE FROM saved_views WHERE name = ?", [name])
        conn.execute("INSERT INTO saved_views VALUES (?, ?, ?, ?)", [name, journey, text, now])

    store.write(save)
    return SavedView(name, journey, text, now)


def list_views(store: Store, journey: str | None = None) -> list[SavedView]:
    """The saved views (of ``journey``), by name."""
    sql = "SELECT name, journey, query, created_at FROM saved_views"
    params: list[Any] = []
    if journey is not None:
        sql += " WHERE journey = ?"
        params.append(journey)
    return [SavedView(*row) for row in store.execute(sql + " ORDER BY name", params)]


def delete_view(store: Store, name: str) -> None:
    """Delete the saved view ``name``; ``NotFound`` when there is none."""

    def delete(conn: duckdb.DuckDBPyConnection) -> int:
        row = conn.execute("DELETE FROM saved_views WHERE name = ?", [name]).fetchone()
        return int(row[0]) if row else 0

    if not store.write(delete):
        raise NotFound(f"no saved view named {name!r}")


def _known(store: Store) -> str:
    names = [r[0] for r in store.execute("SELECT name FROM cohorts ORDER BY name")]
    return f" (cohorts: {', '.join(names)})" if names else " (there are no cohorts)"


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
