"""Reports over a real store: outcomes at as_of, stall, times, first_time, filter, ranges,
trends, breakdowns and contact lists — each from a small timeline written from DESIGN §5."""

from __future__ import annotations

from typing import Any

import pytest

from headway.api import Headway
from headway.errors import InvalidInput, NotFound
from headway.store import Store
from tests.engine.activity_log import load, set_attributes

THREE = [
    {"name": "Visit", "when": {"type": "page_visit"}},
    {"name": "Click", "when": {"type": "email_click"}},
    {"name": "Buy", "when": {"type": "purchase"}},
]


def journey(**extra: Any) -> dict[str, Any]:
    """A three-stage journey with a 1-day window unless overridden."""
    return {"name": "J", "window": "1d", "stages": THREE, **extra}


def stage(report: Any, name: str) -> Any:
    return next(s for s in report.stages if s.name == name)


def test_dropped_when_window_closed_in_progress_while_open(store: Store) -> None:
    load(
        store, [("a", "page_visit", "0s"), ("b", "page_visit", "10h"), ("b", "email_click", "11h")]
    )
    hw = Headway(store)
    # as_of = 1d exactly after a's entry: the window end is inclusive, so a is still open.
    report = hw.funnel(journey(), as_of="2025-01-02T00:00:00")
    assert stage(report, "Visit").in_progress == 1
    assert stage(report, "Visit").dropped == 0
    later = hw.funnel(journey(), as_of="2025-01-02T00:00:01")
    assert stage(later, "Visit").dropped == 1
    assert stage(later, "Click").in_progress == 1  # b entered at 10h: open until 1d10h


def test_exit_when_after_last_stage_drops_an_open_attempt(store: Store) -> None:
    load(
        store,
        [
            ("a", "page_visit", "0s"),
            ("a", "email_bounce", "1h", {"bounce_type": "hard"}),
            ("b", "page_visit", "0s"),
            ("b", "email_bounce", "1h", {"bounce_type": "soft"}),
            ("c", "email_bounce", "0s", {"bounce_type": "hard"}),
            ("c", "page_visit", "1h"),
        ],
    )
    j = journey(exit_when={"type": "email_bounce", "where": {"bounce_type": "hard"}})
    report = Headway(store).funnel(j, as_of="2025-01-01T05:00:00")
    visit = stage(report, "Visit")
    assert (visit.reached, visit.dropped, visit.in_progress) == (3, 1, 2)


def test_stall_default_is_p90_of_time_to_next_stage(store: Store) -> None:
    rows = []
    for i, minutes in enumerate([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]):
        rows += [(f"m{i}", "page_visit", "0s"), (f"m{i}", "email_click", f"{minutes}m")]
    rows += [("s1", "page_visit", "0s"), ("s2", "page_visit", "2h")]
    load(store, rows)
    report = Headway(store).funnel(journey(), as_of="2025-01-01T03:00:00")
    visit = stage(report, "Visit")
    # p90 of 10..100 minutes (linear interpolation) = 91 minutes.
    assert visit.stall_after_seconds == pytest.approx(91 * 60)
    # s1 waits 3h > 91m: stalled; s2 waits 1h: in progress, not stalled.
    assert (visit.in_progress, visit.stalled) == (2, 1)
    contacts = Headway(store).contacts(journey(), "Visit", "stalled", as_of="2025-01-01T03:00:00")
    assert [c.contact for c in contacts.contacts] == ["s1"]


def test_fixed_stall_after_and_kpi_share(store: Store) -> None:
    load(store, [("a", "page_visit", "0s"), ("b", "page_visit", "5h")])
    stages = [dict(THREE[0], kpi=4), *THREE[1:]]
    report = Headway(store).funnel(
        journey(stages=stages, stall_after="2h"), as_of="2025-01-01T06:00:00"
    )
    visit = stage(report, "Visit")
    assert visit.stall_after_seconds == 7200
    assert (visit.in_progress, visit.stalled) == (2, 1)
    assert visit.kpi_share == 0.5


def test_times_between_stages(store: Store) -> None:
    rows = []
    for i, minutes in enumerate([1, 2, 3, 10]):
        rows += [(f"c{i}", "page_visit", "0s"), (f"c{i}", "email_click", f"{minutes}m")]
        rows += [(f"c{i}", "purchase", f"{minutes + 60}m")]
    load(store, rows)
    report = Headway(store).funnel(journey(), as_of="2025-01-05")
    click = stage(report, "Click").time_from_previous
    assert (click.mean, click.median) == (240.0, 150.0)
    assert click.p90 == pytest.approx(60 * (3 + 0.7 * 7))
    buy = stage(report, "Buy")
    assert buy.time_from_previous.median == 3600.0
    assert buy.time_from_entry.mean == (61 + 62 + 63 + 70) * 60 / 4
    assert buy.time_from_entry.histogram["1-6h"] == 4


