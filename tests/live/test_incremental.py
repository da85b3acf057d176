"""Live journeys: the incrementally kept state equals a full recompute, whatever the arrival
order (in order, late, out of order, repeated), in every order mode, with exclusions, exits
and first-time stages; and each transition gives exactly one event, a rebuild none."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headway.api import Headway
from headway.engine.kernel.match_types import NOT_REACHED
from headway.engine.options import to_micros
from headway.live import records, updater
from headway.live.events import event_id
from headway.live.state import LIVE_AS_OF, match_all, states_from
from headway.store import Store

BASE = datetime(2026, 3, 1, 9, 0)
NOW = BASE + timedelta(minutes=25)  # some windows (10 min) closed, some still open
TYPES = ("a", "b", "c", "x", "e")
CONTACTS = ("c0", "c1", "c2", "c3")


def journey(mode: str, exclusions: bool, exit_: bool, first_time: bool) -> dict[str, Any]:
    """Three stages, the third repeating the first's type (needs a strictly later activity)."""
    b: dict[str, Any] = {"name": "B", "when": {"type": "b"}}
    if first_time:
        b["first_time"] = "event"
    out: dict[str, Any] = {
        "name": "p",
        "order": mode,
        "window": "10m",
        "stages": [
            {"name": "A", "when": {"type": "a"}},
            b,
            {"name": "C", "when": {"type": ["a", "c"]}, "kpi": 2},
        ],
    }
    if exclusions:
        out["exclusions"] = [{"when": {"type": "x"}, "between": ["A", "C"]}]
    if exit_:
        out["exit_when"] = {"type": "e"}
    return out


activity = st.tuples(
    st.sampled_from(CONTACTS), st.sampled_from(TYPES), st.integers(min_value=0, max_value=30)
)


def record(i: int, contact: str, type_: str, minute: int) -> dict[str, Any]:
    """Activity ``i`` (its id fixed, so a repeat is a duplicate)."""
    ts = BASE + timedelta(minutes=minute)
    return {"id": f"act-{i}", "contact": contact, "type": type_, "ts": ts.isoformat() + "Z"}


class Live:
    """A store with one live journey, updated the way the server's worker does it."""

    def __init__(self, path: Path, definition: dict[str, Any], now: datetime = NOW) -> None:
        self.now = now
        self.store = Store(path)
        self.hw = Headway(self.store)
        self.journey = self.hw.journey(definition)
        self.hw.save_journey(self.journey)
        self.hw.set_journey_live("p")
        updater.start_version(self.store, "p", 1)
        updater.rebuild_version(self.store, self.hw.backend, "p", 1, now=now)
        self.touched: list[np.ndarray] = []
        self.store.on_append(self.touched.append)

    def arrive(self, batch: list[dict[str, Any]]) -> None:
        """Append a batch, then update the contacts it touched."""
        self.hw.add_activities(batch)
        self.settle()

    def settle(self) -> None:
        """Update the contacts the writes since the last update touched."""
        keys = np.unique(np.concatenate(self.touched)) if self.touched else np.zeros(0)
        self.touched.clear()
        updater.update_contacts(self.store, self.hw.backend, keys, now=self.now)

    def stored(self, version: int = 1) -> dict[int, Any]:
        """The stored states (stall marks aside)."""
        found = records.read_states(self.store.cursor(), "p", version, None)
        return {
            k: (s.reached, s.removed, s.stage_us, s.exit_us, s.status) for k, s in found.items()
        }

    def recomputed(self) -> dict[int, Any]:
        """A full recompute through the engine's partitioned matcher."""
        now_us = to_micros(self.now)
        out = {}
        for result in match_all(self.hw.backend, self.journey):
            for s in states_from(self.journey, result, now_us):
                out[s.contact_key] = (s.reached, s.removed, s.stage_us, s.exit_us, s.status)
        return out

    def close(self) -> None:
        """Close the store."""
        self.store.close()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    mode=st.sampled_from(["ordered", "strict", "unordered"]),
    exclusions=st.booleans(),
    exit_=st.booleans(),
    first_time=st.booleans(),
    acts=st.lists(activity, min_size=1, max_size=24),
    data=st.data(),
)
def test_incremental_state_equals_full_recompute(
    mode: str,
    exclusions: bool,
    exit_: bool,
    first_time: bool,
    acts: list[tuple[str, str, int]],
    data: st.DataObject,
) -> None:
    """Any interleaving of arrivals (any order, late, repeated) ends at the recompute."""
    recs = [record(i, *a) for i, a in enumerate(acts)]
    order = data.draw(st.permutations(range(len(recs))), label="arrival order")
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(recs) - 1))), label="cuts"))
    repeats = data.draw(st.lists(st.integers(0, len(recs) - 1), max_size=4), label="repeats")
    arrivals = [recs[i] for i in order] + [recs[i] for i in repeats]
    bounds = [0, *[c for c in cuts if c < len(arrivals)], len(arrivals)]
    with tempfile.TemporaryDirectory() as tmp:
        live = Live(Path(tmp) / "live.duckdb", journey(mode, exclusions, exit_, first_time))
        try:
            for lo, hi in pairwise(bounds):
                if hi > lo:
                    live.arrive(arrivals[lo:hi])
            assert live.stored() == live.recomputed()
            # And the engine's own report agrees on who reached what.
            matched = live.hw.match(live.journey, as_of=LIVE_AS_OF)
            res = matched.result
            engine = {
                int(res.contact[i]): (int(res.reached[i]), bool(res.removed[i]))
                for i in range(len(res))
                if res.reached[i] > 0 or res.removed[i]
            }
            assert {k: v[:2] for k, v in live.stored().items()} == engine
            exits = {int(k): int(t) for k, t in zip(res.contact, res.exit_ts, strict=True)}
            for key, state in live.stored().items():
                assert (state[3] if state[3] is not None else NOT_REACHED) == exits[key]
        finally:
            live.close()


