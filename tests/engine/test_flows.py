"""The flow between two stages over a real store; expected links counted by hand below."""

from __future__ import annotations

from typing import Any

import pytest

from headway.api import Headway
from headway.errors import InvalidInput
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
AS_OF = "2025-01-06"  # T0 + 5d


@pytest.fixture
def hw(store: Store) -> Headway:
    load(
        store,
        [
            # a: two things between Visit and Click, then the click      -> Reached Click
            ("a", "page_visit", "0s"),
            ("a", "page_visit", "10m", {"url": "/pricing"}),
            ("a", "email_open", "20m", {"email": "w1"}),
            ("a", "email_click", "1h"),
            ("a", "email_open", "2h", {"email": "after"}),  # after Click: not in the flow
            # b: one open, then nothing until the window closed        -> Dropped
            ("b", "page_visit", "0s"),
            ("b", "email_open", "5m", {"email": "w1"}),
            ("b", "email_open", "2d", {"email": "late"}),  # after the window: not in it
            # c: only a send (left out unless sends) before the click  -> Reached Click
            ("c", "page_visit", "0s"),
            ("c", "email_sent", "1m", {"email": "w1"}),
            ("c", "email_click", "2m"),
            # d: entered an hour before as_of, one visit since         -> In progress
            ("d", "page_visit", "119h"),
            ("d", "page_visit", "119.5h", {"url": "https://x.example/docs?utm=1"}),
            # e: only a bot's open (left out unless human=False)       -> Dropped
            ("e", "page_visit", "0s"),
            ("e", "email_open", "5m", {"email": "w9"}, True),
        ],
    )
    set_attributes(store, {"a": {"plan": "pro"}, "d": {"plan": "pro"}})
    return Headway(store)


def links(report: Any) -> dict[tuple[int, str, int, str], int]:
    return {
        (r["from_step"], r["from"], r["to_step"], r["to"]): r["contacts"] for r in report.rows()
    }


def test_flow_paths_fold_into_other_and_end_at_outcomes(hw: Headway) -> None:
    report = hw.flow(JOURNEY, "Visit", steps=2, top=1, as_of=AS_OF)
    assert (report.contacts, report.moved_on, report.dropped, report.in_progress) == (5, 2, 2, 1)
    # Step 1 holds /pricing (a), w1 (b), /docs (d), one each: the top 1 by label is the open.
    assert links(report) == {
        (0, "Reached Visit", 1, "Other"): 2,  # a, d
        (0, "Reached Visit", 1, "email_open · w1"): 1,  # b
        (0, "Reached Visit", 3, "Reached Click"): 1,  # c: nothing in between
        (0, "Reached Visit", 3, "Dropped"): 1,  # e: only a bot
        (1, "Other", 2, "email_open · w1"): 1,  # a
        (1, "Other", 3, "In progress"): 1,  # d
        (1, "email_open · w1", 3, "Dropped"): 1,  # b
        (2, "email_open · w1", 3, "Reached Click"): 1,  # a
    }
    sizes = {(n.step, n.label): n.contacts for n in report.nodes}
    assert sizes[(0, "Reached Visit")] == 5
    assert sizes[(3, "Reached Click")] == 2


def test_flow_labels_sends_bots_and_segments(hw: Headway) -> None:
    wide = hw.flow(JOURNEY, 1, steps=3, top=10, as_of=AS_OF, sends=True, human=False)
    got = links(wide)
    assert got[(0, "Reached Visit", 1, "email_sent · w1")] == 1  # c's send, now shown
    assert got[(0, "Reached Visit", 1, "email_open · w9")] == 1  # e's bot open, now shown
    assert got[(0, "Reached Visit", 1, "page_visit · /docs")] == 1  # a URL shows its path
    assert got[(1, "page_visit · /pricing", 2, "email_open · w1")] == 1
    pro = hw.flow(JOURNEY, 1, steps=2, top=5, as_of=AS_OF, segment=["attributes.plan=pro"])
    assert (pro.contacts, pro.moved_on, pro.in_progress) == (2, 1, 1)  # a and d
    from_click = hw.flow(JOURNEY, "Click", as_of=AS_OF)
    assert (from_click.contacts, from_click.next_stage) == (2, "Buy")
    assert links(from_click) == {
        (0, "Reached Click", 1, "email_open · after"): 1,  # a, until its window closed
        (1, "email_open · after", 5, "Dropped"): 1,
        (0, "Reached Click", 5, "Dropped"): 1,  # c
    }


def test_flow_refuses_the_last_stage_and_bad_sizes(hw: Headway) -> None:
    with pytest.raises(InvalidInput, match="'Buy' is the last stage"):
        hw.flow(JOURNEY, "Buy", as_of=AS_OF)
    with pytest.raises(InvalidInput, match="--steps: 0"):
        hw.flow(JOURNEY, 1, steps=0, as_of=AS_OF)
