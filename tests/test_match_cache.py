"""Reused matches never change a number: cached reports equal the bare engine's, across writes,
``as_of`` before and after the last activity, date ranges and filters."""

from __future__ import annotations

import json
import random
import threading
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from headway.api import Headway, options
from headway.engine.funnel.breakdowns import breakdown, property_expression
from headway.engine.funnel.contact_lists import contact_list
from headway.engine.funnel.report import funnel_report
from headway.engine.funnel.trends import trend_report
from headway.engine.kernel.run import match_journey
from headway.match_cache import preload_engine
from headway.model.journey import Journey, parse_journey
from headway.store import Store
from headway.store.journeys import save_journey

T0 = datetime(2025, 3, 1)
TYPES = ["page_visit", "email_open", "email_click", "purchase", "email_bounce"]
URLS = ["/", "/blog/a", "/pricing", "/docs"]

STAGES = [
    {"name": "Visit", "when": {"type": "page_visit"}},
    {"name": "Open", "when": {"type": "email_open"}},
    {"name": "Click", "when": {"type": "email_click"}},
    {"name": "Buy", "when": {"type": "purchase"}},
]
JOURNEYS: list[dict[str, Any]] = [
    {"name": "Ordered", "window": "3d", "stages": STAGES, "exit_when": {"type": "email_bounce"}},
    {"name": "Strict", "order": "strict", "window": "5d", "stages": STAGES[:3]},
    {
        "name": "Unordered",
        "order": "unordered",
        "window": "4d",
        "stages": STAGES[1:],
        "exclusions": [{"when": {"type": "email_bounce"}, "between": ["Open", "Buy"]}],
        "stall_after": "1d",
    },
    {
        "name": "Filtered",
        "window": "6d",
        "filter": {"type": ["page_visit", "email_open", "purchase"]},
        "date_range": {"from": "2025-03-03", "to": "2025-03-12"},
        "stages": [
            {"name": "Pricing", "when": {"type": "page_visit", "where": {"url": "/pricing"}}},
            {"name": "Open", "when": {"type": "email_open"}, "first_time": "event"},
            {"name": "Buy", "when": {"type": "purchase"}},
        ],
    },
]


def activities(seed: int, n: int, start: datetime, days: int) -> pa.Table:
    """``n`` seeded activities of 40 contacts within ``days`` from ``start`` (unique ids)."""
    rng = random.Random(seed)
    ts = [start + timedelta(seconds=rng.randrange(days * 86_400)) for _ in range(n)]
    kinds = [rng.choice(TYPES) for _ in range(n)]
    return pa.table(
        {
            "id": [f"s{seed}-{i}" for i in range(n)],
            "contact": [f"c{rng.randrange(40)}" for _ in range(n)],
            "type": kinds,
            "ts": pa.array(ts, pa.timestamp("us")),
            "properties": [json.dumps({"url": rng.choice(URLS)}) for _ in range(n)],
            "bot": [False] * n,
            "bot_reason": pa.array([None] * n, pa.string()),
            "source": ["test"] * n,
        }
    )


def bare(hw: Headway, journey: Journey, as_of: Any, date_range: Any) -> dict[str, Any]:
    """Every report computed by the engine alone, without the cache."""
    opts = options(as_of, date_range)
    matched = match_journey(hw.backend, journey, opts)
    return {
        "funnel": funnel_report(matched).to_dict(),
        "trends": trend_report(matched, "day").to_dict(),
        "breakdown": breakdown(hw.backend, journey, opts, "url", "last").to_dict(),
        "first_touch": breakdown(hw.backend, journey, opts, "url", "first", top=2).to_dict(),
        "contacts": contact_list(hw.backend, matched, 0, "in_progress").to_dict(),
        "stalled": contact_list(hw.backend, matched, 1, "stalled").to_dict(),
    }


