"""Cohort syncs: a step's contacts (by status, e.g. a stall list) kept equal to an outside list.

Each run replaces the whole list: a CSV or JSON file written atomically to ``path``, or the
contacts POSTed in pages to ``url``, each page signed like a webhook (Standard Webhooks
headers; ``webhook-id`` = ``{sync id}.{run}.{page}``). The held-out share of the contacts is
left out of the list and recorded (action_holdouts), so the sync's effect can be measured.
"""

from __future__ import annotations

import io
import math
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from headway.actions import signing
from headway.actions.holdouts import held_out
from headway.actions.subscriptions import DEFAULT_HOLDOUT, check_holdout, check_path, check_url
from headway.errors import Detail, InvalidInput, NotFound
from headway.model.duration import parse_duration
from headway.safe_csv import safe_writer
from headway.store import Store

FORMATS = ("csv", "json")
MAX_EVERY_SECONDS = 366 * 86_400

# (journey, stage, status) -> (stage number 1-based, the contacts in the list)
Members = Callable[[str, str, str], tuple[int, list[str]]]


@dataclass(frozen=True)
class CohortSync:
    """One cohort kept in sync with a file or an endpoint."""

    id: str
    journey: str
    stage: str
    status: str
    every_seconds: int
    format: str
    path: str | None
    url: str | None
    secret: str | None
    holdout: float
    created_at: datetime
    last_run_at: datetime | None
    last_count: int | None
    last_error: str | None


_COLUMNS = (
    "id, journey, stage, status, every_seconds, format, path, url, secret, holdout, "
    "created_at, last_run_at, last_count, last_error"
)


def create(
    store: Store,
    journey: str,
    stage: str,
    status: str,
    *,
    every: str,
    format: str = "csv",
    path: str | None = None,
    url: str | None = None,
    holdout: float = DEFAULT_HOLDOUT,
    files_dir: Path,
    now: datetime,
) -> CohortSync:
    """Record a cohort sync to a file (``path``) or an endpoint (``url``)."""
    problems = []
    if (path is None) == (url is None):
        problems.append(Detail("give exactly one of path and url", field="path"))
    placed = None
    try:
        if url is not None:
            check_url(url)
        if path is not None:
            placed = check_path(path, files_dir)
    except InvalidInput as e:
        problems.extend(e.details)
    if format not in FORMATS:
        problems.append(Detail(f"{format!r} is not one of {', '.join(FORMATS)}", field="format"))
    try:
        seconds = parse_duration(every)
    except ValueError as e:
        problems.append(Detail(str(e), field="every"))
        seconds = 0
    if not 60 <= seconds <= MAX_EVERY_SECONDS and not problems:
        problems.append(Detail("must be from 1m to 366d", field="every"))
    if problems:
        raise InvalidInput("the cohort sync is not valid", problems)
    check_holdout(holdout)
    sync = CohortSync(
        "sync_" + secrets.token_hex(8), journey, stage, status, seconds, format,
        placed, url,
        signing.new_secret() if url else None, holdout, now, None, None, None,
    )  # fmt: skip
    store.write(lambda c: c.execute(
        f"INSERT INTO cohort_syncs ({_COLUMNS}) VALUES ({', '.join('?' * 14)})",
        [sync.id, sync.journey, sync.stage, sync.status, sync.every_seconds, sync.format,
         sync.path, sync.url, sync.secret, sync.holdout, sync.created_at, None, None, None]))  # fmt: skip
    return sync


def active(store: Store) -> list[CohortSync]:
    """The cohort syncs not deleted, oldest first."""
    rows = store.execute(
        f"SELECT {_COLUMNS} FROM cohort_syncs WHERE deleted_at IS NULL ORDER BY created_at, id"
    ).rows
    return [CohortSync(*r) for r in rows]


