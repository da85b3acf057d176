"""Long durations: any window a user can write works; one longer than the data covers it.

The world spans the whole calendar (year 1 to 9999-12-31: 3652058 days), so a window of
10006y or more must behave exactly like an unlimited one (the engine caps windows at 20000y),
and nothing overflows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from headway.api import Headway
from headway.model.duration import ENGINE_SPAN_SECONDS, engine_micros, parse_duration
from headway.model.journey import parse_journey
from headway.store import Store
from tests.engine.activity_log import load

STAGES = [
    {"name": "Visit", "when": {"type": "page_visit"}},
    {"name": "Click", "when": {"type": "email_click"}},
    {"name": "Buy", "when": {"type": "purchase"}},
]
WORLD = [
    # a: converts within 3622 days of entry (2000-01-01 -> 2009-12-01).
    ("a", "page_visit", datetime(2000, 1, 1)),
    ("a", "email_click", datetime(2005, 1, 1)),
    ("a", "purchase", datetime(2009, 12, 1)),
    # b: buys 5480 days after entry: only windows over 15 years see it.
    ("b", "page_visit", datetime(2000, 1, 1)),
    ("b", "email_click", datetime(2001, 1, 1)),
    ("b", "purchase", datetime(2015, 1, 1)),
    # c: from the first day of the calendar to its last second.
    ("c", "page_visit", datetime(1, 1, 1)),
    ("c", "email_click", datetime(5000, 1, 1)),
    ("c", "purchase", datetime(9999, 12, 31, 23, 59, 59)),
]


@pytest.fixture(scope="module")
def hw(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One store with the world, shared by every test of the module."""
    store = Store(tmp_path_factory.mktemp("long") / "long.duckdb")
    load(store, WORLD)
    with Headway(store) as headway:
        yield headway


@pytest.mark.parametrize(
    ("window", "reached"),
    [
        ("3650d", [3, 2, 1]),
        ("520w", [3, 2, 1]),
        ("10y", [3, 2, 1]),
        ("100000d", [3, 2, 2]),
        ("9999y", [3, 3, 2]),  # c buys 3652058 days after its visit: more than 9999 * 365
        ("10000y", [3, 3, 2]),  # 3650000 days: still short of c's 3652058
        ("10006y", [3, 3, 3]),
        ("99999999999d", [3, 3, 3]),
        ("1000000000y", [3, 3, 3]),
    ],
)
def test_window_longer_than_the_data_gives_the_right_funnel(
    hw: Headway, window: str, reached: list[int]
) -> None:
    journey = {"name": "Long", "window": window, "stages": STAGES}
    report = hw.funnel(journey, as_of="9999-12-31T23:59:59")
    assert [s.reached for s in report.stages] == reached


@pytest.mark.parametrize("window", ["10y", "100000d", "99999999999d"])
def test_every_report_runs_with_a_long_window_and_stall_after(hw: Headway, window: str) -> None:
    journey = {"name": "Long", "window": window, "stall_after": window, "stages": STAGES}
    for as_of, entered in (("0001-01-01T12:00", 1), ("2010-06-01", 3), ("9999-12-31", 3)):
        funnel = hw.funnel(journey, as_of=as_of)
        assert funnel.stages[0].reached == entered
        # The threshold is shown as written, not as the engine's cap.
        assert funnel.stages[0].stall_after_seconds == parse_duration(window)
        hw.trends(journey, as_of=as_of)
        hw.stalls(journey, as_of=as_of)
        hw.drivers(journey, as_of=as_of)
        hw.attribution(journey, as_of=as_of)
        hw.contacts(journey, stage="Visit", as_of=as_of)


def test_a_long_window_keeps_its_text_and_the_engine_caps_it() -> None:
    journey = parse_journey({"name": "J", "window": "10y", "stages": STAGES[:1]})
    assert journey.window_seconds == 3650 * 86400
    huge = parse_journey({"name": "J", "window": "99999999999d", "stages": STAGES[:1]})
    assert huge.window_seconds == 99999999999 * 86400
    assert engine_micros(huge.window_seconds) == ENGINE_SPAN_SECONDS * 1_000_000
    assert engine_micros(parse_duration("3650d")) == 3650 * 86400 * 1_000_000
    # The cap plus the latest timestamp still fits int64 microseconds.
    latest = int((datetime(9999, 12, 31, 23, 59, 59) - datetime(1970, 1, 1)).total_seconds())
    assert (latest + ENGINE_SPAN_SECONDS) * 1_000_000 < 2**63
    earliest = int((datetime(1, 1, 1) - datetime(1970, 1, 1)).total_seconds())
    assert (earliest - ENGINE_SPAN_SECONDS) * 1_000_000 > -(2**63)
    assert latest - earliest < ENGINE_SPAN_SECONDS


def test_a_duration_with_more_digits_than_any_unit_needs_is_too_long() -> None:
    from headway.errors import InvalidJourney

    with pytest.raises(InvalidJourney) as caught:
        parse_journey({"name": "J", "window": "9" * 5000 + "d", "stages": STAGES[:1]})
    assert caught.value.details[0].field == "window"
    assert caught.value.details[0].reason.startswith("must be at most 1000000000y")
