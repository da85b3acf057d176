"""The emails registry: register emails and their links, read them back."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from headway.errors import Conflict, Detail, InvalidInput, NotFound
from headway.model.emails import Email, EmailLink, check_kind, check_link_url, link_id_for
from headway.store.store import Store

_EMAIL_COLUMNS = "id, name, subject, campaign, kind, send_time, created_at"


def register_email(
    store: Store,
    id: str,
    name: str,
    subject: str | None = None,
    campaign: str | None = None,
    kind: str = "newsletter",
    send_time: datetime | None = None,
) -> Email:
    """Register a new email; ``Conflict`` when the id is taken."""
    if not id.strip() or not name.strip():
        field = "id" if not id.strip() else "name"
        raise InvalidInput(f"an email needs a non-empty {field}", [Detail("empty", field=field)])
    email = Email(id, name, subject, campaign, check_kind(kind), _utc(send_time), _now())

    def insert(conn: duckdb.DuckDBPyConnection) -> None:
        if conn.execute("SELECT 1 FROM emails WHERE id = ?", [id]).fetchone():
            raise Conflict(f"email {id!r} is already registered")
        conn.execute(
            f"INSERT INTO emails ({_EMAIL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                email.id,
                email.name,
                subject,
                campaign,
                email.kind,
                email.send_time,
                email.created_at,
            ],
        )

    store.write(insert)
    return email


def add_link(
    store: Store, email_id: str, url: str, label: str | None = None, honeypot: bool = False
) -> str:
    """Register ``url`` as a link of an email; its stable link id (existing links are kept)."""
    check_link_url(url)
    link_id = link_id_for(url, honeypot)
    if get_link(store, email_id, link_id) is not None:
        return link_id  # already registered: no write transaction needed

    def insert(conn: duckdb.DuckDBPyConnection) -> None:
        if not conn.execute("SELECT 1 FROM emails WHERE id = ?", [email_id]).fetchone():
            raise _unknown_email(email_id)
        conn.execute(
            "INSERT INTO email_links VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [email_id, link_id, url, label, honeypot],
        )

    store.write(insert)
    return link_id


def get_email(store: Store, id: str) -> Email:
    """One registered email; ``NotFound`` when absent."""
    row = store.execute(f"SELECT {_EMAIL_COLUMNS} FROM emails WHERE id = ?", [id]).first()
    if row is None:
        raise _unknown_email(id)
    return Email(*row)


def find_email(store: Store, id: str) -> Email | None:
    """One registered email, or None."""
    row = store.execute(f"SELECT {_EMAIL_COLUMNS} FROM emails WHERE id = ?", [id]).first()
    return Email(*row) if row is not None else None


def list_emails(store: Store) -> list[Email]:
    """Every registered email, newest send first (unsent last), then by id."""
    rows = store.execute(
        f"SELECT {_EMAIL_COLUMNS} FROM emails ORDER BY send_time DESC NULLS LAST, id"
    )
    return [Email(*row) for row in rows]


def list_links(store: Store, email_id: str) -> list[EmailLink]:
    """The links of an email, ordered by URL."""
    rows = store.execute(
        "SELECT email_id, link_id, url, label, honeypot FROM email_links "
        "WHERE email_id = ? ORDER BY honeypot, url",
        [email_id],
    )
    return [EmailLink(*row) for row in rows]


def get_link(store: Store, email_id: str, link_id: str) -> EmailLink | None:
    """One link of an email, or None when that email has no such link."""
    row = store.execute(
        "SELECT email_id, link_id, url, label, honeypot FROM email_links "
        "WHERE email_id = ? AND link_id = ?",
        [email_id, link_id],
    ).first()
    return EmailLink(*row) if row is not None else None


def _unknown_email(id: str) -> NotFound:
    return NotFound(f"email {id!r} is not registered; add it with 'headway emails add {id}'")


def _utc(ts: datetime | None) -> datetime | None:
    if ts is None or ts.tzinfo is None:
        return ts
    return ts.astimezone(UTC).replace(tzinfo=None)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
