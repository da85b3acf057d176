"""The live-journeys part of the service (``Headway`` inherits it): turn journeys live, read
their state and progress, read journey events and wait for new ones."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from headway.engine.options import to_micros, utc_now
from headway.errors import InvalidInput, NotFound
from headway.live import records, updater
from headway.live.events import KINDS, JourneyEvent
from headway.live.runtime import LagFigures, LiveRuntime, runtime_for, set_inactive, signal_for
from headway.service.base import ServiceBase
from headway.store.journeys import stored_definition

MAX_EVENTS_PAGE = 10_000


@dataclass(frozen=True)
class LiveStage:
    """One stage of a live journey now: contacts whose best attempt reached it, and where
    those whose last stage it is stand (in progress, stalled, dropped)."""

    name: str
    reached: int
    at_stage: int
    stalled: int
    dropped: int


@dataclass(frozen=True)
class LiveStatus:
    """A journey's live state: on or off, the version served, rebuild progress, counts."""

    name: str
    active: bool
    version: int | None
    building_version: int | None
    status: str  # off | building | ready | failed
    progress: float | None  # 0..1 of the rebuild in progress (None: none running)
    contacts_done: int | None
    contacts_total: int | None
    error: str | None
    contacts: int  # contacts in the served state (removed included)
    stages: tuple[LiveStage, ...]
    changed_at: datetime | None


@dataclass(frozen=True)
class LiveContact:
    """One contact's current best attempt at a live journey (the matcher's figures)."""

    journey: str
    version: int
    contact: str
    reached: int
    stage: str | None
    removed: bool
    status: str
    stage_times: tuple[datetime | None, ...]
    exit_at: datetime | None
    stalled_stage: int | None


