"""``journey_paths`` (array operations) against the former per-contact builder on seeded worlds.

Each world has a few hundred contacts with random visits, email events (some bot-labelled,
some sends), forms and purchases, with many ties in time so that the order of touchpoints at
the same instant matters; both views and two journeys.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from headway.api import Headway
from headway.engine.attribution.paths import aggregate_paths, group_paths
from headway.engine.attribution.report import journey_paths
from headway.store import Store
from tests.engine.activity_log import load
from tests.engine.reference_paths import reference_paths

JOURNEYS: list[dict[str, Any]] = [
    {
        "name": "Visit to buy",
        "window": "10d",
        "stages": [
            {"name": "Visit", "when": {"type": "page_visit", "where": {"url": "/"}}},
            {"name": "Buy", "when": {"type": "purchase"}},
        ],
    },
    {
        "name": "Open, pricing, trial",
        "order": "unordered",
        "window": "5d",
        "stages": [
            {"name": "Open", "when": {"type": "email_open"}},
            {"name": "Pricing", "when": {"type": "page_visit", "where": {"url": "/pricing"}}},
            {"name": "Trial", "when": {"type": "form_submission", "where": {"form": "trial"}}},
        ],
    },
]
URLS = ["/", "/pricing", "/blog/a", "https://x.example/pricing?utm=1", "/docs"]


def seeded_world(store: Store, seed: int, contacts: int = 250) -> None:
    """Random activities of ``contacts`` contacts over 20 days (times on a coarse grid)."""
    rng = random.Random(seed)
    rows: list[tuple[Any, ...]] = []
    for c in range(contacts):
        for _ in range(rng.randint(0, 14)):
            t = f"{rng.randint(0, 20 * 24) * 3600}s"  # hours only: many ties
            kind = rng.random()
            email = {"email": rng.choice(["n1", "n2", "w1"])}
            if kind < 0.4:
                rows.append((f"c{c}", "page_visit", t, {"url": rng.choice(URLS)}))
            elif kind < 0.75:
                event = rng.choice(["email_sent", "email_delivered", "email_open", "email_click"])
                props = (
                    {**email, "link": rng.choice(["a", "b"])} if event == "email_click" else email
                )
                rows.append((f"c{c}", event, t, props, rng.random() < 0.2))
            elif kind < 0.85:
                rows.append(
                    (f"c{c}", "form_submission", t, {"form": rng.choice(["trial", "news"])})
                )
            else:
                rows.append((f"c{c}", "purchase", t, {"value": rng.randint(1, 99)}))
    load(store, rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_paths_equal_the_former_builder(store: Store, seed: int) -> None:
    seeded_world(store, seed)
    hw = Headway(store)
    for journey in JOURNEYS:
        matched = hw.match(journey, as_of="2025-01-25")
        for human in (True, False):
            got = journey_paths(hw.backend, matched, human=human)
            assert got == reference_paths(hw.backend, matched, human=human)
            assert got.contacts() == int((matched.result.reached >= 1).sum())
    assert len(got.sequences) > 10  # the worlds are not trivial


def test_group_paths_small_cases() -> None:
    rows = pa.array(["b", "a", "b", "a", "b", "a", "b", "a", "b"])
    row_contacts = np.array([1, 1, 2, 2, 4, 4, 4, 5, 5])
    contacts = np.array([1, 2, 3, 4, 5])  # 3 has no touchpoint
    converted = np.array([True, False, True, False, True])
    expected = aggregate_paths(
        [
            (("b", "a"), True),
            (("b", "a"), False),
            ((), True),
            (("b", "a", "b"), False),
            (("a", "b"), True),
        ]
    )
    assert group_paths(contacts, converted, row_contacts, rows) == expected
    empty = group_paths(
        np.array([7]), np.array([False]), np.array([], np.int64), pa.array([], pa.string())
    )
    assert empty == aggregate_paths([((), False)])
