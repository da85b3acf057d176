"""Subscriptions: a journey's events of some kinds, sent to a signed webhook or a file."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from headway.actions.signing import new_secret
from headway.errors import Detail, InvalidInput, NotFound
from headway.store import Store

KINDS: tuple[str, ...] = ("stage_entered", "stage_stalled", "dropped", "converted", "kpi_reached")
EVENT_KINDS = KINDS  # the name surfaces import (headway.api)
TARGETS: tuple[str, ...] = ("webhook", "file")
DEFAULT_HOLDOUT = 0.10


@dataclass(frozen=True)
class Subscription:
    """Where a journey's events of ``kinds`` go; ``secret`` signs its webhooks."""

    id: str
    journey: str
    kinds: tuple[str, ...]
    stage: str | None
    target: str
    url: str | None
    path: str | None
    secret: str | None
    holdout: float
    created_at: datetime


_COLUMNS = "id, journey, kinds, stage, target, url, path, secret, holdout, created_at"


def _row(r: tuple[object, ...]) -> Subscription:
    return Subscription(
        str(r[0]), str(r[1]), tuple(r[2]), r[3], str(r[4]), r[5], r[6], r[7],  # type: ignore[arg-type]
        float(r[8]), r[9],  # type: ignore[arg-type]
    )  # fmt: skip


def check_target(
    target: str, url: str | None, path: str | None, files_dir: Path | None = None
) -> None:
    """InvalidInput unless ``target`` has what it needs (a http(s) URL or a file path)."""
    if target not in TARGETS:
        raise InvalidInput(f"target must be one of {', '.join(TARGETS)}", [Detail(
            f"{target!r} is not a target", field="target")])  # fmt: skip
    if target == "webhook":
        check_url(url)
    if target == "file":
        check_path(path, files_dir)


def check_url(url: str | None, field: str = "url") -> str:
    """The URL when it is an absolute http(s) URL with a host; else InvalidInput naming it."""
    import httpx  # here: reports that never check a URL do not load the HTTP client

    try:
        parsed = httpx.URL(url or "")
        good = parsed.scheme in ("http", "https") and bool(parsed.host)
    except (httpx.InvalidURL, ValueError, TypeError):
        good = False
    if not good or url is None or any(c in url for c in "\r\n\x00 "):
        reason = "must be an absolute http(s) URL such as https://hooks.example.com/x"
        raise InvalidInput(f"{field}: {reason}", [Detail(reason, field=field)])
    return url


def check_path(path: str | None, files_dir: Path | None = None, field: str = "path") -> str:
    """The absolute path of a file inside ``files_dir`` (a relative path is taken from
    there); InvalidInput naming ``field`` for a directory, a NUL byte or a path outside."""
    if not path or "\x00" in path or path.endswith(("/", "\\")):
        reason = "must name a file on the server (not a directory)"
        raise InvalidInput(f"{field}: {reason}", [Detail(reason, field=field)])
    if files_dir is None:
        return path
    base = files_dir.resolve()
    full = (base / path).resolve()  # an absolute path stays itself
    if not full.is_relative_to(base) or full == base or full.is_dir():
        reason = f"must name a file inside {base} (actions.files_dir)"
        raise InvalidInput(f"{field}: {reason}", [Detail(reason, field=field)])
    return str(full)


def check_holdout(holdout: float) -> None:
    """InvalidInput unless 0 <= holdout < 1."""
    if not 0.0 <= holdout < 1.0:
        raise InvalidInput("holdout must be a share from 0 up to (not including) 1", [Detail(
            f"{holdout} is not in [0, 1)", field="holdout")])  # fmt: skip


def create(
    store: Store,
    journey: str,
    kinds: tuple[str, ...],
    *,
    target: str = "webhook",
    url: str | None = None,
    path: str | None = None,
    stage: str | None = None,
    holdout: float = DEFAULT_HOLDOUT,
    files_dir: Path,
    now: datetime,
) -> Subscription:
    """Record a subscription (a fresh ``whsec_`` secret for webhooks)."""
    unknown = [k for k in kinds if k not in KINDS]
    if not kinds or unknown:
        raise InvalidInput(f"kinds must be some of {', '.join(KINDS)}", [Detail(
            f"{k!r} is not an event kind", field="kinds") for k in unknown or ["(none)"]])  # fmt: skip
    check_target(target, url, path, files_dir)
    check_holdout(holdout)
    sub = Subscription(
        "sub_" + secrets.token_hex(8), journey, tuple(dict.fromkeys(kinds)), stage, target,
        url if target == "webhook" else None,
        check_path(path, files_dir) if target == "file" else None,
        new_secret() if target == "webhook" else None, holdout, now,
    )  # fmt: skip
    store.write(lambda c: c.execute(
        f"INSERT INTO action_subscriptions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [sub.id, sub.journey, list(sub.kinds), sub.stage, sub.target, sub.url, sub.path,
         sub.secret, sub.holdout, sub.created_at]))  # fmt: skip
    return sub


def active(store: Store, journey: str | None = None) -> list[Subscription]:
    """The subscriptions not deleted (of one journey), oldest first."""
    where = "deleted_at IS NULL" + (" AND journey = ?" if journey is not None else "")
    rows = store.execute(
        f"SELECT {_COLUMNS} FROM action_subscriptions WHERE {where} ORDER BY created_at, id",
        [journey] if journey is not None else None,
    ).rows
    return [_row(r) for r in rows]


def get(store: Store, sub_id: str) -> Subscription:
    """One subscription (deleted ones too); NotFound names it."""
    row = store.execute(
        f"SELECT {_COLUMNS} FROM action_subscriptions WHERE id = ?", [sub_id]
    ).first()
    if row is None:
        raise NotFound(f"no subscription {sub_id!r}")
    return _row(row)


def delete(store: Store, sub_id: str, now: datetime) -> None:
    """Stop a subscription (its deliveries and holdout records stay)."""
    get(store, sub_id)
    store.write(lambda c: c.execute(
        "UPDATE action_subscriptions SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
        [now, sub_id]))  # fmt: skip
