"""Delivery: send the due deliveries (signed webhooks or JSON Lines appends), durably.

A delivery is ``pending`` until it succeeds (``delivered``: a 2xx answer, or the line
appended) or has failed ``max_attempts`` times (``dead``: the dead-letter list). Failure n
is retried after ``backoff(n)`` seconds. The state lives in ``action_deliveries``, so a
restart resumes where it stopped; the ``webhook-id`` is the event id, so a receiver that
sees an id twice (a reply lost after it was processed) can drop the repeat.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from headway.actions import signing
from headway.actions.settings import ActionSettings
from headway.errors import NotFound
from headway.store import Store

STATUSES = ("pending", "delivered", "dead")
# A claimed delivery is retried after its timeout and this long if its process died sending.
LEASE_SECONDS = 60.0
_MAX_ERROR = 300


@dataclass(frozen=True)
class Delivery:
    """One event for one subscription and where its delivery stands."""

    subscription_id: str
    event_id: str
    journey: str
    kind: str
    contact: str
    payload: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


_COLUMNS = (
    "subscription_id, event_id, journey, kind, contact, payload, status, attempts, "
    "next_attempt_at, last_error, created_at, delivered_at"
)


def listing(
    store: Store,
    *,
    status: str | None = None,
    subscription: str | None = None,
    journey: str | None = None,
    limit: int = 100,
) -> list[Delivery]:
    """Deliveries newest first, optionally of one status, subscription or journey."""
    where, params = [], []
    for column, value in (("status", status), ("subscription_id", subscription),
                          ("journey", journey)):  # fmt: skip
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = store.execute(
        f"SELECT {_COLUMNS} FROM action_deliveries {clause} "
        "ORDER BY created_at DESC, event_id DESC LIMIT ?",
        [*params, limit],
    ).rows
    return [Delivery(*r) for r in rows]


def counts(store: Store) -> dict[str, int]:
    """Deliveries per status."""
    rows = store.execute("SELECT status, count(*) FROM action_deliveries GROUP BY status").rows
    return {str(s): int(n) for s, n in rows}


def replay(store: Store, subscription_id: str, event_id: str, now: datetime) -> None:
    """Send a delivery again (dead or delivered): pending now, attempts counted afresh."""
    found = store.execute(
        "SELECT 1 FROM action_deliveries WHERE subscription_id = ? AND event_id = ?",
        [subscription_id, event_id],
    ).first()
    if found is None:
        raise NotFound(f"no delivery of event {event_id!r} to subscription {subscription_id!r}")
    store.write(lambda c: c.execute(
        "UPDATE action_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, "
        "last_error = NULL WHERE subscription_id = ? AND event_id = ?",
        [now, subscription_id, event_id]))  # fmt: skip


def replay_dead(store: Store, now: datetime, subscription_id: str | None = None) -> int:
    """Replay every dead delivery (of one subscription); how many."""
    extra = " AND subscription_id = ?" if subscription_id else ""
    params: list[object] = [now, *([subscription_id] if subscription_id else [])]

    def go(conn: object) -> int:
        rows = conn.execute(  # type: ignore[attr-defined]
            "UPDATE action_deliveries SET status = 'pending', attempts = 0, "
            f"next_attempt_at = ?, last_error = NULL WHERE status = 'dead'{extra} RETURNING 1",
            params,
        ).fetchall()
        return len(rows)

    return store.write(go)


class Deliverer:
    """Sends due deliveries on a bounded thread pool; never more than ``concurrency`` at once."""

    def __init__(
        self, store: Store, settings: ActionSettings, clock: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self._pool = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="headway-send")
        self._in_flight: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._futures: list[Future[None]] = []
        self._file_lock = threading.Lock()
        self._http = httpx.Client(
            timeout=httpx.Timeout(settings.timeout_seconds),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=settings.concurrency),
        )

    def submit_due(
        self, done: Callable[[], None] | None = None, due_by: datetime | None = None
    ) -> int:
        """Start the deliveries due by ``due_by`` (default now) there is room for; how many
        were started. Each is claimed first (its next try moved past a lease), in the write
        path, so a delivery is never sent twice at once, even by another process."""
        with self._lock:
            room = self.settings.concurrency * 2 - len(self._in_flight)
            self._futures = [f for f in self._futures if not f.done()]
        if room <= 0:
            return 0
        due = due_by or self.clock()
        found = self.store.execute(
            f"""SELECT subscription_id, event_id FROM action_deliveries
            WHERE status = 'pending' AND next_attempt_at <= ?
            ORDER BY next_attempt_at, created_at LIMIT {room}""",
            [due],
        ).rows
        if not found:  # the usual case: no write, so the reports' caches stay valid
            return 0
        lease = self.clock() + timedelta(seconds=self.settings.timeout_seconds + LEASE_SECONDS)
        rows = self.store.write(
            partial(_claim, [tuple(k) for k in found], due, lease), keeps_contacts=True
        )
        for sub_id, event_id, body, attempts, target, url, path, secret in rows:
            key = (sub_id, event_id)
            with self._lock:
                self._in_flight.add(key)
            future = self._pool.submit(
                self._send, key, body.encode(), int(attempts), target, url, path, secret
            )
            with self._lock:
                self._futures.append(future)
            if done is not None:
                future.add_done_callback(lambda _f: done())
        return len(rows)

    def drain(self) -> None:
        """Make one attempt at every delivery due now, and wait for them (CLI and tests)."""
        start = self.clock()  # a retry scheduled by this drain falls due after it
        while self.submit_due(due_by=start):
            with self._lock:
                futures, self._futures = self._futures, []
            wait(futures)
            for f in futures:
                f.result()

    def _send(
        self,
        key: tuple[str, str],
        body: bytes,
        attempts: int,
        target: str,
        url: str | None,
        path: str | None,
        secret: str | None,
    ) -> None:
        try:
            error = self._try(key[1], body, target, url, path, secret)
            self._record(key, attempts + 1, error)
        finally:
            with self._lock:
                self._in_flight.discard(key)

    def _try(
        self,
        event_id: str,
        body: bytes,
        target: str,
        url: str | None,
        path: str | None,
        secret: str | None,
    ) -> str | None:
        """None when delivered, else why not."""
        if target == "file":
            try:
                with self._file_lock:
                    Path(str(path)).parent.mkdir(parents=True, exist_ok=True)
                    with open(str(path), "ab") as f:
                        f.write(body + b"\n")
            except OSError as e:
                return f"cannot append to {path}: {e.strerror or e}"
            return None
        try:
            answer = self._http.post(
                str(url), content=body, headers=signing.headers(str(secret), event_id, body)
            )
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as e:
            return f"{type(e).__name__}: {e}"[:_MAX_ERROR] or type(e).__name__
        if 200 <= answer.status_code < 300:
            return None
        return f"HTTP {answer.status_code}: {answer.text[:200]}"[:_MAX_ERROR]

    def _record(self, key: tuple[str, str], attempts: int, error: str | None) -> None:
        now = self.clock()
        if error is None:
            sql = ("UPDATE action_deliveries SET status = 'delivered', attempts = ?, "
                   "delivered_at = ?, last_error = NULL, next_attempt_at = NULL "
                   "WHERE subscription_id = ? AND event_id = ?")  # fmt: skip
            params: list[object] = [attempts, now, *key]
        else:
            dead = attempts >= self.settings.max_attempts
            retry = None if dead else now + timedelta(seconds=self.settings.backoff(attempts))
            sql = ("UPDATE action_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, "
                   "last_error = ? WHERE subscription_id = ? AND event_id = ?")  # fmt: skip
            params = ["dead" if dead else "pending", attempts, retry, error, *key]
        self.store.write(lambda c: c.execute(sql, params), keeps_contacts=True)

    def close(self) -> None:
        """Wait for the deliveries in flight (each bounded by the timeout), then stop."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._http.close()


def _claim(
    keys: list[tuple[str, str]], due: datetime, lease: datetime, conn: Any
) -> list[tuple[Any, ...]]:
    """Claim the deliveries still pending and due (one transaction): what to send."""
    out = []
    for sub_id, event_id in keys:
        row = conn.execute(
            """UPDATE action_deliveries SET next_attempt_at = ?
            WHERE subscription_id = ? AND event_id = ? AND status = 'pending'
              AND next_attempt_at <= ?
            RETURNING subscription_id, event_id, payload, attempts""",
            [lease, sub_id, event_id, due],
        ).fetchone()
        if row is None:
            continue
        target = conn.execute(
            "SELECT target, url, path, secret FROM action_subscriptions WHERE id = ?", [sub_id]
        ).fetchone()
        out.append((*row, *target))
    return out