def test_first_time_event_looks_past_date_range(store: Store) -> None:
    load(
        store,
        [
            ("a", "form_submission", "-10d", {"form": "newsletter"}),
            ("a", "form_submission", "1h", {"form": "trial"}),
            ("b", "form_submission", "1h", {"form": "trial"}),
        ],
    )
    stages = [
        {
            "name": "Trial",
            "when": {"type": "form_submission", "where": {"form": "trial"}},
            "first_time": "event",
        }
    ]
    j = {"name": "F", "stages": stages, "date_range": {"from": "2025-01-01", "to": "2025-01-31"}}
    report = Headway(store).funnel(j, as_of="2025-02-01")
    # a's first form submission (before the range) was not a trial: a never enters.
    assert report.stages[0].reached == 1
    # matching: the earliest *trial* submission counts, so a enters too.
    stages[0]["first_time"] = "matching"
    assert Headway(store).funnel(j, as_of="2025-02-01").stages[0].reached == 2


def test_first_time_respects_filter(store: Store) -> None:
    load(
        store,
        [
            ("a", "purchase", "0s", {"country": "FR"}),
            ("a", "purchase", "1h", {"country": "DE"}),
        ],
    )
    stages = [{"name": "Buy", "when": {"type": "purchase"}, "first_time": "event"}]
    j = {"name": "F", "stages": stages, "filter": {"where": {"country": "DE"}}}
    # The filter removes the FR purchase first, so the DE one is the first purchase.
    assert Headway(store).funnel(j, as_of="2025-02-01").stages[0].reached == 1


def test_date_range_to_date_means_end_of_day_and_as_of_cuts(store: Store) -> None:
    load(
        store,
        [
            ("a", "page_visit", "0s"),
            ("a", "email_click", "23h"),
            ("b", "page_visit", "1d"),
            ("c", "page_visit", "2h"),
        ],
    )
    j = journey(date_range={"from": "2025-01-01", "to": "2025-01-01"})
    report = Headway(store).funnel(j, as_of="2025-03-01")
    assert [s.reached for s in report.stages] == [2, 1, 0]
    cut = Headway(store).funnel(journey(), as_of="2025-01-01T22:00:00")
    assert [s.reached for s in cut.stages] == [2, 0, 0]
    override = Headway(store).funnel(j, as_of="2025-03-01", date_range="2025-01-02..")
    assert [s.reached for s in override.stages] == [1, 0, 0]


def test_filter_applies_to_strict_interruptions(store: Store) -> None:
    load(
        store,
        [
            ("a", "page_visit", "0s", {"country": "DE"}),
            ("a", "page_visit", "1m", {"country": "FR"}),  # filtered out: does not interrupt
            ("a", "email_click", "2m", {"country": "DE"}),
            ("b", "page_visit", "0s", {"country": "DE"}),
            ("b", "form_submission", "1m", {"country": "DE"}),  # interrupts b
            ("b", "email_click", "2m", {"country": "DE"}),
        ],
    )
    j = journey(order="strict", filter={"where": {"country": "DE"}})
    report = Headway(store).funnel(j, as_of="2025-01-05")
    assert [s.reached for s in report.stages] == [2, 1, 0]


def test_trends_group_entries_by_monday_weeks(store: Store) -> None:
    # 2025-01-01 is a Wednesday: its week starts on Monday 2024-12-30.
    load(
        store,
        [
            ("a", "page_visit", "0s"),
            ("a", "email_click", "1h"),
            ("a", "purchase", "2h"),
            ("b", "page_visit", "4d"),  # Sunday 2025-01-05: same week
            ("c", "page_visit", "5d"),  # Monday 2025-01-06: next week
        ],
    )
    report = Headway(store).trends(journey(), "week", as_of="2025-02-01")
    assert [(p.label.isoformat(), p.entered, p.converted) for p in report.periods] == [
        ("2024-12-30", 2, 1),
        ("2025-01-06", 1, 0),
    ]
    days = Headway(store).trends(journey(), "month", as_of="2025-02-01")
    assert [p.entered for p in days.periods] == [3]
    with pytest.raises(InvalidInput, match="is not a period"):
        Headway(store).trends(journey(), "year")


def test_breakdown_first_last_touch_and_attribute(store: Store) -> None:
    load(
        store,
        [
            ("a", "page_visit", "0s", {"utm_source": "google"}),
            ("a", "email_click", "1h", {"utm_source": "newsletter"}),
            ("b", "page_visit", "0s", {"utm_source": "google"}),
            ("c", "page_visit", "0s", {"utm_source": "bing"}),
            ("d", "page_visit", "0s"),
        ],
    )
    set_attributes(store, {"a": {"country": "DE"}, "b": {"country": "DE"}, "c": {"country": "FR"}})
    hw = Headway(store)
    first = hw.breakdown(journey(), "utm_source", as_of="2025-02-01")
    assert [(v.label, v.entered, v.reached[1]) for v in first.values] == [
        ("google", 2, 1),
        ("(none)", 1, 0),
        ("bing", 1, 0),
    ]
    last = hw.breakdown(journey(), "utm_source", touch="last", as_of="2025-02-01")
    assert {v.label: v.entered for v in last.values} == {
        "google": 1,
        "newsletter": 1,
        "bing": 1,
        "(none)": 1,
    }
    top1 = hw.breakdown(journey(), "utm_source", top=1, as_of="2025-02-01")
    assert [(v.label, v.entered) for v in top1.values] == [("google", 2), ("(other)", 2)]
    country = hw.breakdown(journey(), "country", touch="contact", as_of="2025-02-01")
    assert {v.label: v.entered for v in country.values} == {"DE": 2, "FR": 1, "(none)": 1}
    # Any key is a property path: a hostile one is only a key nobody has.
    hostile = hw.breakdown(journey(), "x'; DROP TABLE activities; --", as_of="2025-02-01")
    assert {v.label for v in hostile.values} == {"(none)"}
    with pytest.raises(InvalidInput, match=r"is not a property path: it has '\.\.' at position 4"):
        hw.breakdown(journey(), "utm..source")