def test_in_order_arrivals_give_one_event_per_transition(tmp_path: Path) -> None:
    """Arriving in time order, each stage reached is announced once, conversion once, a
    replayed batch adds nothing, and a rebuild of a new version records no event."""
    early = BASE + timedelta(minutes=9, seconds=30)  # no window has closed yet
    live = Live(tmp_path / "live.duckdb", journey("ordered", False, True, False), early)
    try:
        plan = [
            ("c0", "a", 0), ("c1", "a", 1), ("c0", "b", 2), ("c2", "a", 3), ("c0", "c", 4),
            ("c1", "b", 5), ("c1", "e", 6), ("c3", "b", 7), ("c3", "a", 8), ("c3", "b", 9),
        ]  # fmt: skip
        recs = [record(i, *p) for i, p in enumerate(plan)]
        for rec in recs:
            live.arrive([rec])
        live.arrive(recs[:5])  # a replay: duplicates, no transition
        events = live.hw.journey_events()
        kinds = [(e.contact, e.kind, e.stage) for e in events]
        assert kinds == [
            ("c0", "stage_entered", 0),
            ("c1", "stage_entered", 0),
            ("c0", "stage_entered", 1),
            ("c2", "stage_entered", 0),
            ("c0", "stage_entered", 2),
            ("c0", "converted", 2),
            ("c1", "stage_entered", 1),
            ("c1", "dropped", 1),
            ("c3", "stage_entered", 0),
            ("c3", "stage_entered", 1),
        ]
        assert [e.seq for e in events] == sorted(e.seq for e in events)
        assert len({e.id for e in events}) == len(events)
        dropped = next(e for e in events if e.kind == "dropped")
        assert dropped.data["reason"] == "exit"
        assert dropped.occurred_at == BASE + timedelta(minutes=6)
        entered = events[0]
        assert entered.data["contact"] == "c0" and entered.data["stage_name"] == "A"
        assert entered.occurred_at == BASE and entered.attempt_at == BASE
        assert entered.data["entered_at"] == "2026-03-01T09:00:00.000000Z"
        assert entered.data["stage_number"] == 1
        key = live.store.execute("SELECT key FROM contacts WHERE id = 'c0'").scalar()
        assert entered.id == event_id("p", 1, key, to_micros(BASE), "stage_entered", 0)
        converted = next(e for e in events if e.kind == "converted")
        assert converted.data["seconds_to_convert"] == 240.0

        # A late activity: c2's "b" before its "a" does not move it (ordered); c2's "b"
        # after it does, once.
        live.arrive([record(100, "c2", "b", 2)])
        live.arrive([record(101, "c2", "b", 4)])
        late = live.hw.journey_events(events[-1].seq)
        assert [(e.contact, e.kind, e.stage) for e in late] == [("c2", "stage_entered", 1)]
        assert late[0].occurred_at == BASE + timedelta(minutes=4)

        # Editing the journey: the new version is rebuilt with no event for the past.
        before = live.hw.last_event_seq()
        edited = journey("ordered", False, False, False)
        edited["window"] = "20m"
        version = live.hw.save_journey(live.hw.journey(edited))
        assert version == 2
        updater.start_version(live.store, "p", 2)
        updater.rebuild_version(live.store, live.hw.backend, "p", 2, now=early)
        assert live.hw.last_event_seq() == before
        assert live.hw.live_status("p").version == 2
        assert live.stored(1) == {}
        assert live.stored(2)  # the new version's state is there
    finally:
        live.close()


def test_the_clock_records_stalls_and_closed_windows_once(tmp_path: Path) -> None:
    """The scheduler's check: a stall past ``stall_after`` once, a closed window once."""
    definition = journey("ordered", False, False, False)
    definition["stall_after"] = "3m"
    live = Live(tmp_path / "live.duckdb", definition, BASE + timedelta(minutes=21, seconds=30))
    try:
        live.arrive([record(0, "c0", "a", 14), record(1, "c1", "a", 20), record(2, "c1", "b", 21)])
        seen = live.hw.last_event_seq()
        now = BASE + timedelta(minutes=25)
        updater.check_clock(live.store, now)
        updater.check_clock(live.store, now + timedelta(seconds=1))  # nothing new
        events = live.hw.journey_events(seen)
        got = sorted((e.contact, e.kind, e.stage, e.data.get("reason")) for e in events)
        assert got == [("c0", "dropped", 0, "window"), ("c1", "stage_stalled", 1, None)]
        closed = next(e for e in events if e.kind == "dropped")
        assert closed.occurred_at == BASE + timedelta(minutes=24)
        stalled = next(e for e in events if e.kind == "stage_stalled")
        assert stalled.occurred_at == BASE + timedelta(minutes=24)
        assert stalled.data["stall_after_seconds"] == 180.0
        status = live.hw.live_status("p")
        assert [(s.reached, s.stalled, s.dropped) for s in status.stages] == [
            (2, 0, 1),
            (1, 1, 0),
            (0, 0, 0),
        ]
    finally:
        live.close()


