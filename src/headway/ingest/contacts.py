"""Contact attributes from CSV, JSON Lines or Parquet: upserted by contact id.

The id column (``--id-col``, default ``id``) names the contact; an ``email`` column sets the
contact's email; every other column becomes an attribute (JSON, merged into the existing
attributes: a new value replaces the old one, an empty cell leaves it alone). Contacts not
seen before are created with the next dense keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from headway.errors import InvalidInput
from headway.ingest import formats
from headway.ingest.tabular import quote
from headway.store import Store


@dataclass(frozen=True)
class ContactResult:
    """What one contact file did."""

    created: int
    updated: int
    skipped: int


def import_contacts(
    store: Store, path: Path, *, fmt: str | None = None, id_col: str = "id"
) -> ContactResult:
    """Upsert the contacts of one file in one transaction."""
    fmt = formats.detect(path, fmt)
    formats.check_readable(path, fmt)

    def run(conn: duckdb.DuckDBPyConnection) -> ContactResult:
        try:
            _stage(conn, path, fmt, id_col)
            return _upsert(conn)
        except duckdb.Error as err:
            first = str(err).strip().splitlines()[0]
            raise InvalidInput(f"{path} cannot be read as {fmt.upper()}: {first}") from None
        finally:
            conn.execute("DROP VIEW IF EXISTS _hw_contact_src")

    return store.write(run)


def _read(conn: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> duckdb.DuckDBPyRelation:
    if fmt == "parquet":
        return conn.read_parquet(str(path))
    if fmt == "jsonl":
        return conn.read_json(str(path), format="newline_delimited")
    return conn.read_csv(str(path), header=True)


def _stage(conn: duckdb.DuckDBPyConnection, path: Path, fmt: str, id_col: str) -> None:
    rel = _read(conn, path, fmt)
    if id_col not in rel.columns:
        raise InvalidInput(
            f"{path} has no column {id_col!r} for the contact id (its columns: "
            f"{', '.join(rel.columns)}); name the right one with --id-col"
        )
    rel.create_view("_hw_contact_src", replace=True)
    others = [c for c in rel.columns if c not in (id_col, "email")]
    pairs = ", ".join(f"'{c.replace(chr(39), chr(39) * 2)}', {quote(c)}" for c in others)
    attrs = f"json_merge_patch('{{}}', json_object({pairs}))" if others else "'{}'::JSON"
    email = "CAST(email AS VARCHAR)" if "email" in rel.columns else "CAST(NULL AS VARCHAR)"
    # A contact repeated in the file: its last row wins.
    conn.execute(
        f"""CREATE OR REPLACE TEMP TABLE _hw_contact_in AS
        SELECT * EXCLUDE (_seq) FROM (
            SELECT trim(CAST({quote(id_col)} AS VARCHAR)) AS id, {email} AS email,
                   CAST({attrs} AS JSON) AS attributes, row_number() OVER () AS _seq
            FROM _hw_contact_src)
        WHERE id IS NOT NULL AND id <> ''
        QUALIFY row_number() OVER (PARTITION BY id ORDER BY _seq DESC) = 1"""
    )


def _upsert(conn: duckdb.DuckDBPyConnection) -> ContactResult:
    total = _scalar(conn, "SELECT count(*) FROM _hw_contact_src")
    staged = _scalar(conn, "SELECT count(*) FROM _hw_contact_in")
    updated = _scalar(
        conn,
        """UPDATE contacts SET
            email = coalesce(n.email, contacts.email),
            attributes = json_merge_patch(coalesce(contacts.attributes, '{}'), n.attributes),
            updated_at = now()::TIMESTAMP
        FROM _hw_contact_in n WHERE contacts.id = n.id""",
    )
    created = _scalar(
        conn,
        """INSERT INTO contacts (key, id, email, attributes, created_at, updated_at)
        SELECT (SELECT coalesce(max(key), -1) FROM contacts) + row_number() OVER (ORDER BY n.id),
               n.id, n.email, n.attributes, now()::TIMESTAMP, now()::TIMESTAMP
        FROM _hw_contact_in n
        WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = n.id)""",
    )
    conn.execute("DROP TABLE _hw_contact_in")
    return ContactResult(created=created, updated=updated, skipped=total - staged)


def _scalar(conn: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0