def test_contact_lists_by_status_and_paging(store: Store) -> None:
    load(
        store,
        [
            ("a", "page_visit", "0s"),
            ("a", "email_click", "1h"),
            ("a", "purchase", "2h"),
            ("b", "page_visit", "0s"),
            ("c", "page_visit", "0s"),
            ("c", "email_click", "1h"),
        ],
    )
    hw = Headway(store)
    j = journey()
    reached = hw.contacts(j, 2, as_of="2025-01-01T12:00:00")
    assert [c.contact for c in reached.contacts] == ["a", "c"]
    assert reached.contacts[0].status == "converted"
    assert [
        c.contact
        for c in hw.contacts(j, "Click", "in_progress", as_of="2025-01-01T12:00:00").contacts
    ] == ["c"]
    assert [c.contact for c in hw.contacts(j, "Click", "dropped", as_of="2025-01-03").contacts] == [
        "c"
    ]
    page = hw.contacts(j, 1, offset=1, limit=1, as_of="2025-01-03")
    assert (page.total, [c.contact for c in page.contacts]) == (3, ["b"])
    assert page.to_dict()["contacts"][0]["stage_times"]["Visit"] == "2025-01-01T00:00:00Z"
    with pytest.raises(NotFound, match="no stage named 'Nope'"):
        hw.contacts(j, "Nope")
    with pytest.raises(InvalidInput, match="is not a stage"):
        hw.contacts(j, 7)
    with pytest.raises(InvalidInput, match="--status"):
        hw.contacts(j, 1, "gone")


def test_contact_property_and_bot_conditions(store: Store) -> None:
    load(
        store,
        [
            ("a@x.org", "email_open", "0s", {"email": "w1"}, True),
            ("b@x.org", "email_open", "0s", {"email": "w1"}),
        ],
    )
    j = {
        "name": "H",
        "stages": [{"name": "Human open", "when": {"type": "email_open", "where": {"bot": False}}}],
    }
    assert Headway(store).funnel(j, as_of="2025-02-01").stages[0].reached == 1
    j2 = {
        "name": "C",
        "stages": [{"name": "A", "when": {"where": {"contact": {"starts_with": "a@"}}}}],
    }
    assert Headway(store).funnel(j2, as_of="2025-02-01").stages[0].reached == 1


def test_results_convert_to_frames(store: Store) -> None:
    load(store, [("a", "page_visit", "0s"), ("a", "email_click", "1m")])
    report = Headway(store).funnel(journey(), as_of="2025-01-03")
    assert report.to_arrow().column("reached").to_pylist() == [1, 1, 0]
    assert list(report.to_pandas()["name"]) == ["Visit", "Click", "Buy"]
    assert report.to_polars()["conversion_from_first"].to_list() == [1.0, 1.0, 0.0]
    data = report.to_dict()
    assert data["stages"][1]["time_from_previous"]["median"] == 60.0
    assert data["as_of"] == "2025-01-03T00:00:00Z"


def test_moving_and_stalled_split_in_progress(store: Store) -> None:
    # At 12:00 with stall_after 3h: a entered at 00:00 (12 h at Visit: stalled), b at 10:00
    # (2 h: moving), c clicked at 01:00 (11 h at Click: stalled at the second stage).
    load(
        store,
        [
            ("a", "page_visit", "0s"),
            ("b", "page_visit", "10h"),
            ("c", "page_visit", "0s"),
            ("c", "email_click", "1h"),
        ],
    )
    hw = Headway(store)
    j = journey(stall_after="3h")
    at = "2025-01-01T12:00:00"

    def ids(stage: int, status: str) -> list[str]:
        return [c.contact for c in hw.contacts(j, stage, status, as_of=at).contacts]

    assert ids(1, "in_progress") == ["a", "b"]
    assert ids(1, "stalled") == ["a"]
    assert ids(1, "moving") == ["b"]
    assert (ids(2, "stalled"), ids(2, "moving")) == (["c"], [])
    visit = stage(hw.funnel(j, as_of=at), "Visit")
    assert (visit.in_progress - visit.stalled, visit.stalled) == (1, 1)