def cached(hw: Headway, journey: Journey, as_of: Any, date_range: Any) -> dict[str, Any]:
    """The same reports through the API (and its cache)."""
    kw = {"as_of": as_of, "date_range": date_range}
    return {
        "funnel": hw.funnel(journey, **kw).to_dict(),
        "trends": hw.trends(journey, "day", **kw).to_dict(),
        "breakdown": hw.breakdown(journey, "url", touch="last", **kw).to_dict(),
        "first_touch": hw.breakdown(journey, "url", touch="first", top=2, **kw).to_dict(),
        "contacts": hw.contacts(journey, 1, "in_progress", **kw).to_dict(),
        "stalled": hw.contacts(journey, 2, "stalled", **kw).to_dict(),
    }


AS_OFS = [
    "2025-02-01",  # before every activity
    "2025-03-04T12:00:00",  # inside the log
    "2025-03-09T00:00:00",
    "2025-03-15T00:00:00",  # after the last activity of the first load
    "2025-03-17T06:00:00",
    "2025-06-01",
]
RANGES: list[Any] = [None, "2025-03-02..2025-03-08", "..2025-03-05", "2025-03-06.."]


@pytest.mark.slow
def test_cached_reports_equal_the_bare_engine_across_writes(store: Store) -> None:
    hw = Headway(store)
    journeys = [parse_journey(j) for j in JOURNEYS]
    store.append_activities(activities(1, 700, T0, 14))
    writes = [
        activities(2, 150, T0 + timedelta(days=14), 4),  # after the last activity
        activities(3, 150, T0 + timedelta(days=2), 5),  # back-filled history
    ]
    for step in range(len(writes) + 1):
        for journey in journeys:
            for as_of in AS_OFS:
                for date_range in RANGES:
                    want = bare(hw, journey, as_of, date_range)
                    assert cached(hw, journey, as_of, date_range) == want
                    assert cached(hw, journey, as_of, date_range) == want  # from the cache
        if step < len(writes):
            store.append_activities(writes[step])
    assert hw.cache.memo.stats.hits > 0


def test_default_as_of_now_hits_the_cache_and_equals_the_engine_at_that_instant(
    store: Store,
) -> None:
    hw = Headway(store)
    store.append_activities(activities(1, 400, T0, 10))
    journey = parse_journey(JOURNEYS[0])
    first = hw.funnel(journey)
    second = hw.funnel(journey)
    assert hw.cache.memo.stats.computed == 1
    for report in (first, second):
        want = funnel_report(match_journey(hw.backend, journey, options(report.as_of)))
        assert report.to_dict() == want.to_dict()


def test_as_of_after_the_last_activity_shares_one_match_but_not_outcomes(store: Store) -> None:
    hw = Headway(store)
    store.append_activities(activities(1, 400, T0, 10))
    journey = parse_journey(JOURNEYS[0])
    reports = [hw.funnel(journey, as_of=a) for a in ("2025-03-11", "2025-03-12", "2025-04-30")]
    assert hw.cache.memo.stats.computed == 1
    dropped = [r.stages[0].dropped for r in reports]
    assert dropped[0] < dropped[2]  # later as_of: more windows have closed
    for as_of, report in zip(("2025-03-11", "2025-03-12", "2025-04-30"), reports, strict=True):
        want = funnel_report(match_journey(hw.backend, journey, options(as_of)))
        assert report.to_dict() == want.to_dict()


def test_as_of_inside_the_log_is_keyed_on_the_latest_activity_before_it(store: Store) -> None:
    hw = Headway(store)
    rows = activities(1, 2, T0, 1).to_pylist()
    rows[0].update(ts=T0, type="page_visit")
    rows[1].update(ts=T0 + timedelta(days=5), type="email_open")
    store.append_activities(pa.Table.from_pylist(rows, schema=activities(1, 2, T0, 1).schema))
    journey = parse_journey(JOURNEYS[0])
    hw.funnel(journey, as_of="2025-03-02")
    hw.funnel(journey, as_of="2025-03-04")  # same activities up to both instants
    assert hw.cache.memo.stats.computed == 1
    later = hw.funnel(journey, as_of="2025-03-07")  # the open is read now: another match
    assert hw.cache.memo.stats.computed == 2
    want = funnel_report(match_journey(hw.backend, journey, options("2025-03-07")))
    assert later.to_dict() == want.to_dict()