def get(store: Store, sync_id: str) -> CohortSync:
    """One cohort sync; NotFound names it."""
    row = store.execute(f"SELECT {_COLUMNS} FROM cohort_syncs WHERE id = ?", [sync_id]).first()
    if row is None:
        raise NotFound(f"no cohort sync {sync_id!r}")
    return CohortSync(*row)


def delete(store: Store, sync_id: str, now: datetime) -> None:
    """Stop a cohort sync (the outside list stays as last written)."""
    get(store, sync_id)
    store.write(lambda c: c.execute(
        "UPDATE cohort_syncs SET deleted_at = ? WHERE id = ?", [now, sync_id]))  # fmt: skip


def due(sync: CohortSync, now: datetime) -> bool:
    """Whether the sync should run now (never run, or its period has passed)."""
    return sync.last_run_at is None or now >= sync.last_run_at + timedelta(
        seconds=sync.every_seconds
    )


def run(
    store: Store, sync: CohortSync, members: Members, now: datetime, *, page_size: int,
    timeout: float,
) -> int:  # fmt: skip
    """Write or push the cohort once; the contacts in the list (held-out ones left out)."""
    error: str | None = None
    count = 0
    try:
        stage, contacts = members(sync.journey, sync.stage, sync.status)
        flags = [(c, held_out(sync.id, c, sync.holdout)) for c in contacts]
        kept = [c for c, out in flags if not out]
        if flags:
            store.write(lambda conn: conn.executemany(
                "INSERT INTO action_holdouts VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [[sync.id, sync.journey, stage, c, out, now] for c, out in flags]))  # fmt: skip
        if sync.path is not None:
            _write_file(Path(sync.path), sync, kept, now)
        else:
            _push(sync, kept, now, page_size, timeout)
        count = len(kept)
    except (OSError, httpx.HTTPError, httpx.InvalidURL, PushError, InvalidInput, NotFound) as e:
        error = getattr(e, "message", None) or str(e) or type(e).__name__
    store.write(lambda c: c.execute(
        "UPDATE cohort_syncs SET last_run_at = ?, last_count = ?, last_error = ? WHERE id = ?",
        [now, None if error else count, error, sync.id]))  # fmt: skip
    return count


class PushError(Exception):
    """An endpoint refused a page."""


def _header(sync: CohortSync, now: datetime) -> dict[str, Any]:
    return {
        "sync": sync.id, "journey": sync.journey, "stage": sync.stage, "status": sync.status,
        "synced_at": now.isoformat(timespec="seconds") + "Z",
    }  # fmt: skip


def _write_file(path: Path, sync: CohortSync, contacts: list[str], now: datetime) -> None:
    """Replace ``path`` atomically with the list (CSV: one contact a row; JSON: an object)."""
    if sync.format == "csv":
        buf = io.StringIO()
        writer = safe_writer(buf)  # the one CSV writer: formula-like ids stay text
        writer.writerow(["contact"])
        writer.writerows([c] for c in contacts)
        data = buf.getvalue().encode()
    else:
        data = orjson.dumps({**_header(sync, now), "contacts": contacts})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _push(
    sync: CohortSync, contacts: list[str], now: datetime, page_size: int, timeout: float
) -> None:
    """POST the list in signed pages (JSON); every page must be answered 2xx."""
    pages = max(1, math.ceil(len(contacts) / page_size))
    run_id = now.strftime("%Y%m%dT%H%M%S")
    with httpx.Client(timeout=timeout, follow_redirects=False) as http:
        for n in range(pages):
            chunk = contacts[n * page_size : (n + 1) * page_size]
            body = orjson.dumps({**_header(sync, now), "page": n + 1, "pages": pages,
                                 "contacts": chunk})  # fmt: skip
            msg_id = f"{sync.id}.{run_id}.{n + 1}"
            answer = http.post(
                str(sync.url), content=body, headers=signing.headers(str(sync.secret), msg_id, body)
            )
            if not 200 <= answer.status_code < 300:
                raise PushError(f"page {n + 1} of {pages}: HTTP {answer.status_code}")
