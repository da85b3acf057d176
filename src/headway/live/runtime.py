"""The live machinery of a server: the update worker, the scheduler and version rebuilds.

One ``LiveRuntime`` per open store. The store tells it, after each commit that appended
activities, which contacts they belong to; the worker collects those keys for
``batch_seconds``, updates the touched contacts of every served journey version in one
transaction (``updater.update_contacts``) and records the lag from each commit to the state
being current. The scheduler thread, every ``sync_seconds``, starts rebuilds of journeys
turned live or edited since (a new version is rebuilt in its own thread while the previous
one keeps being served) and, every ``stall_check_seconds``, records closed windows and
stalls. Consumers of events register a callback or wait on the runtime's condition.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np

from headway.backends.base import Backend
from headway.live import updater
from headway.live.records import last_seq
from headway.store import Store
from headway.store.store import drain

log = logging.getLogger("headway.live")

_RUNTIMES: weakref.WeakKeyDictionary[Store, LiveRuntime] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()
LAG_SAMPLES = 100_000


@dataclass(frozen=True)
class LagFigures:
    """The lag from an append's commit to the touched contacts' state being current."""

    batches: int
    p50_seconds: float | None
    p99_seconds: float | None
    max_seconds: float | None
    queued: int


class EventSignal:
    """Wakes consumers when events are recorded (a condition plus callbacks), per store."""

    def __init__(self, latest: int) -> None:
        self.latest = latest
        self._cond = threading.Condition()
        self._callbacks: list[Callable[[int], None]] = []

    def recorded(self, latest: int) -> None:
        """Say that events up to ``latest`` are committed."""
        with self._cond:
            self.latest = max(self.latest, latest)
            self._cond.notify_all()
        for callback in list(self._callbacks):
            try:
                callback(self.latest)
            except Exception:  # one consumer's bug must not stop the live worker
                log.exception("journey event callback failed")

    def wait(self, after: int, timeout: float) -> int:
        """Block until an event with seq > ``after`` is recorded (or ``timeout``); the latest."""
        with self._cond:
            self._cond.wait_for(lambda: self.latest > after, timeout=max(0.0, timeout))
            return self.latest

    def subscribe(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call ``callback(latest_seq)`` after each commit that recorded events."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback)


_SIGNALS: weakref.WeakKeyDictionary[Store, EventSignal] = weakref.WeakKeyDictionary()


def signal_for(store: Store) -> EventSignal:
    """The event signal of a store (created on first use)."""
    with _REGISTRY_LOCK:
        found = _SIGNALS.get(store)
        if found is None:
            found = EventSignal(last_seq(store))
            _SIGNALS[store] = found
        return found


def runtime_for(store: Store) -> LiveRuntime | None:
    """The running live runtime of a store, if any."""
    with _REGISTRY_LOCK:
        return _RUNTIMES.get(store)


class LiveRuntime:
    """The worker, scheduler and rebuild threads of one store (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        backend: Backend,
        *,
        batch_seconds: float = 0.05,
        stall_check_seconds: float = 60.0,
        sync_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self.backend = backend
        self.batch_seconds = batch_seconds
        self.stall_check_seconds = stall_check_seconds
        self.sync_seconds = sync_seconds
        self.signal = signal_for(store)
        self._queue: queue.Queue[tuple[float, np.ndarray] | None] = queue.Queue()
        self._lags: deque[float] = deque(maxlen=LAG_SAMPLES)
        self._batches = 0
        self._lock = threading.RLock()  # one state change at a time (worker, clock, switch)
        self._pending: dict[tuple[str, int], set[int]] = {}  # keys touched while building
        self._rebuilds: dict[tuple[str, int], threading.Thread] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._unhook: Callable[[], None] | None = None
        self._idle = threading.Condition()
        self._busy = 0

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> LiveRuntime:
        """Hook into the store's appends and start the threads."""
        with _REGISTRY_LOCK:
            _RUNTIMES[self.store] = self
        self._unhook = self.store.on_append(self._on_append)
        for target, name in ((self._work, "headway-live"), (self._schedule, "headway-live-clock")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop the threads (the queued keys are processed first)."""
        if self._unhook is not None:
            self._unhook()
            self._unhook = None
        self._stop.set()
        self._wake.set()
        self._queue.put(None)
        for thread in [*self._threads, *self._rebuilds.values()]:
            thread.join(timeout=30)
        with _REGISTRY_LOCK:
            if _RUNTIMES.get(self.store) is self:
                del _RUNTIMES[self.store]

    def wake(self) -> None:
        """Check the live journeys now (turned on/off, edited) instead of at the next tick."""
        self._wake.set()

    # -- figures -----------------------------------------------------------------------
    def lag(self) -> LagFigures:
        """Lag figures over the last batches."""
        values = np.array(self._lags, dtype=np.float64)
        if len(values) == 0:
            return LagFigures(self._batches, None, None, None, self._queue.qsize())
        return LagFigures(
            self._batches,
            float(np.percentile(values, 50)),
            float(np.percentile(values, 99)),
            float(values.max()),
            self._queue.qsize(),
        )

    def reset_lag(self) -> None:
        """Forget the lag figures so far."""
        self._lags.clear()
        self._batches = 0

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until every queued key and every rebuild is processed (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._idle:
                quiet = self._busy == 0 and self._queue.empty()
            rebuilding = any(t.is_alive() for t in self._rebuilds.values())
            if quiet and not rebuilding and not self._pending_any():
                return True
            time.sleep(0.02)
        return False

    def _pending_any(self) -> bool:
        with self._lock:
            return any(self._pending.values())

    # -- the worker --------------------------------------------------------------------
    def _on_append(self, keys: np.ndarray) -> None:
        self._queue.put((time.monotonic(), keys))

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            with self._idle:
                self._busy += 1
            try:
                if self.batch_seconds > 0:
                    time.sleep(self.batch_seconds)
                items, stop = drain(self._queue, first)
                keys = np.unique(np.concatenate([k for _, k in items]))
                try:
                    self._update(keys)
                except Exception:
                    log.exception("live update of %d contacts failed", len(keys))
                done = time.monotonic()
                self._lags.extend(done - t for t, _ in items)
                self._batches += len(items)
            finally:
                with self._idle:
                    self._busy -= 1
            if stop:
                return

    def _update(self, keys: np.ndarray) -> None:
        with self._lock:
            for target in updater.building(self.store):
                self._pending.setdefault(target, set()).update(keys.tolist())
            events = updater.update_contacts(self.store, self.backend, keys)
        if events:
            self.signal.recorded(last_seq(self.store))

    # -- the scheduler -----------------------------------------------------------------
    def _schedule(self) -> None:
        next_clock = time.monotonic() + min(self.stall_check_seconds, 1.0)
        while not self._stop.is_set():
            try:
                self.sync()
                if time.monotonic() >= next_clock:
                    next_clock = time.monotonic() + self.stall_check_seconds
                    self.check_clock()
            except Exception:
                log.exception("live scheduler tick failed")
            self._wake.wait(timeout=self.sync_seconds)
            self._wake.clear()

    def check_clock(self) -> None:
        """Record closed windows and stalls now."""
        with self._lock:
            events = updater.check_clock(self.store)
        if events:
            self.signal.recorded(last_seq(self.store))

    def sync(self) -> None:
        """Start the rebuilds that live journeys need (turned on, or a new version saved)."""
        rows = self.store.execute(
            "SELECT l.name, l.version, max(j.version) FILTER (WHERE NOT j.deleted),"
            " bool_or(j.deleted) FROM live_journeys l LEFT JOIN journeys j ON j.name = l.name"
            " WHERE l.active GROUP BY l.name, l.version"
        ).rows
        for name, served, latest, deleted in rows:
            if latest is None or deleted:
                set_inactive(self.store, str(name))
                continue
            if served == latest:
                status = self.store.execute(
                    "SELECT status FROM live_versions WHERE journey = ? AND version = ?",
                    [name, served],
                ).scalar()
                if status == "stale":  # appended to without a live worker: rebuilt (no events)
                    self.rebuild(str(name), int(served))
                continue
            known = self.store.execute(
                "SELECT status FROM live_versions WHERE journey = ? AND version = ?",
                [name, latest],
            ).scalar()
            if known in (updater.BUILDING, updater.FAILED) and (name, latest) in self._rebuilds:
                continue
            if known == updater.FAILED:
                continue
            self.rebuild(str(name), int(latest))

    def rebuild(self, name: str, version: int) -> None:
        """Rebuild a version's state in a thread of its own (state only, no events)."""
        key = (name, version)
        running = self._rebuilds.get(key)
        if running is not None and running.is_alive():
            return
        with self._lock:
            updater.start_version(self.store, name, version)
            self._pending[key] = set()
        thread = threading.Thread(
            target=self._rebuild,
            args=(name, version),
            name=f"headway-live-rebuild-{name}",
            daemon=True,
        )
        self._rebuilds[key] = thread
        thread.start()

    def _rebuild(self, name: str, version: int) -> None:
        key = (name, version)
        try:
            updater.rebuild_version(self.store, self.backend, name, version)
            with self._lock:
                # Keys touched while building: matched again now that the version is served.
                leftover = self._pending.pop(key, set())
                if leftover:
                    self._update(np.array(sorted(leftover), dtype=np.int64))
        except Exception:
            log.exception("rebuild of %s version %d failed", name, version)
            with self._lock:
                self._pending.pop(key, None)


def set_inactive(store: Store, name: str) -> None:
    """Stop keeping a journey live: its flag off, its state and versions dropped."""

    def write(conn: duckdb.DuckDBPyConnection) -> None:
        conn.execute(
            "UPDATE live_journeys SET active = false, version = NULL WHERE name = ?", [name]
        )
        conn.execute("DELETE FROM live_state WHERE journey = ?", [name])
        conn.execute("DELETE FROM live_versions WHERE journey = ?", [name])

    store.write(write)
