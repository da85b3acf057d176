"""Transition drivers: the touchpoint windows on a timeline, the report's figures, and the
acceptance checks on the demo world (planted driver found; no more than 5 % false finds)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from headway.backends.duckdb import DuckDBBackend
from headway.engine.diagnostics.drivers import (
    contact_touchpoints,
    drivers_report,
    first_seen,
    plan_pairs,
    transition_pairs,
    transition_plan,
)
from headway.engine.funnel.outcomes import outcomes
from headway.engine.kernel.run import match_journey
from headway.engine.options import ReportOptions
from headway.errors import InvalidInput
from headway.model.journey import Journey, parse_journey
from headway.store import Store
from headway.store.journeys import resolve_journey
from tests.engine.activity_log import at, load

HEADWAY = str(Path(sys.executable).with_name("headway"))
AS_OF = ReportOptions(as_of=at("3d"))


def two_stage(**extra: Any) -> Journey:
    return parse_journey(
        {
            "name": "T",
            "window": "1d",
            "stages": [
                {"name": "A", "when": {"type": "page_visit", "where": {"url": "/a"}}},
                {"name": "B", "when": {"type": "page_visit", "where": {"url": "/b"}}},
            ],
            **extra,
        }
    )


def form(contact: str, label: str, offset: str) -> tuple[Any, ...]:
    return (contact, "form_submission", offset, {"form": label})


def visit(contact: str, url: str, offset: str) -> tuple[Any, ...]:
    return (contact, "page_visit", offset, {"url": url})


def counted(store: Store, journey: Journey, options: ReportOptions = AS_OF) -> dict[str, set[str]]:
    """Per contact id: the touchpoints the transition A -> B counts."""
    backend = DuckDBBackend(store)
    matched = match_journey(backend, journey, options)
    plan = transition_plan(matched, outcomes(matched), first_seen(backend, matched), 0, 1)
    found = contact_touchpoints(backend, matched, [plan], human=True)
    rows, codes = plan_pairs(plan, found)
    ids = backend.contact_ids(matched.result.contact[rows])
    out: dict[str, set[str]] = {}
    for contact, code in zip(ids, codes, strict=True):
        out.setdefault(str(contact), set()).add(found.keys[code])
    return out


def test_touchpoint_window_boundaries(store: Store) -> None:
    load(
        store,
        [
            # advanced: strictly after t_A, strictly before t_B; stage activities left out
            visit("x", "/a", "0s"),
            form("x", "x-at-start", "0s"),
            form("x", "x-inside", "1h"),
            visit("x", "/a", "2h"),
            visit("x", "/b", "5h"),
            form("x", "x-at-end", "5h"),
            form("x", "x-after", "6h"),
            # not advanced: watched for the wait of a contact who moved on (x: 5 h), exclusive
            visit("y", "/a", "0s"),
            form("y", "y-inside", "4h"),
            form("y", "y-at-borrowed-wait", "5h"),
            # not advanced, exited: up to and including the exit
            visit("z", "/a", "0s"),
            form("z", "z-before-exit", "2h"),
            ("z", "email_bounce", "3h"),
            form("z", "z-after-exit", "4h"),
        ],
    )
    found = counted(store, two_stage(exit_when={"type": "email_bounce"}))
    assert found == {
        "x": {"form_submission:x-inside"},
        "y": {"form_submission:y-inside"},
        "z": {"form_submission:z-before-exit", "email_bounce"},
    }


def test_window_end_is_inclusive_for_contacts_who_did_not_move_on(store: Store) -> None:
    load(
        store,
        [
            visit("x", "/a", "0s"),
            visit("x", "/b", "2d"),  # outside the 1-day window: x does not advance either
            visit("y", "/a", "0s"),
            form("y", "at-window-end", "1d"),
            form("y", "after-window", "25h"),
        ],
    )
    # Nobody moved on: everyone is watched to the end of the window, inclusive (DESIGN §5).
    assert counted(store, two_stage())["y"] == {"form_submission:at-window-end"}


def test_report_counts_leave_out_contacts_still_in_progress(store: Store) -> None:
    rows = []
    for i in range(30):
        rows += [
            visit(f"m{i}", "/a", "0s"),
            form(f"m{i}", "demo", "1h"),
            visit(f"m{i}", "/b", "2h"),
        ]
    for i in range(30):
        rows += [visit(f"s{i}", "/a", "0s"), form(f"s{i}", "other", "1h")]
    rows += [visit("late", "/a", "71h"), form("late", "demo", "71.5h")]  # window still open
    load(store, rows)
    report = drivers_report(DuckDBBackend(store), two_stage(), AS_OF, min_support=10)
    (t,) = report.transitions
    assert (t.population, t.advanced, t.in_progress_left_out) == (60, 30, 1)
    top = t.drivers[0]
    assert top.touchpoint == "form_submission:demo"
    assert (top.with_advanced, top.with_not_advanced) == (30, 0)
    assert (top.without_advanced, top.without_not_advanced) == (0, 30)
    assert top.sentence.startswith("Contacts who sent the demo form moved on")
    assert any("Haldane" in w for w in top.warnings)
    as_json = report.to_dict()
    assert as_json["transitions"][0]["drivers"][0]["touchpoint"] == "form_submission:demo"
    assert report.to_arrow().num_rows == len(t.drivers)


def test_transitions_and_stage_choice() -> None:
    three = parse_journey(
        {
            "name": "three",
            "stages": [
                {"name": n, "when": {"type": "page_visit", "where": {"url": f"/{n}"}}}
                for n in "abc"
            ],
        }
    )
    assert transition_pairs(three, None) == [(0, 1), (1, 2), (0, 2)]
    assert transition_pairs(three, 1) == [(1, 2)]
    assert transition_pairs(two_stage(), None) == [(0, 1)]
    with pytest.raises(InvalidInput):
        transition_pairs(three, 2)


# -- the demo world -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The default demo world (20,000 contacts, seed 7), built by the real command."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    subprocess.run([HEADWAY, "--db", str(path), "demo"], check=True, capture_output=True)
    store = Store(path, read_only=True)
    yield store
    store.close()


def test_planted_driver_ranks_first_on_the_demo_world(demo_store: Store) -> None:
    journey = resolve_journey(demo_store, "Webinar invite")
    options = ReportOptions(as_of=at("0s").replace(year=2025, month=6, day=30))
    report = drivers_report(DuckDBBackend(demo_store), journey, options)
    (t,) = report.transitions
    top = t.drivers[0]
    print(f"planted driver: {top.touchpoint} rank 1, q = {top.q:.2g}, {top.sentence}")
    assert top.touchpoint == "email_click:webinar-invite/register"
    assert top.q < 0.01
    assert top.rate_ratio > 1.5


@pytest.mark.slow
def test_null_worlds_report_at_most_5_percent_significant(tmp_path: Path) -> None:
    tested = significant = 0
    for seed in range(20):
        path = tmp_path / f"null-{seed}.duckdb"
        world = ["--no-effects", "--seed", str(seed), "--contacts", "5000"]
        subprocess.run(
            [HEADWAY, "--db", str(path), "demo", *world],
            check=True,
            capture_output=True,
        )
        with Store(path, read_only=True) as store:
            journey = resolve_journey(store, "Webinar invite")
            options = ReportOptions(as_of=at("0s").replace(year=2025, month=6, day=30))
            report = drivers_report(DuckDBBackend(store), journey, options)
        for t in report.transitions:
            tested += len(t.drivers)
            significant += sum(d.q < 0.05 for d in t.drivers)
    share = significant / tested
    print(f"null worlds: {significant} of {tested} tested touchpoints at q < 0.05 ({share:.1%})")
    assert tested > 200
    assert share <= 0.05


def test_unordered_journeys_leave_out_every_stage_activity(store: Store) -> None:
    load(
        store,
        [
            visit("x", "/a", "0s"),  # 1 stage done
            visit("x", "/b", "1h"),  # 2 stages done
            visit("x", "/a", "90m"),  # a stage-1 activity inside 2 -> 3: still not a touchpoint
            form("x", "inside", "2h"),
            visit("x", "/c", "3h"),  # 3 stages done
        ],
    )
    three = parse_journey(
        {
            "name": "U",
            "order": "unordered",
            "window": "1d",
            "stages": [
                {"name": n, "when": {"type": "page_visit", "where": {"url": f"/{n}"}}}
                for n in "abc"
            ],
        }
    )
    backend = DuckDBBackend(store)
    matched = match_journey(backend, three, AS_OF)
    plan = transition_plan(matched, outcomes(matched), first_seen(backend, matched), 1, 2)
    found = contact_touchpoints(backend, matched, [plan], human=True)
    _, codes = plan_pairs(plan, found)
    assert sorted(found.keys[c] for c in codes) == ["form_submission:inside"]
