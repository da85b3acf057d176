"""Stored journeys: versioned definitions in the ``journeys`` table.

Each save that changes a definition adds a version; saving the same definition again does
not. Deleting is soft: the journey leaves the list, but every version stays readable by its
number. Definitions are kept in their canonical form (``journey_to_dict``) beside the text
the user wrote.

A stored definition is parsed again on every read, with today's checks: one saved by an
older version that no longer validates (a regex the engine's RE2 cannot compile) is listed
with its ``error`` and refused by ``get_journey`` with an ``InvalidJourney`` (422) naming
the problem, never run. ``stored_definition`` still reads it, so it can be shown and fixed.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from headway.errors import InvalidJourney, NotFound
from headway.model.journey import Journey, journey_to_dict, load_journey_file, parse_journey
from headway.store.store import Store

JOURNEY_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class StoredJourney:
    """One version of a stored journey, without its definition."""

    name: str
    version: int
    created_at: datetime
    deleted: bool
    stage_count: int
    error: str | None = None  # why the definition does not validate today (None: it does)


def canonical_json(journey: Journey) -> str:
    """The stored form of a definition: canonical, key order fixed."""
    return json.dumps(journey_to_dict(journey), sort_keys=True, ensure_ascii=False)


def save_journey(store: Store, journey: Journey, source_text: str | None) -> int:
    """Store a journey; its new version number (the current one when nothing changed)."""
    definition = canonical_json(journey)

    def save(conn: duckdb.DuckDBPyConnection) -> int:
        latest = conn.execute(
            "SELECT version, CAST(definition AS VARCHAR), deleted FROM journeys WHERE name = ?"
            " ORDER BY version DESC LIMIT 1",
            [journey.name],
        ).fetchone()
        if latest is not None and not latest[2] and _same(latest[1], definition):
            return int(latest[0])
        version = 1 if latest is None else int(latest[0]) + 1
        conn.execute(
            "INSERT INTO journeys (name, version, definition, source_text, created_at, deleted)"
            " VALUES (?, ?, ?, ?, ?, false)",
            [journey.name, version, definition, source_text, _now()],
        )
        return version

    return store.write(save)


def _same(stored: str, definition: str) -> bool:
    return json.loads(stored) == json.loads(definition)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def get_journey(store: Store, name: str, version: int | None = None) -> tuple[Journey, int]:
    """A stored journey (latest version unless ``version``) and its version number.

    InvalidJourney (422), naming the problem, when the stored definition no longer validates.
    """
    definition, number = stored_definition(store, name, version)
    try:
        return parse_journey(definition), number
    except InvalidJourney as err:
        raise journey_error(name, number, err) from None


def journey_error(name: str, version: int, err: InvalidJourney) -> InvalidJourney:
    """The error of a stored journey that does not validate: which one, which version, why."""
    message = f"journey {name!r} (version {version}) has an error: {err.message}"
    return InvalidJourney(message, err.details)


def stored_definition(store: Store, name: str, version: int | None = None) -> tuple[Any, int]:
    """The stored definition mapping of a journey version, unparsed (it may not validate)."""
    if version is None:
        row = store.execute(
            "SELECT CAST(definition AS VARCHAR), version, deleted FROM journeys WHERE name = ?"
            " ORDER BY version DESC LIMIT 1",
            [name],
        ).first()
        if row is None or row[2]:
            raise _not_found(store, name)
    else:
        row = store.execute(
            "SELECT CAST(definition AS VARCHAR), version FROM journeys"
            " WHERE name = ? AND version = ?",
            [name, version],
        ).first()
        if row is None:
            raise _no_version(store, name, version)
    return json.loads(row[0]), int(row[1])


@lru_cache(maxsize=1024)
def definition_error(definition: str) -> str | None:
    """Why a stored definition (its JSON text) does not validate today; None when it does."""
    try:
        parse_journey(json.loads(definition))
    except InvalidJourney as err:
        return err.message
    return None


def get_source_text(store: Store, name: str, version: int) -> str | None:
    """The text a version was saved from (None when saved from a mapping)."""
    row = store.execute(
        "SELECT source_text FROM journeys WHERE name = ? AND version = ?", [name, version]
    ).first()
    return None if row is None else row[0]


def list_journeys(store: Store) -> list[StoredJourney]:
    """The latest version of every journey not deleted, by name."""
    rows = store.execute(
        "SELECT name, version, created_at, deleted, CAST(definition AS VARCHAR) FROM journeys"
        " QUALIFY row_number() OVER (PARTITION BY name ORDER BY version DESC) = 1 ORDER BY name"
    ).rows
    return [_stored(r) for r in rows if not r[3]]


def journey_versions(store: Store, name: str) -> list[StoredJourney]:
    """Every version of a journey, oldest first (deleted journeys included)."""
    rows = store.execute(
        "SELECT name, version, created_at, deleted, CAST(definition AS VARCHAR) FROM journeys"
        " WHERE name = ? ORDER BY version",
        [name],
    ).rows
    if not rows:
        raise _not_found(store, name)
    return [_stored(r) for r in rows]


def delete_journey(store: Store, name: str) -> int:
    """Soft-delete a journey (its versions stay readable); the number of versions it had."""
    stored_definition(store, name)  # NotFound when absent; a journey with an error is deleted too

    def delete(conn: duckdb.DuckDBPyConnection) -> int:
        conn.execute("UPDATE journeys SET deleted = true WHERE name = ?", [name])
        row = conn.execute("SELECT count(*) FROM journeys WHERE name = ?", [name]).fetchone()
        return int(row[0]) if row else 0

    return store.write(delete)


def resolve_journey(store: Store | None, ref: str) -> Journey:
    """A journey from a .yaml/.yml/.json file when ``ref`` is one, else a stored journey's name."""
    path = Path(ref)
    looks_like_file = path.suffix.lower() in JOURNEY_SUFFIXES
    if looks_like_file and path.is_file():
        return load_journey_file(path)
    if store is None:
        if looks_like_file:
            return load_journey_file(path)
        raise NotFound(f"journey file {ref} does not exist (and no database to look up names)")
    try:
        return get_journey(store, ref)[0]
    except NotFound:
        if looks_like_file:
            return load_journey_file(path)
        raise


def _stored(row: tuple[Any, ...]) -> StoredJourney:
    data = json.loads(row[4])
    stages = data.get("stages", []) if isinstance(data, dict) else []
    error = definition_error(row[4])
    return StoredJourney(row[0], int(row[1]), row[2], bool(row[3]), len(stages), error)


def _not_found(store: Store, name: str) -> NotFound:
    names = [j.name for j in list_journeys(store)]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    deleted = store.execute(
        "SELECT count(*) FROM journeys WHERE name = ? AND deleted", [name]
    ).scalar()
    if deleted:
        return NotFound(f"journey {name!r} was deleted; its versions stay readable with --version")
    return NotFound(f"no journey named {name!r}{hint}")


def _no_version(store: Store, name: str, version: int) -> NotFound:
    versions = [
        r[0] for r in store.execute("SELECT version FROM journeys WHERE name = ?", [name]).rows
    ]
    if not versions:
        return _not_found(store, name)
    return NotFound(f"journey {name!r} has no version {version} (versions 1 to {max(versions)})")