def test_an_append_between_calls_invalidates(store: Store) -> None:
    hw = Headway(store)
    store.append_activities(activities(1, 300, T0, 10))
    journey = parse_journey(JOURNEYS[0])
    before = hw.funnel(journey, as_of="2025-06-01")
    store.append_activities(activities(2, 300, T0, 10))
    after = hw.funnel(journey, as_of="2025-06-01")
    assert after.entered > before.entered
    want = funnel_report(match_journey(hw.backend, journey, options("2025-06-01")))
    assert after.to_dict() == want.to_dict()
    assert len(hw.cache.memo) == 1  # the previous generation's match was dropped


def test_saving_a_journey_changes_the_report_of_its_name(store: Store) -> None:
    hw = Headway(store)
    store.append_activities(activities(1, 300, T0, 10))
    save_journey(store, parse_journey({**JOURNEYS[0], "name": "Saved"}), None)
    before = hw.funnel("Saved", as_of="2025-06-01")
    save_journey(store, parse_journey({**JOURNEYS[0], "name": "Saved", "stages": STAGES[:2]}), None)
    after = hw.funnel("Saved", as_of="2025-06-01")
    assert len(before.stages) == 4 and len(after.stages) == 2
    want = funnel_report(match_journey(hw.backend, hw.journey("Saved"), options("2025-06-01")))
    assert after.to_dict() == want.to_dict()


def test_journeys_differing_only_in_name_share_a_match(store: Store) -> None:
    hw = Headway(store)
    store.append_activities(activities(1, 300, T0, 10))
    a = hw.funnel(JOURNEYS[0], as_of="2025-06-01")
    b = hw.funnel({**JOURNEYS[0], "name": "Other"}, as_of="2025-06-01")
    assert hw.cache.memo.stats.computed == 1
    assert (a.journey, b.journey) == ("Ordered", "Other")
    assert a.stages == b.stages


def test_reused_trends_and_breakdowns_carry_the_callers_names_and_as_of(store: Store) -> None:
    hw = Headway(store)
    store.append_activities(activities(1, 300, T0, 10))
    renamed = {
        **JOURNEYS[0],
        "name": "Other",
        "stages": [{**s, "name": s["name"] + "!"} for s in STAGES],
    }
    for spec in (JOURNEYS[0], renamed, JOURNEYS[0]):
        for as_of in ("2025-05-01", "2025-06-01"):
            journey = parse_journey(spec)
            want = bare(hw, journey, as_of, None)
            assert hw.trends(spec, "day", as_of=as_of).to_dict() == want["trends"]
            got = hw.breakdown(spec, "url", touch="last", as_of=as_of).to_dict()
            assert got == want["breakdown"]
    # Two matches (plain, with the breakdown property), trends and breakdowns per stage names.
    assert hw.cache.memo.stats.computed == 6


