"""Cohort syncs: a step's contacts written to a file or pushed in signed pages to a real local
endpoint; held-out contacts left out and recorded; a failing endpoint is recorded."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from headway.actions import signing
from headway.actions.holdouts import held_out
from headway.actions.settings import ActionSettings
from headway.actions.worker import ActionWorker
from headway.api import Headway, utc_now
from headway.errors import InvalidInput
from headway.model.journey import parse_journey
from headway.store import Store
from tests.actions.receivers import receiver
from tests.actions.test_deliveries import JOURNEY

CONTACTS = [f"c{i:02d}" for i in range(25)]


@pytest.fixture
def hw(store: Store) -> Headway:
    """Trial: 25 contacts visited; the even ones signed up (so the odd ones are at Visit)."""
    h = Headway(store)
    h.save_journey(parse_journey(JOURNEY))
    records = [{"contact": c, "type": "page_visit", "ts": "2026-01-01T00:00:00Z"} for c in CONTACTS]
    records += [{"contact": c, "type": "signup", "ts": "2026-01-02T00:00:00Z"}
                for c in CONTACTS[::2]]  # fmt: skip
    h.add_activities(records)
    return h


def test_a_csv_file_holds_the_cohort_without_the_held_out(hw: Headway, tmp_path: Path) -> None:
    sync = hw.add_cohort_sync("Trial", "Signup", "reached", every="1h", path="lists/up.csv")
    path = tmp_path / "actions" / "lists" / "up.csv"  # beside the database by default
    done = hw.run_cohort_sync(sync.id)
    out = {c for c in CONTACTS[::2] if held_out(sync.id, c, 0.10)}
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0] == ["contact"]
    assert sorted(r[0] for r in rows[1:]) == sorted(set(CONTACTS[::2]) - out)
    assert (done.last_count, done.last_error) == (len(rows) - 1, None)
    recorded = hw.store.execute(
        "SELECT count(*), count(*) FILTER (WHERE held_out) FROM action_holdouts WHERE action_id = ?",
        [sync.id],
    ).first()
    assert recorded == (13, len(out))


def test_pages_are_pushed_signed(hw: Headway) -> None:
    settings = ActionSettings(page_size=5)
    with receiver() as r:
        sync = hw.add_cohort_sync("Trial", "2", "reached", url=r.url, holdout=0)
        done = hw.run_cohort_sync(sync.id, settings)
        got = r.accepted()
    assert done.last_count == 13 and done.last_error is None
    pages = [orjson.loads(g.body) for g in got]
    assert [(p["page"], p["pages"], len(p["contacts"])) for p in pages] == [
        (1, 3, 5), (2, 3, 5), (3, 3, 3),
    ]  # fmt: skip
    assert sorted(c for p in pages for c in p["contacts"]) == CONTACTS[::2]
    for g in got:
        signing.verify(str(sync.secret), g.headers, g.body)


def test_a_refusing_endpoint_is_recorded(hw: Headway) -> None:
    with receiver() as r:
        r.status = 500
        sync = hw.add_cohort_sync("Trial", "Visit", "reached", url=r.url)
        done = hw.run_cohort_sync(sync.id)
    assert (done.last_count, done.last_error) == (None, "page 1 of 1: HTTP 500")


def test_bad_syncs_say_which_field(hw: Headway) -> None:
    with pytest.raises(InvalidInput) as e:
        hw.add_cohort_sync("Trial", "Visit", "stalled", every="soon", path="x.csv")
    assert e.value.details[0].field == "every"
    with pytest.raises(InvalidInput, match="status must be one of"):
        hw.add_cohort_sync("Trial", "Visit", "asleep", path="x.csv")
    with pytest.raises(InvalidInput) as e:
        hw.add_cohort_sync("Trial", "Visit", "stalled")
    assert e.value.details[0].reason == "give exactly one of path and url"


def test_the_worker_runs_a_sync_when_its_period_has_passed(hw: Headway, tmp_path: Path) -> None:
    sync = hw.add_cohort_sync("Trial", "Signup", "reached", every="1h", path="due.json",
                              format="json", holdout=0)  # fmt: skip
    t0 = utc_now()
    worker = ActionWorker(
        hw.store, ActionSettings(), members=hw._members, funnel=hw._period_funnel,
        journeys=lambda: [], clock=lambda: t0,
    )  # fmt: skip
    try:
        runs = []
        for minutes in (0, 30, 61):
            worker.run_due(t0 + timedelta(minutes=minutes))
            runs.append(hw.cohort_syncs()[0].last_run_at)
    finally:
        worker.deliverer.close()
    assert runs == [t0, t0, t0 + timedelta(minutes=61)]
    written = orjson.loads((tmp_path / "actions" / "due.json").read_bytes())
    assert (written["sync"], sorted(written["contacts"])) == (sync.id, CONTACTS[::2])
