"""Touchpoint keys and intervals on a real store: names, boundaries, bots, stage activities."""

from __future__ import annotations

from typing import Any

import numpy as np

from headway.backends.duckdb import DuckDBBackend
from headway.engine.diagnostics.touchpoints import fetch_touchpoints, intervals_table, stage_mask
from headway.engine.options import ReportOptions, to_micros
from headway.model.journey import parse_journey
from headway.store import Store
from tests.engine.activity_log import at, load

JOURNEY = parse_journey(
    {
        "name": "J",
        "window": "7d",
        "stages": [
            {"name": "Invited", "when": {"type": "email_delivered", "where": {"email": "inv"}}},
            {"name": "Pricing", "when": {"type": "page_visit", "where": {"url": "/pricing"}}},
        ],
    }
)
OPTIONS = ReportOptions(as_of=at("30d"))


def us(offset: str) -> int:
    return to_micros(at(offset))


def keys(store: Store, start: str, end: str, skip: int = 0, **kw: Any) -> list[tuple[Any, ...]]:
    table = intervals_table(
        np.array([3]), np.array([0]), np.array([us(start)]), np.array([us(end)]), skip
    )
    out = fetch_touchpoints(DuckDBBackend(store), JOURNEY, OPTIONS, table, **kw)
    return sorted((r["touchpoint"], r["n"]) for r in out.to_pylist())


def test_keys_name_type_and_identifying_property(store: Store) -> None:
    load(
        store,
        [
            ("a", "email_click", "1h", {"email": "inv", "link": "register", "url": "https://x"}),
            ("a", "email_open", "2h", {"email": "inv", "campaign": "c"}),
            ("a", "page_visit", "3h", {"url": "https://www.x.example/blog/post?utm_source=ad#top"}),
            ("a", "page_visit", "4h", {"url": "/blog/post"}),
            ("a", "page_visit", "5h", {"url": "https://www.x.example"}),
            ("a", "form_submission", "6h", {"form": "trial"}),
            ("a", "purchase", "7h", {"campaign": "summer", "value": 29}),
            ("a", "custom_thing", "8h"),
        ],
    )
    assert keys(store, "0s", "1d") == [
        ("custom_thing", 1),
        ("email_click:inv/register", 1),
        ("email_open:inv", 1),
        ("form_submission:trial", 1),
        ("page_visit:/", 1),
        ("page_visit:/blog/post", 2),
        ("purchase:summer", 1),
    ]


def test_start_inclusive_end_exclusive(store: Store) -> None:
    load(
        store,
        [
            ("a", "form_submission", "1h", {"form": "at-start"}),
            ("a", "form_submission", "2h", {"form": "inside"}),
            ("a", "form_submission", "3h", {"form": "at-end"}),
        ],
    )
    assert keys(store, "1h", "3h") == [
        ("form_submission:at-start", 1),
        ("form_submission:inside", 1),
    ]


def test_human_view_leaves_out_bots(store: Store) -> None:
    load(
        store,
        [
            ("a", "email_click", "1h", {"email": "inv", "link": "x"}, True),
            ("a", "email_click", "2h", {"email": "inv", "link": "y"}),
        ],
    )
    assert keys(store, "0s", "1d") == [("email_click:inv/y", 1)]
    assert len(keys(store, "0s", "1d", human=False)) == 2


def test_stage_activities_are_left_out_when_skipped(store: Store) -> None:
    load(
        store,
        [
            ("a", "email_delivered", "1h", {"email": "inv"}),
            ("a", "email_delivered", "2h", {"email": "other"}),
            ("a", "page_visit", "3h", {"url": "/pricing"}),
            ("a", "page_visit", "4h", {"url": "/docs"}),
        ],
    )
    assert len(keys(store, "0s", "1d")) == 4
    assert keys(store, "0s", "1d", stage_mask([0, 1])) == [
        ("email_delivered:other", 1),
        ("page_visit:/docs", 1),
    ]
    assert len(keys(store, "0s", "1d", stage_mask([1]))) == 3


def test_as_of_and_other_contacts_bound_the_rows(store: Store) -> None:
    load(
        store,
        [
            ("a", "form_submission", "1h", {"form": "x"}),
            ("a", "form_submission", "31d", {"form": "after-as-of"}),
            ("b", "form_submission", "1h", {"form": "someone-else"}),
        ],
    )
    assert keys(store, "0s", "60d") == [("form_submission:x", 1)]