def test_a_small_budget_evicts_the_least_recent_match(db_path: Any) -> None:
    with Store(db_path) as store:
        store.append_activities(activities(1, 300, T0, 10))
        one = Headway(store, cache_bytes=10**9)
        one.funnel(JOURNEYS[0], as_of="2025-06-01")
        size = one.cache.memo.nbytes
        hw = Headway(store, cache_bytes=size + size // 2)  # room for about one match
        hw.funnel(JOURNEYS[0], as_of="2025-06-01")
        hw.funnel(JOURNEYS[1], as_of="2025-06-01")
        assert len(hw.cache.memo) == 1
        assert hw.cache.memo.stats.evicted >= 1
        assert hw.cache.memo.nbytes <= hw.cache.memo.budget_bytes
        again = hw.funnel(JOURNEYS[0], as_of="2025-06-01")
        want = funnel_report(
            match_journey(hw.backend, parse_journey(JOURNEYS[0]), options("2025-06-01"))
        )
        assert again.to_dict() == want.to_dict()


def test_extra_columns_keep_the_values_every_stage_reads(store: Store) -> None:
    hw = Headway(store)
    store.append_activities(activities(1, 500, T0, 10))
    journey = parse_journey(JOURNEYS[0])
    opts = options("2025-06-01")
    extras = {"url": property_expression("url", hw.backend.sql)}
    want = match_journey(hw.backend, journey, opts, extras)
    got = hw.cache.match(journey, opts, extras)
    assert len(want.extras["url"]) == (want.result.stage_row >= 0).sum()  # only stages' rows
    rows, got_rows = want.result.stage_row, got.result.stage_row
    assert np.array_equal(rows >= 0, got_rows >= 0)
    reached = rows >= 0
    assert list(got.extras["url"][got_rows[reached]]) == list(want.extras["url"][rows[reached]])


def test_cached_match_arrays_are_read_only(store: Store) -> None:
    hw = Headway(store)
    store.append_activities(activities(1, 100, T0, 10))
    matched = hw.match(JOURNEYS[0], as_of="2025-06-01")
    with pytest.raises(ValueError):
        matched.result.reached[0] = 9


def test_concurrent_requests_for_one_report_compute_the_match_once(store: Store) -> None:
    hw = Headway(store)
    store.append_activities(activities(1, 2000, T0, 10))
    journey = parse_journey(JOURNEYS[1])
    results: list[dict[str, Any]] = []
    lock = threading.Lock()

    def request() -> None:
        report = hw.funnel(journey, as_of="2025-06-01").to_dict()
        with lock:
            results.append(report)

    threads = [threading.Thread(target=request) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert hw.cache.memo.stats.computed == 1
    want = funnel_report(match_journey(hw.backend, journey, options("2025-06-01"))).to_dict()
    assert results == [want] * 6


def engine_funnel(hw: Headway, journey: Journey) -> dict[str, Any]:
    """The funnel at 2025-06-01 by the bare engine."""
    return funnel_report(match_journey(hw.backend, journey, options("2025-06-01"))).to_dict()


def test_reports_from_many_threads_with_a_concurrent_writer_stay_exact(store: Store) -> None:
    hw = Headway(store)
    store.append_activities(activities(1, 500, T0, 10))
    journeys = [parse_journey(j) for j in JOURNEYS]
    failures: list[str] = []

    def reader(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(15):
            journey = rng.choice(journeys)
            generation = store.generation
            before = engine_funnel(hw, journey)
            got = hw.funnel(journey, as_of="2025-06-01").to_dict()
            after = engine_funnel(hw, journey)
            # A write may land meanwhile; then the report is that of either snapshot. (One
            # write at most can commit before the generation is bumped, so within one
            # generation there are at most these two.)
            if store.generation == generation and got not in (before, after):
                failures.append(journey.name)

    threads = [threading.Thread(target=reader, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for seed in range(2, 6):
        store.append_activities(activities(seed, 50, T0, 12))
    for t in threads:
        t.join()
    assert failures == []
    assert hw.funnel(journeys[0], as_of="2025-06-01").to_dict() == engine_funnel(hw, journeys[0])


def test_preloading_the_engine_changes_no_result(store: Store) -> None:
    preload_engine()
    hw = Headway(store)
    store.append_activities(activities(1, 300, T0, 10))
    for spec in JOURNEYS:
        journey = parse_journey(spec)
        assert hw.funnel(journey, as_of="2025-06-01").to_dict() == engine_funnel(hw, journey)
