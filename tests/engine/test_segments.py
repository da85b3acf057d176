"""Segment filters and cohorts over a real store: every report counts the segment's contacts.

Expected numbers are counted by hand from the timelines below (DESIGN §5: a contact enters
at its first stage-1 activity; the segment's entry filter decides which activities may enter).
"""

from __future__ import annotations

from typing import Any

import pytest

from headway.api import Headway
from headway.errors import Conflict, InvalidInput, NotFound
from headway.store import Store
from tests.engine.activity_log import load, set_attributes

JOURNEY: dict[str, Any] = {
    "name": "J",
    "window": "1d",
    "stages": [
        {"name": "Visit", "when": {"type": "page_visit"}},
        {"name": "Click", "when": {"type": "email_click"}},
        {"name": "Buy", "when": {"type": "purchase"}},
    ],
}
AS_OF = "2025-01-05"


@pytest.fixture
def hw(store: Store) -> Headway:
    load(
        store,
        [
            # a: google visit, click, buy          -> converted
            ("a", "page_visit", "0s", {"utm_source": "google"}),
            ("a", "email_click", "1h"),
            ("a", "purchase", "2h"),
            # b: bing visit, click                 -> dropped at Click
            ("b", "page_visit", "0s", {"utm_source": "bing"}),
            ("b", "email_click", "3h"),
            # c: bing visit, then a google visit, click -> enters at 0s (or at 1h if google only)
            ("c", "page_visit", "0s", {"utm_source": "bing"}),
            ("c", "page_visit", "1h", {"utm_source": "google"}),
            ("c", "email_click", "2h"),
            ("c", "purchase", "3h"),
            # d: google visit only                 -> dropped at Visit
            ("d", "page_visit", "0s", {"utm_source": "google", "n": 7}),
        ],
    )
    set_attributes(
        store,
        {
            "a": {"plan": "pro", "seats": 10},
            "b": {"plan": "free"},
            "c": {"plan": "pro", "seats": 3},
        },
    )
    return Headway(store)


def reached(report: Any) -> list[int]:
    return [s.reached for s in report.stages]


def test_no_segment_counts_everyone(hw: Headway) -> None:
    assert reached(hw.funnel(JOURNEY, as_of=AS_OF)) == [4, 3, 2]


def test_attribute_filter_counts_only_matching_contacts(hw: Headway) -> None:
    # plan=pro: a and c, both converted.
    assert reached(hw.funnel(JOURNEY, as_of=AS_OF, segment=["attributes.plan=pro"])) == [2, 2, 2]
    # seats>=5: only a (c has 3, b and d none).
    assert reached(hw.funnel(JOURNEY, as_of=AS_OF, segment=["attributes.seats>=5"])) == [1, 1, 1]
    # plan!=pro: b, and d (no attributes: absent counts as not equal, DESIGN §4).
    assert reached(hw.funnel(JOURNEY, as_of=AS_OF, segment="attributes.plan!=pro")) == [2, 1, 0]


def test_entry_filter_decides_which_activity_enters(hw: Headway) -> None:
    # utm_source=google: a, c (entering at its 1h google visit) and d.
    report = hw.funnel(JOURNEY, as_of=AS_OF, segment=["entry.utm_source=google"])
    assert reached(report) == [3, 2, 2]
    # Both filters: AND -> a and c.
    both = ["entry.utm_source=google", "attributes.plan=pro"]
    assert reached(hw.funnel(JOURNEY, as_of=AS_OF, segment=both)) == [2, 2, 2]
    # A number compares with numbers: n=7 is d only, n="7" nobody.
    assert reached(hw.funnel(JOURNEY, as_of=AS_OF, segment=["entry.n=7"])) == [1, 0, 0]
    assert reached(hw.funnel(JOURNEY, as_of=AS_OF, segment=['entry.n="7"'])) == [0, 0, 0]


def test_segment_reaches_every_report(hw: Headway) -> None:
    seg = ["entry.utm_source=bing"]  # b and c (c enters at its bing visit)
    trends = hw.trends(JOURNEY, "day", as_of=AS_OF, segment=seg)
    assert sum(p.entered for p in trends.periods) == 2
    lists = hw.contacts(JOURNEY, "Click", "dropped", as_of=AS_OF, segment=seg)
    assert [c.contact for c in lists.contacts] == ["b"]
    split = hw.breakdown(JOURNEY, "plan", touch="contact", as_of=AS_OF, segment=seg)
    assert {r.label: r.reached[0] for r in split.values} == {"free": 1, "pro": 1}


def test_cohort_saved_from_a_step_filters_any_journey(hw: Headway) -> None:
    cohort = hw.save_cohort("Dropped at Click", JOURNEY, "Click", "dropped", as_of=AS_OF)
    assert (cohort.size, cohort.stage, cohort.status) == (1, "Click", "dropped")
    hw.save_cohort("Converted", JOURNEY, "Buy", "reached", as_of=AS_OF)
    assert [c.name for c in hw.cohorts()] == ["Converted", "Dropped at Click"]
    assert reached(hw.funnel(JOURNEY, as_of=AS_OF, segment=["cohort=Converted"])) == [2, 2, 2]
    # Two cohorts intersect: nobody is in both.
    both = ["cohort=Converted", "cohort=Dropped at Click"]
    assert reached(hw.funnel(JOURNEY, as_of=AS_OF, segment=both)) == [0, 0, 0]
    # A cohort saved from a segmented list holds only the segment's contacts.
    seg = hw.save_cohort(
        "Pro buyers", JOURNEY, 3, "reached", as_of=AS_OF, segment=["attributes.seats>=5"]
    )
    assert seg.size == 1
    with pytest.raises(Conflict, match="exists"):
        hw.save_cohort("Converted", JOURNEY, "Buy", "reached", as_of=AS_OF)
    hw.delete_cohort("Converted")
    with pytest.raises(NotFound, match=r"no cohort named 'Converted'.*Dropped at Click"):
        hw.funnel(JOURNEY, as_of=AS_OF, segment=["cohort=Converted"])


def test_bad_filters_name_the_filter(hw: Headway) -> None:
    with pytest.raises(InvalidInput, match="'plan=pro' is not a filter"):
        hw.funnel(JOURNEY, as_of=AS_OF, segment=["plan=pro"])
    with pytest.raises(InvalidInput, match="not a property path"):
        hw.funnel(JOURNEY, as_of=AS_OF, segment=["attributes.a..b=1"])


def test_saved_views_round_trip(hw: Headway) -> None:
    hw.save_view("Pro only", "J", "?seg=attributes.plan%3Dpro&as_of=2025-01-05")
    hw.save_view("Pro only", "J", "seg=attributes.plan%3Dpro")  # the same name replaces
    hw.save_view("Other", "K", "tab=flow")
    assert [(v.name, v.query) for v in hw.views("J")] == [("Pro only", "seg=attributes.plan%3Dpro")]
    assert [v.name for v in hw.views()] == ["Other", "Pro only"]
    hw.delete_view("Other")
    with pytest.raises(NotFound):
        hw.delete_view("Other")


def test_erasing_a_contact_removes_it_from_every_cohort(hw: Headway) -> None:
    hw.save_cohort("Converted", JOURNEY, "Buy", "reached", as_of=AS_OF)  # a and c
    report = hw.erase_contact("a")
    assert report.removed["cohort_members"] == 1
    assert [c.size for c in hw.cohorts()] == [1]
    assert reached(hw.funnel(JOURNEY, as_of=AS_OF, segment=["cohort=Converted"])) == [1, 1, 1]
