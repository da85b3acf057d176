"""Identity merges in reports, as timelines: an anonymous id's activities count for the contact
it is merged into, retroactively, in every report; undo restores the report before the merge;
a merged world reports exactly as the same world written with known ids from the start."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headway.api import Headway
from headway.ingest.presets import IdentityClaim
from headway.store import Store
from tests.engine.activity_log import T0, at, load

AS_OF = "2025-03-01T00:00:00"
SIGNUP = [
    {"name": "Visit", "when": {"type": "page_visit"}},
    {"name": "Pricing", "when": {"type": "page_visit", "where": {"url": "/pricing"}}},
    {"name": "Sign-up", "when": {"type": "signup"}},
]


def journey(order: str = "ordered", **extra: Any) -> dict[str, Any]:
    """Visit -> pricing -> sign-up within a week."""
    return {"name": "Sign-up", "order": order, "window": "7d", "stages": SIGNUP, **extra}


def claim(hw: Headway, alias: str, contact: str, when: str = "1d", activity: str = "") -> str:
    """Record one claim; its status."""
    out = hw.claim_identities([IdentityClaim(alias, contact, at(when), activity or None, "test")])
    return out[0].status


def reached(hw: Headway, j: dict[str, Any] | None = None) -> list[int]:
    return [s.reached for s in hw.funnel(j or journey(), as_of=AS_OF).stages]


def who(hw: Headway, stage: int, j: dict[str, Any] | None = None) -> list[str]:
    found = hw.contacts(j or journey(), stage, as_of=AS_OF)
    return sorted(str(r["contact"]) for r in found.to_dict()["contacts"])


VISITS_THEN_SIGNUP = [
    ("cookie-1", "page_visit", "0s", {"url": "/blog"}),
    ("cookie-1", "page_visit", "1h", {"url": "/pricing"}),
    ("ann@example.com", "signup", "2h"),
]


def test_merge_after_entry_makes_the_anonymous_visits_the_first_stages(store: Store) -> None:
    load(store, VISITS_THEN_SIGNUP)
    hw = Headway(store)
    assert reached(hw) == [1, 1, 0]  # the cookie visited; the sign-up has no entry
    assert who(hw, 1) == ["cookie-1"]
    assert claim(hw, "cookie-1", "ann@example.com", "2h", "identify-1") == "merged"
    assert reached(hw) == [1, 1, 1]
    assert who(hw, 3) == ["ann@example.com"]
    times = hw.funnel(journey(), as_of=AS_OF).stages
    assert times[2].reached == 1


def test_chain_a_b_c_counts_for_c(store: Store) -> None:
    load(
        store,
        [
            ("device", "page_visit", "0s", {"url": "/"}),
            ("session", "page_visit", "1h", {"url": "/pricing"}),
            ("carl", "signup", "2h"),
        ],
    )
    hw = Headway(store)
    assert claim(hw, "device", "session", "1h") == "merged"
    assert reached(hw) == [1, 1, 0] and who(hw, 2) == ["session"]
    assert claim(hw, "session", "carl", "2h") == "merged"
    assert reached(hw) == [1, 1, 1] and who(hw, 1) == ["carl"]


def test_two_anonymous_ids_into_one_contact(store: Store) -> None:
    load(
        store,
        [
            ("laptop", "page_visit", "0s", {"url": "/"}),
            ("phone", "page_visit", "3h", {"url": "/pricing"}),
            ("ann", "signup", "5h"),
        ],
    )
    hw = Headway(store)
    assert reached(hw) == [2, 0, 0]  # one activity never satisfies two stages
    claim(hw, "laptop", "ann", "5h")
    claim(hw, "phone", "ann", "5h")
    assert reached(hw) == [1, 1, 1]
    assert who(hw, 1) == ["ann"]


def test_conflicting_claims_the_earliest_wins(store: Store) -> None:
    load(
        store,
        [
            ("shared-device", "page_visit", "0s", {"url": "/"}),
            ("shared-device", "page_visit", "30m", {"url": "/pricing"}),
            ("ann", "signup", "1h"),
            ("bob", "page_visit", "2h", {"url": "/"}),
            ("bob", "signup", "3h"),
        ],
    )
    hw = Headway(store)
    assert claim(hw, "shared-device", "ann", "1h") == "merged"
    assert claim(hw, "shared-device", "bob", "3h") == "conflict"
    assert reached(hw) == [2, 1, 1]
    assert who(hw, 3) == ["ann"]
    assert who(hw, 1) == ["ann", "bob"]


def test_undo_restores_the_previous_funnel(store: Store) -> None:
    load(store, VISITS_THEN_SIGNUP)
    hw = Headway(store)
    before = hw.funnel(journey(), as_of=AS_OF).to_dict()
    trends_before = hw.trends(journey(), "day", as_of=AS_OF).to_dict()
    claim(hw, "cookie-1", "ann@example.com")
    assert hw.funnel(journey(), as_of=AS_OF).to_dict() != before
    link = hw.identities("ann@example.com").links[0]  # type: ignore[union-attr]
    hw.unmerge(link.id)
    assert hw.funnel(journey(), as_of=AS_OF).to_dict() == before
    assert hw.trends(journey(), "day", as_of=AS_OF).to_dict() == trends_before
    assert who(hw, 1) == ["cookie-1"]


def test_a_contact_filter_names_the_known_id_and_covers_its_aliases(store: Store) -> None:
    load(store, VISITS_THEN_SIGNUP)
    hw = Headway(store)
    claim(hw, "cookie-1", "ann@example.com")
    only_ann = journey(filter={"where": {"contact": "ann@example.com"}})
    assert reached(hw, only_ann) == [1, 1, 1]
    only_cookie = journey(filter={"where": {"contact": "cookie-1"}})
    assert reached(hw, only_cookie) == [0, 0, 0]


def test_strict_mode_sees_the_merged_activities_as_one_sequence(store: Store) -> None:
    # The anonymous id's blog visit interrupts the known id's strict sequence once merged.
    load(
        store,
        [
            ("ann", "page_visit", "0s", {"url": "/"}),
            ("cookie", "email_open", "30m"),
            ("ann", "page_visit", "1h", {"url": "/pricing"}),
            ("ann", "signup", "2h"),
        ],
    )
    hw = Headway(store)
    assert reached(hw, journey("strict")) == [1, 1, 1]
    claim(hw, "cookie", "ann")
    assert reached(hw, journey("strict")) == [1, 0, 0]


def test_the_cached_report_follows_merge_and_undo(store: Store) -> None:
    load(store, VISITS_THEN_SIGNUP)
    hw = Headway(store)
    generation = store.generation
    assert reached(hw) == [1, 1, 0]
    assert reached(hw) == [1, 1, 0]  # served from the match cache
    out = hw.merge("cookie-1", "ann@example.com")
    assert store.generation > generation
    assert reached(hw) == [1, 1, 1]
    hw.unmerge(out.link_id or 0)
    assert reached(hw) == [1, 1, 0]


def test_email_reports_count_the_aliases_events_for_the_contact(store: Store) -> None:
    load(
        store,
        [
            ("ann", "email_sent", "0s", {"email": "welcome"}),
            ("ann-old-id", "email_open", "1h", {"email": "welcome"}),
            ("ann-old-id", "email_click", "2h", {"email": "welcome", "link": "x"}),
        ],
    )
    hw = Headway(store)
    claim(hw, "ann-old-id", "ann")
    j = {
        "name": "Email",
        "window": "1d",
        "stages": [
            {"name": "Sent", "when": {"type": "email_sent"}},
            {"name": "Open", "when": {"type": "email_open"}},
            {"name": "Click", "when": {"type": "email_click"}},
        ],
    }
    assert reached(hw, j) == [1, 1, 1]
    influence = hw.email_influence("welcome", journey=j, as_of=AS_OF).to_dict()
    assert json.dumps(influence)  # computed over the resolved contact without error


# -- the merged world equals the world written with known ids from the start -----------------

TYPES = ("page_visit", "signup", "email_open")
PERSON = st.tuples(
    st.integers(0, 2),  # anonymous ids of this person
    st.lists(
        st.tuples(
            st.integers(0, 2),  # under which id: 0 = known, 1.. = anonymous
            st.sampled_from(TYPES),
            st.integers(0, 72),  # hours after T0
            st.sampled_from(["/", "/pricing"]),
        ),
        max_size=7,
    ),
    st.booleans(),  # claims chained (anon2 -> anon1 -> known) or each to the known id
)


def _write(path: Path, rows: list[tuple[str, str, str, datetime, str]]) -> Store:
    store = Store(path)
    table = pa.table(
        {
            "id": [r[0] for r in rows],
            "contact": [r[1] for r in rows],
            "type": [r[2] for r in rows],
            "ts": pa.array([r[3] for r in rows], pa.timestamp("us")),
            "properties": [json.dumps({"url": r[4]}) for r in rows],
            "bot": [False] * len(rows),
            "bot_reason": pa.array([None] * len(rows), pa.string()),
            "source": ["test"] * len(rows),
        }
    )
    if rows:
        store.append_activities(table)
    return store


def _reports(hw: Headway) -> list[Any]:
    out: list[Any] = []
    for order in ("ordered", "strict", "unordered"):
        j = journey(order, window="1d")
        out.append(hw.funnel(j, as_of=AS_OF).to_dict())
        out.append(hw.trends(j, "day", as_of=AS_OF).to_dict())
        out.append([who(hw, s, j) for s in (1, 2, 3)])
    return out


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(PERSON, min_size=1, max_size=4))
def test_merged_world_reports_as_the_world_with_known_ids(people: list[Any]) -> None:
    merged_rows, known_rows, claims = [], [], []
    for p, (anonymous, activities, chained) in enumerate(people):
        known = f"user-{p}"
        ids = [known] + [f"anon-{p}-{i}" for i in range(1, anonymous + 1)]
        for n, (who_, kind, hours, url) in enumerate(activities):
            when = T0 + timedelta(hours=hours)
            raw = ids[min(who_, anonymous)]
            merged_rows.append((f"p{p}-{n}", raw, kind, when, url))
            known_rows.append((f"p{p}-{n}", known, kind, when, url))
        for i in range(1, anonymous + 1):
            into = ids[i - 1] if chained else known
            claims.append(IdentityClaim(ids[i], into, T0 + timedelta(hours=i), None, "test"))
    with tempfile.TemporaryDirectory() as tmp:
        merged = _write(Path(tmp) / "merged.duckdb", merged_rows)
        known_store = _write(Path(tmp) / "known.duckdb", known_rows)
        try:
            hw_merged, hw_known = Headway(merged), Headway(known_store)
            if claims:
                hw_merged.claim_identities(claims)
            if not merged_rows:
                return
            assert _reports(hw_merged) == _reports(hw_known)
        finally:
            merged.close()
            known_store.close()