class LiveService(ServiceBase):
    """Live journeys: stage state kept current on ingest; journey events (docs/live.md)."""

    # -- turning live ------------------------------------------------------------------
    def set_journey_live(self, name: str, active: bool = True) -> LiveStatus:
        """Keep a stored journey's stage state current (or stop); its live status."""
        stored_definition(self.store, name)  # NotFound (with a close name) when absent
        if active:

            def on(conn: duckdb.DuckDBPyConnection) -> None:
                conn.execute(
                    "INSERT INTO live_journeys (name, active, version, changed_at)"
                    " VALUES (?, true, NULL, ?) ON CONFLICT (name) DO UPDATE SET active = true,"
                    " changed_at = excluded.changed_at",
                    [name, utc_now()],
                )

            self.store.write(on)
        else:
            set_inactive(self.store, name)
        runtime = runtime_for(self.store)
        if runtime is not None:
            runtime.wake()
        return self.live_status(name)

    def rebuild_live(self, name: str) -> LiveStatus:
        """Rebuild a live journey's state from the whole log (state only, no events)."""
        status = self.live_status(name)
        if not status.active:
            raise InvalidInput(f"journey {name!r} is not live; turn it on first")
        runtime = runtime_for(self.store)
        version = stored_definition(self.store, name)[1]
        if runtime is not None:
            runtime.rebuild(name, version)
        else:
            updater.start_version(self.store, name, version)
            updater.rebuild_version(self.store, self.backend, name, version)
        return self.live_status(name)

    def live_journeys(self) -> list[LiveStatus]:
        """Every journey turned live, by name."""
        names = self.store.execute("SELECT name FROM live_journeys WHERE active ORDER BY name")
        return [self.live_status(str(r[0])) for r in names.rows]

    def live_status(self, name: str) -> LiveStatus:
        """A journey's live status (``off`` when it is not live)."""
        row = self.store.execute(
            "SELECT active, version, changed_at FROM live_journeys WHERE name = ?", [name]
        ).first()
        if row is None or not row[0]:
            stored_definition(self.store, name)
            return LiveStatus(name, False, None, None, "off", None, None, None, None, 0, (), None)
        served = None if row[1] is None else int(row[1])
        latest = self.store.execute(
            "SELECT version, status, contacts_done, contacts_total, error FROM live_versions"
            " WHERE journey = ? AND status IN ('building', 'failed', 'stale')"
            " AND version >= coalesce(?, 0) ORDER BY version DESC LIMIT 1",
            [name, served],
        ).first()
        building = None if latest is None else int(latest[0])
        done = total = None
        progress = error = None
        status = "ready" if served is not None else "building"
        if latest is not None:
            status = str(latest[1]) if served is None or latest[1] != "failed" else status
            done = int(latest[2])
            total = None if latest[3] is None else int(latest[3])
            progress = (
                (min(1.0, done / total) if total else 0.0) if latest[1] == "building" else None
            )
            error = latest[4]
        stages: tuple[LiveStage, ...] = ()
        contacts = 0
        if served is not None:
            journey = updater.journey_version(self.store, name, served)
            stages, contacts = self._live_stages(name, served, [s.name for s in journey.stages])
        return LiveStatus(
            name,
            True,
            served,
            building,
            status,
            progress,
            done,
            total,
            error,
            contacts,
            stages,
            row[2],
        )

    def _live_stages(
        self, name: str, version: int, names: list[str]
    ) -> tuple[tuple[LiveStage, ...], int]:
        rows = self.store.execute(
            "SELECT reached, removed, status, stalled_stage, count(*) FROM live_state"
            " WHERE journey = ? AND version = ? GROUP BY ALL",
            [name, version],
        ).rows
        n = len(names)
        reached, at, stalled, dropped = [0] * n, [0] * n, [0] * n, [0] * n
        total = 0
        for r_, removed, status, stalled_stage, count in rows:
            total += int(count)
            if removed or not r_:
                continue
            k = int(r_) - 1
            for i in range(k + 1):
                reached[i] += int(count)
            at[k] += int(count)
            if status == "dropped":
                dropped[k] += int(count)
            elif status == "in_progress" and stalled_stage == k:
                stalled[k] += int(count)
        stages = tuple(
            LiveStage(names[i], reached[i], at[i], stalled[i], dropped[i]) for i in range(n)
        )
        return stages, total

    def live_contact(self, name: str, contact: str) -> LiveContact:
        """A contact's current state at a live journey."""
        status = self.live_status(name)
        if status.version is None:
            raise NotFound(f"journey {name!r} has no live state yet (status: {status.status})")
        key = self.store.execute("SELECT key FROM contacts WHERE id = ?", [contact]).scalar()
        if key is None:
            raise NotFound(f"no contact {contact!r}")
        found = records.read_states(self.store.cursor(), name, status.version, None)
        state = found.get(int(key))
        journey = updater.journey_version(self.store, name, status.version)
        if state is None:
            return LiveContact(
                name, status.version, contact, 0, None, False, "not_entered", (), None, None
            )
        now = updater.status_now(journey, state, to_micros(utc_now()))
        return LiveContact(
            name,
            status.version,
            contact,
            state.reached,
            journey.stages[state.reached - 1].name if state.reached else None,
            state.removed,
            now,
            tuple(records.micros_to_time(t) for t in state.stage_us[: state.reached]),
            records.micros_to_time(state.exit_us),
            state.stalled_stage,
        )

    # -- events ------------------------------------------------------------------------
    def journey_events(
        self,
        after: int = 0,
        *,
        limit: int = 1000,
        journey: str | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[JourneyEvent]:
        """Journey events with ``seq > after``, oldest first (at most ``limit``)."""
        if after < 0:
            raise InvalidInput(f"after must be 0 or more, not {after}")
        if not 1 <= limit <= MAX_EVENTS_PAGE:
            raise InvalidInput(f"limit must be 1 to {MAX_EVENTS_PAGE}, not {limit}")
        unknown = [k for k in kinds or () if k not in KINDS]
        if unknown:
            raise InvalidInput(f"unknown event kind {unknown[0]!r} (kinds: {', '.join(KINDS)})")
        return records.read_events(self.store, after, limit, journey, kinds)

    def last_event_seq(self) -> int:
        """The highest journey event sequence number recorded (0 when none)."""
        return records.last_seq(self.store)

    def wait_for_events(self, after: int, timeout: float) -> int:
        """Block until an event with seq > ``after`` is recorded (or ``timeout`` s); the latest
        seq. In the server, a wake-up follows each commit; elsewhere the table is polled."""
        if runtime_for(self.store) is not None:
            return signal_for(self.store).wait(after, timeout)
        deadline = time.monotonic() + timeout
        while True:
            latest = records.last_seq(self.store)
            if latest > after or time.monotonic() >= deadline:
                return latest
            time.sleep(0.1)

    def on_journey_events(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call ``callback(latest_seq)`` right after each commit that recorded events (in the
        live thread: keep it quick); the function that unsubscribes."""
        return signal_for(self.store).subscribe(callback)

    # -- the server's machinery ----------------------------------------------------------
    def start_live(
        self,
        *,
        batch_seconds: float = 0.05,
        stall_check_seconds: float = 60.0,
        sync_seconds: float = 1.0,
    ) -> LiveRuntime:
        """Start the live worker and scheduler on this store (the server does, at start-up)."""
        found = runtime_for(self.store)
        if found is not None:
            return found
        return LiveRuntime(
            self.store,
            self.backend,
            batch_seconds=batch_seconds,
            stall_check_seconds=stall_check_seconds,
            sync_seconds=sync_seconds,
        ).start()

    def stop_live(self) -> None:
        """Stop the live worker and scheduler (queued updates are applied first)."""
        runtime = runtime_for(self.store)
        if runtime is not None:
            runtime.stop()

    def live_lag(self) -> LagFigures:
        """The lag from an append's commit to its contacts' state being current."""
        runtime = runtime_for(self.store)
        if runtime is None:
            return LagFigures(0, None, None, None, 0)
        return runtime.lag()
