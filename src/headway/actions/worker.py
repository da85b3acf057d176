"""The action worker of ``headway serve``: fan-out and deliveries on one thread, cohort syncs
and digests on another, so a slow report never holds a delivery (and nothing holds a request).

Woken right after journey events are committed (when the live state offers the hook), and
every ``poll_seconds`` regardless (retries fall due, a restart resumes what was pending).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from headway.actions import cohort_sync, digest
from headway.actions.delivery import Deliverer
from headway.actions.fanout import fan_out
from headway.actions.settings import ActionSettings
from headway.store import Store

log = logging.getLogger("headway.actions")


class ActionWorker:
    """Background threads that act on journey events, cohorts and digests."""

    def __init__(
        self,
        store: Store,
        settings: ActionSettings,
        *,
        members: cohort_sync.Members,
        funnel: digest.Funnel,
        journeys: Callable[[], list[str]],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.settings = settings
        self.members = members
        self.funnel = funnel
        self.journeys = journeys
        self.clock = clock
        self.started = clock()
        self._next_digest_check = self.started
        self.deliverer = Deliverer(store, settings, clock)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._deliver_loop, name="headway-actions", daemon=True),
            threading.Thread(target=self._schedule_loop, name="headway-schedule", daemon=True),
        ]

    def start(self) -> ActionWorker:
        """Start both threads."""
        for t in self._threads:
            t.start()
        return self

    def wake(self, *_: object) -> None:
        """Look for new events and due deliveries now (quick: sets a flag)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop the threads; deliveries in flight finish (each within the timeout)."""
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout=self.settings.timeout_seconds + 5)
        self.deliverer.close()

    def _deliver_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                fan_out(self.store, self.clock())
                self.deliverer.submit_due(done=self.wake)
            except Exception:  # a bad row or a busy file must not end the worker
                log.exception("journey actions: fan-out or delivery failed; retrying")
            self._wake.wait(self.settings.poll_seconds)

    def _schedule_loop(self) -> None:
        while not self._stop.wait(self.settings.poll_seconds):
            try:
                self.run_due(self.clock())
            except Exception:
                log.exception("journey actions: a cohort sync or digest failed; retrying")

    def run_due(self, now: datetime) -> None:
        """Run the cohort syncs and digests that are due at ``now``."""
        for sync in cohort_sync.active(self.store):
            if self._stop.is_set():
                return
            if cohort_sync.due(sync, now):
                cohort_sync.run(self.store, sync, self.members, now,
                                page_size=self.settings.page_size,
                                timeout=self.settings.timeout_seconds)  # fmt: skip
        every = timedelta(seconds=self.settings.digest.seconds())
        if now < self._next_digest_check:
            return
        # Listing journeys parses each definition: look at most once a minute (or a period).
        self._next_digest_check = now + min(every, timedelta(seconds=60))
        for journey in self.journeys():
            if self._stop.is_set():
                return
            if (digest.last_end(self.store, journey) or self.started) + every <= now:
                digest.make(self.store, journey, self.funnel, self.settings.digest, now)
