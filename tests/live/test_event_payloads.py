"""Journey event payloads: ``data`` keeps only what the event's columns do not hold, and the
payload read back (``journey_events``, the actions' fan-out) is the documented one, key for
key and in order, for every kind; events stored with their whole payload read back as
stored."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from headway.actions.fanout import new_events
from headway.live import updater
from headway.live.events import JourneyEvent, iso
from tests.live.test_incremental import BASE, Live, journey, record


def expected(e: JourneyEvent, stall_after: float | None = None) -> dict[str, Any]:
    """The payload docs/live.md describes, from the event's columns."""
    out: dict[str, Any] = {
        "journey": e.journey, "version": e.version, "kind": e.kind, "contact": e.contact,
        "attempt_at": iso(e.attempt_at), "stage": e.stage, "stage_name": e.stage_name,
        "occurred_at": iso(e.occurred_at),
    }  # fmt: skip
    if e.kind == "stage_entered":
        assert e.stage is not None
        out |= {"stage_number": e.stage + 1, "entered_at": iso(e.occurred_at),
                "entry_at": iso(e.attempt_at)}  # fmt: skip
    elif e.kind == "converted":
        assert e.attempt_at is not None
        seconds = (e.occurred_at - e.attempt_at) / timedelta(microseconds=1) / 1e6
        out |= {"entry_at": iso(e.attempt_at), "seconds_to_convert": seconds}
    elif e.kind == "dropped":
        out |= {"reason": e.data["reason"], "last_stage": e.stage, "last_stage_name": e.stage_name}
    elif e.kind == "stage_stalled":
        assert stall_after is not None
        since = e.occurred_at - timedelta(seconds=stall_after)
        out |= {"since": iso(since), "stall_after_seconds": stall_after}
    else:
        out |= {"kpi": 2, "count": e.data["count"]}
    return out


def test_every_kind_reads_back_as_documented(tmp_path: Path) -> None:
    definition = journey("ordered", True, True, False)
    definition["stall_after"] = "3m"
    early = BASE + timedelta(minutes=9, seconds=30)
    live = Live(tmp_path / "live.duckdb", definition, early)
    try:
        live.arrive([
            record(0, "c0", "a", 0), record(1, "c0", "b", 1), record(2, "c0", "c", 2),
            record(3, "c1", "a", 3), record(4, "c1", "a", 4), record(5, "c1", "b", 5),
            record(6, "c1", "c", 6), record(7, "c2", "a", 5), record(8, "c2", "e", 6),
            record(9, "c3", "a", 1), record(10, "c3", "b", 2), record(12, "c4", "a", 7),
        ])  # fmt: skip
        live.arrive([record(11, "c3", "x", 3)])  # a late exclusion voids c3's attempt
        updater.check_clock(live.store, BASE + timedelta(minutes=11))  # c4 stalls at A
        updater.check_clock(live.store, BASE + timedelta(minutes=30))  # windows close
        events = live.hw.journey_events()
        kinds = {(e.kind, e.data.get("reason")) for e in events}
        assert kinds >= {
            ("stage_entered", None), ("converted", None), ("kpi_reached", None),
            ("dropped", "exit"), ("dropped", "excluded"), ("dropped", "window"),
            ("stage_stalled", None),
        }  # fmt: skip
        for e in events:
            want = expected(e, 180.0)
            assert list(e.data.items()) == list(want.items()), e.kind
        fanned = {r.id: r.data for r in new_events(live.store, 0)}
        assert all(list(fanned[e.id].items()) == list(e.data.items()) for e in events)
        # What is stored is only the kind's own values.
        stored = dict(live.store.execute("SELECT id, data FROM journey_events").rows)
        assert all("journey" not in orjson.loads(stored[e.id]) for e in events)

        # An event stored with its whole payload (recorded before payloads were completed
        # when read) reads back as stored.
        whole = {"journey": "p", "version": 1, "kind": "stage_entered", "contact": "old",
                 "stage": 0, "stage_name": "A", "occurred_at": "2026-01-01T00:00:00Z"}  # fmt: skip
        now = datetime(2026, 3, 2)
        live.store.write(lambda c: c.execute(
            "INSERT INTO journey_events VALUES (999, 'evt_old', 'p', 1, 'stage_entered', NULL,"
            " 'old', NULL, 0, 'A', ?, ?, ?)", [now, now, orjson.dumps(whole).decode()]))  # fmt: skip
        (old,) = live.hw.journey_events(998)
        assert old.data == whole and list(old.data) == list(whole)
        assert new_events(live.store, 998)[0].data == whole
    finally:
        live.close()