def test_an_identity_merge_moves_the_merged_activities(tmp_path: Path) -> None:
    """Merging an anonymous id into a contact: the contact's state takes its activities (and
    says so once); the anonymous id's own state goes; undoing the merge restores both."""
    early = BASE + timedelta(minutes=9)
    live = Live(tmp_path / "live.duckdb", journey("ordered", False, False, False), early)
    try:
        live.arrive(
            [record(0, "known", "a", 0), record(1, "anon", "a", 1), record(2, "anon", "b", 2)]
        )
        seen = live.hw.last_event_seq()
        live.hw.merge("anon", "known")
        live.settle()
        assert live.stored() == live.recomputed()
        assert [s.name for s in live.hw.live_status("p").stages] == ["A", "B", "C"]
        moved = live.hw.journey_events(seen)
        assert [(e.contact, e.kind, e.stage) for e in moved] == [("known", "stage_entered", 1)]
        assert live.hw.live_contact("p", "known").reached == 2
        assert live.hw.live_status("p").contacts == 1
        found = live.hw.identities("known")
        assert not isinstance(found, tuple)
        link = found.links[0]
        live.hw.unmerge(link.id)
        live.settle()
        assert live.stored() == live.recomputed()
        assert live.hw.live_status("p").contacts == 2
    finally:
        live.close()


def test_erasing_a_contact_removes_its_live_state_and_events(tmp_path: Path) -> None:
    """Erasure (a privacy request) leaves nothing of the contact in the live tables."""
    early = BASE + timedelta(minutes=9)
    live = Live(tmp_path / "live.duckdb", journey("ordered", False, False, False), early)
    try:
        live.arrive([record(0, "gone", "a", 0), record(1, "kept", "a", 1)])
        report = live.hw.erase_contact("gone")
        assert report.removed["live_state"] == 1 and report.removed["journey_events"] == 1
        assert [e.contact for e in live.hw.journey_events()] == ["kept"]
        assert live.hw.live_status("p").contacts == 1
    finally:
        live.close()


def test_an_import_and_its_undo_keep_the_state_exact(tmp_path: Path) -> None:
    """Rows imported from a file update the state like any append; undoing the import
    matches its contacts again without its rows."""
    early = BASE + timedelta(minutes=9)
    live = Live(tmp_path / "live.duckdb", journey("ordered", False, False, False), early)
    try:
        live.arrive([record(0, "c0", "a", 0)])
        path = tmp_path / "more.jsonl"
        lines = [record(1, "c0", "b", 1), record(2, "c1", "a", 2)]
        path.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
        outcome = live.hw.import_files([path])
        live.settle()
        assert live.stored() == live.recomputed()
        assert live.hw.live_contact("p", "c0").reached == 2
        assert outcome.import_id is not None
        live.hw.undo_import(outcome.import_id)
        live.settle()
        assert live.stored() == live.recomputed()
        assert live.hw.live_contact("p", "c0").reached == 1
        assert live.hw.live_status("p").contacts == 1
    finally:
        live.close()


def test_appends_without_a_server_are_folded_in_when_it_starts(tmp_path: Path) -> None:
    """A command appending while no server runs marks the state stale; the live runtime
    rebuilds it at start (state, no events), and then follows appends again."""
    path = tmp_path / "live.duckdb"
    live = Live(path, journey("ordered", False, False, False), BASE + timedelta(minutes=9))
    live.arrive([record(0, "c0", "a", 0)])
    live.close()
    with Store(path) as store:  # a command line: no live worker listens
        Headway(store).add_activities([record(1, "c0", "b", 1), record(2, "c1", "a", 2)])
        assert Headway(store).live_status("p").status == "stale"
    with Store(path) as store:
        hw = Headway(store)
        seen = hw.last_event_seq()
        runtime = hw.start_live(sync_seconds=0.05, stall_check_seconds=3600)
        try:
            deadline = time.monotonic() + 60
            while hw.live_status("p").status != "ready" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert hw.live_contact("p", "c0").reached == 2
            assert hw.live_status("p").contacts == 2
            assert hw.last_event_seq() == seen  # a rebuild: no events for what happened offline
            hw.add_activities([record(3, "c1", "b", 3)])
            assert runtime.wait_idle(60)
            events = hw.journey_events(seen)
            assert [(e.contact, e.kind, e.stage) for e in events] == [("c1", "stage_entered", 1)]
        finally:
            hw.stop_live()
