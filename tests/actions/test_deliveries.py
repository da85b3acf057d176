"""Subscriptions, fan-out and delivery against a real local HTTP receiver and a DuckDB file.

Journey events are written to ``journey_events`` as the live state records them (the
schema of docs/actions.md); the fan-out and the deliverer run as the server's worker runs
them, one step at a time, so each state is checked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest

from headway.actions import signing
from headway.actions.delivery import Deliverer
from headway.actions.fanout import cursor, fan_out
from headway.actions.holdouts import held_out
from headway.actions.settings import ActionSettings
from headway.api import Headway
from headway.errors import InvalidInput, NotFound
from headway.model.journey import parse_journey
from headway.store import Store
from tests.actions.receivers import receiver

JOURNEY = {
    "name": "Trial",
    "stages": [
        {"name": "Visit", "when": {"type": "page_visit"}},
        {"name": "Signup", "when": {"type": "signup"}},
        {"name": "Buy", "when": {"type": "purchase"}},
    ],
}
FAST = ActionSettings(backoff_seconds=0.05, max_backoff_seconds=0.2, max_attempts=3)


def add_event(store: Store, seq: int, contact: str, kind: str = "stage_entered",
              stage: int = 0, journey: str = "Trial") -> str:  # fmt: skip
    """Record one journey event as the live state does; its id."""
    now = datetime.now() + timedelta(seconds=1)  # after the subscriptions were made
    eid = f"evt_{seq:04d}"
    data = {"journey": journey, "version": 1, "kind": kind, "contact": contact,
            "stage": stage, "stage_name": JOURNEY["stages"][stage]["name"],  # type: ignore[index]
            "occurred_at": "2026-01-01T00:00:00Z"}  # fmt: skip
    store.write(lambda c: c.execute(
        "INSERT INTO journey_events VALUES (?, ?, ?, 1, ?, NULL, ?, NULL, ?, ?, ?, ?, ?)",
        [seq, eid, journey, kind, contact, stage, data["stage_name"], now, now,
         orjson.dumps(data).decode()]))  # fmt: skip
    return eid


def send_all(store: Store, settings: ActionSettings = FAST, at: datetime | None = None) -> None:
    """One fan-out and one attempt at every delivery due (now, or ``at``), waited for."""
    fan_out(store, at or datetime.now())
    sender = Deliverer(store, settings, lambda: at or datetime.now())
    sender.drain()
    sender.close()


@pytest.fixture
def hw(store: Store) -> Headway:
    """The service on a fresh file with the Trial journey saved."""
    h = Headway(store)
    h.save_journey(parse_journey(JOURNEY))
    return h


def test_signed_delivery_once_per_event_and_subscription(hw: Headway, store: Store) -> None:
    with receiver() as r:
        sub = hw.subscribe("Trial", ["stage_entered"], url=r.url, holdout=0)
        other = hw.subscribe("Trial", ["converted"], url=r.url, holdout=0)
        ids = [add_event(store, 1, "ann"), add_event(store, 2, "bob", stage=1)]
        add_event(store, 3, "cat", kind="dropped")  # no subscription wants it
        send_all(store)
        send_all(store)  # nothing is sent twice
        got = r.accepted()
    assert sorted(g.headers["webhook-id"] for g in got) == ids
    for g in got:
        signing.verify(str(sub.secret), g.headers, g.body)
        with pytest.raises(signing.SignatureError, match="no signature matches"):
            signing.verify(str(other.secret), g.headers, g.body)
    first = orjson.loads(got[0].body)
    assert first["type"] == "journey.stage_entered"
    assert first["data"]["id"] == got[0].headers["webhook-id"]
    assert hw.delivery_counts() == {"delivered": 2}


def test_outage_is_retried_then_dead_then_replayed(hw: Headway, store: Store) -> None:
    with receiver() as r:
        sub = hw.subscribe("Trial", ["stage_entered"], url=r.url, holdout=0)
        eid = add_event(store, 1, "ann")
        r.status = 503
        t = datetime.now()
        send_all(store, at=t)
        [pending] = hw.deliveries(status="pending")
        assert (pending.attempts, pending.last_error) == (1, "HTTP 503: ")
        assert pending.next_attempt_at == t + timedelta(seconds=0.05)  # back-off 1
        send_all(store, at=t + timedelta(seconds=0.04))  # not due yet
        assert hw.deliveries()[0].attempts == 1
        send_all(store, at=t + timedelta(seconds=0.06))
        assert hw.deliveries()[0].next_attempt_at == t + timedelta(seconds=0.16)  # 0.06 + 0.1
        send_all(store, at=t + timedelta(seconds=0.2))
        [dead] = hw.deliveries(status="dead")
        assert (dead.event_id, dead.attempts, r.refused) == (eid, 3, 3)
        r.status = 200
        hw.replay_delivery(sub.id, eid)
        send_all(store)
        assert [g.headers["webhook-id"] for g in r.accepted()] == [eid]
    assert hw.delivery_counts() == {"delivered": 1}
    with pytest.raises(NotFound, match="no delivery of event 'nope'"):
        hw.replay_delivery(sub.id, "nope")


def test_pending_deliveries_survive_a_restart(db_path: Path) -> None:
    with receiver() as r:
        with Store(db_path) as store:
            hw = Headway(store)
            hw.save_journey(parse_journey(JOURNEY))
            hw.subscribe("Trial", ["stage_entered"], url=r.url, holdout=0)
            add_event(store, 1, "ann")
            fan_out(store, datetime.now())  # queued, not sent: the process stops here
        with Store(db_path) as store:
            send_all(store)
            assert Headway(store).delivery_counts() == {"delivered": 1}
        assert len(r.accepted()) == 1


def test_holdout_is_deterministic_and_recorded(hw: Headway, store: Store) -> None:
    with receiver() as r:
        sub = hw.subscribe("Trial", ["stage_entered"], url=r.url, holdout=0.3)
        contacts = [f"c{i}" for i in range(60)]
        for i, c in enumerate(contacts, 1):
            add_event(store, i, c)
        send_all(store)
        sent = {orjson.loads(g.body)["data"]["contact"] for g in r.accepted()}
    out = {c for c in contacts if held_out(sub.id, c, 0.3)}
    assert sent == set(contacts) - out and 5 < len(out) < 35
    rows = store.execute(
        "SELECT contact, held_out FROM action_holdouts WHERE action_id = ? AND stage = 1", [sub.id]
    ).rows
    assert dict(rows) == {c: c in out for c in contacts}


def test_file_sink_appends_json_lines(hw: Headway, store: Store, tmp_path: Path) -> None:
    hw.subscribe("Trial", ["stage_entered", "dropped"], target="file", path="out/events.jsonl",
                 holdout=0)  # fmt: skip
    path = tmp_path / "actions" / "out" / "events.jsonl"  # beside the database by default
    ids = [add_event(store, 1, "ann"), add_event(store, 2, "bob", kind="dropped")]
    send_all(store)
    lines = [orjson.loads(x) for x in path.read_bytes().splitlines()]
    assert [x["data"]["id"] for x in lines] == ids
    assert [x["type"] for x in lines] == ["journey.stage_entered", "journey.dropped"]


def test_bad_subscriptions_say_which_field(hw: Headway) -> None:
    with pytest.raises(InvalidInput) as e:
        hw.subscribe("Trial", ["entered"], url="http://x")
    assert e.value.details[0].field == "kinds"
    for url in ("ftp://x", "http://", "http://[::1", "http://a b/"):
        with pytest.raises(InvalidInput, match="url: must be an absolute http"):
            hw.subscribe("Trial", ["converted"], url=url)
    with pytest.raises(InvalidInput, match="path: must name a file"):
        hw.subscribe("Trial", ["converted"], target="file", path="bad\x00name")
    for outside in ("/etc/passwd", "../escape.jsonl", "."):
        with pytest.raises(InvalidInput, match="must name a file"):
            hw.subscribe("Trial", ["converted"], target="file", path=outside)
    with pytest.raises(InvalidInput, match="holdout must be"):
        hw.subscribe("Trial", ["converted"], url="http://x", holdout=1.0)
    with pytest.raises(NotFound):
        hw.subscribe("Nope", ["converted"], url="http://x")


def test_uplift_counts_treated_and_held_out_progress(hw: Headway, store: Store) -> None:
    sub = hw.subscribe("Trial", ["stage_entered"], target="file", path="null.jsonl", holdout=0.5)
    contacts = [f"c{i}" for i in range(40)]
    for i, c in enumerate(contacts, 1):
        add_event(store, i, c)  # entered Visit: the action targets them at stage 1
    fan_out(store, datetime.now())
    out = {c for c in contacts if held_out(sub.id, c, 0.5)}
    movers = contacts[::3]  # every third contact goes on to Signup
    records = [{"contact": c, "type": "page_visit", "ts": "2026-01-01T00:00:00Z"} for c in contacts]
    records += [{"contact": c, "type": "signup", "ts": "2026-01-02T00:00:00Z"} for c in movers]
    hw.add_activities(records)
    [u] = hw.uplift("Trial")
    a = sum(c in movers for c in contacts if c not in out)
    c = sum(c in movers for c in out)
    assert (u.action_id, u.stage, u.stage_name, u.next_stage) == (sub.id, 1, "Visit", "Signup")
    assert (u.treated, u.treated_advanced, u.held_out, u.held_out_advanced) == (
        40 - len(out), a, len(out), c,
    )  # fmt: skip
    assert u.difference == a / (40 - len(out)) - c / len(out)
    assert u.p is not None and 0 < u.p <= 1


def test_erasing_a_contact_removes_its_deliveries_and_holdout_records(
    hw: Headway, store: Store
) -> None:
    hw.add_activities([{"contact": c, "type": "page_visit", "ts": "2026-01-01T00:00:00Z"}
                       for c in ("ann", "bob")])  # fmt: skip
    hw.subscribe("Trial", ["stage_entered"], target="file", path="x.jsonl", holdout=0.5)
    add_event(store, 1, "ann")
    add_event(store, 2, "bob")
    fan_out(store, datetime.now())
    report = hw.erase_contact("ann")
    assert report.removed["action_holdouts"] == 1
    left = store.execute("SELECT DISTINCT contact FROM action_holdouts").rows
    assert left == [("bob",)]
    assert [d.contact for d in hw.deliveries()] in ([], ["bob"])  # bob's unless held out


def test_events_with_no_subscription_move_the_cursor_and_are_never_sent(
    hw: Headway, store: Store
) -> None:
    """With no subscription the fan-out moves its cursor past the events without reading
    them; a subscription made later gets only the events recorded after it."""
    add_event(store, 1, "ann")
    add_event(store, 2, "bob", stage=1)
    generation = store.generation
    send_all(store)
    assert cursor(store) == 2 and store.generation == generation + 1  # one write, no deliveries
    assert hw.delivery_counts() == {}
    send_all(store)
    assert store.generation == generation + 1  # nothing new: no write
    with receiver() as r:
        hw.subscribe("Trial", ["stage_entered"], url=r.url, holdout=0)
        later = add_event(store, 3, "cat")
        send_all(store)
        got = r.accepted()
    assert [g.headers["webhook-id"] for g in got] == [later]
