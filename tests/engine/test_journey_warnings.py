"""No silent zeros: each kind of journey warning, with its message, from a catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from headway.api import Headway
from headway.engine.catalog.discovery import Catalog, TypeSummary
from headway.engine.catalog.journey_warnings import journey_warnings
from headway.engine.options import DateWindow, ReportOptions
from headway.model.journey import parse_journey
from headway.model.property_paths import format_path
from headway.store import Store
from tests.engine.activity_log import load

START, END = datetime(2025, 1, 1), datetime(2025, 6, 30, 12)


def catalog(values: dict[tuple[str, tuple[str, ...]], tuple[Any, ...]] | None = None) -> Catalog:
    """Two types: 'Order Completed' (plan, context.page.url) and '$pageview' ($current_url)."""
    types = {
        name: TypeSummary(name, 10, 5, START, END) for name in ("Order Completed", "$pageview")
    }
    paths = {
        "Order Completed": frozenset({("plan",), ("context",), ("context", "page.url")}),
        "$pageview": frozenset({("$current_url",), ("n",)}),
    }
    seen = {
        ("Order Completed", ("plan",)): ("pro", "free", "Enterprise"),
        ("$pageview", ("n",)): (1, 2.5, True),
    }
    return Catalog(types, paths, values if values is not None else seen)


def warn(journey: dict[str, Any], options: ReportOptions | None = None) -> list[str]:
    """The warnings' texts for a journey definition."""
    return [str(w) for w in journey_warnings(parse_journey(journey), catalog(), options)]


def one_stage(when: dict[str, Any]) -> dict[str, Any]:
    """A journey of one stage with this condition."""
    return {"name": "J", "stages": [{"name": "S", "when": when}]}


def test_a_journey_that_matches_known_things_has_no_warnings() -> None:
    when = {"type": "Order Completed", "where": {"plan": {"in": ["pro", "free"]}}}
    assert warn(one_stage(when)) == []
    assert warn(one_stage({"type": "$pageview", "where": {"$current_url": "/anything"}})) == []


def test_an_unknown_type_suggests_the_closest() -> None:
    assert warn(one_stage({"type": "Order Complete"})) == [
        "stages[0].when.type: no activity of type 'Order Complete' was seen;"
        " did you mean 'Order Completed'?"
    ]
    assert warn(one_stage({"type": "zzz"})) == [
        "stages[0].when.type: no activity of type 'zzz' was seen"
    ]


def test_an_unknown_property_of_the_type_and_of_any_type() -> None:
    assert warn(one_stage({"type": "$pageview", "where": {"plan": "pro"}})) == [
        "stages[0].when.where.plan: no '$pageview' activity has a property 'plan'"
    ]
    assert warn(one_stage({"where": {"plans": "pro"}})) == [
        "stages[0].when.where.plans: no activity has a property 'plans'; did you mean 'plan'?"
    ]
    # A property seen with some type is fine in a condition without a type.
    assert warn(one_stage({"where": {"plan": "pro"}})) == []


def test_a_nested_path_with_a_dotted_key() -> None:
    ok = {"type": "Order Completed", "where": {'context."page.url"': "/p"}}
    assert warn(one_stage(ok)) == []
    wrong = {"type": "Order Completed", "where": {"context.page.url": "/p"}}
    assert warn(one_stage(wrong)) == [
        "stages[0].when.where.context.page.url: no 'Order Completed' activity has a property"
        " 'context.page.url'; did you mean 'context.\"page.url\"' or 'context'?"
    ]


def test_an_unseen_value_of_a_low_cardinality_property_suggests_the_closest() -> None:
    assert warn(one_stage({"type": "Order Completed", "where": {"plan": "Pro"}})) == [
        "stages[0].when.where.plan: 'Pro' was never seen in 'plan' of 'Order Completed'"
        " activities; did you mean 'pro'?"
    ]
    assert warn(one_stage({"type": "Order Completed", "where": {"plan": {"in": ["pro", "x"]}}})) == [
        "stages[0].when.where.plan: 'x' was never seen in 'plan' of 'Order Completed' activities"
    ]  # fmt: skip


def test_values_compare_with_their_json_types() -> None:
    assert warn(one_stage({"type": "$pageview", "where": {"n": 2.5}})) == []
    assert warn(one_stage({"type": "$pageview", "where": {"n": "1"}})) == [
        "stages[0].when.where.n: '1' was never seen in 'n' of '$pageview' activities"
    ]
    assert warn(one_stage({"type": "$pageview", "where": {"n": 2}})) == [
        "stages[0].when.where.n: 2 was never seen in 'n' of '$pageview' activities"
    ]


def test_other_operators_and_high_cardinality_paths_are_not_judged_by_value() -> None:
    assert warn(one_stage({"type": "Order Completed", "where": {"plan": {"neq": "x"}}})) == []
    # $current_url has no known values (high cardinality): any value may exist.
    assert warn(one_stage({"type": "$pageview", "where": {"$current_url": "/x"}})) == []


def test_every_place_of_a_journey_is_checked() -> None:
    journey = {
        "name": "J",
        "filter": {"type": "nope"},
        "stages": [
            {"name": "A", "when": {"any": [{"type": "$pageview"}, {"not": {"type": "x"}}]}},
            {"name": "B", "when": {"type": "$pageview"}},
        ],
        "exclusions": [{"when": {"type": "y"}, "between": ["A", "B"]}],
        "exit_when": {"all": [{"type": "$pageview"}, {"type": "z"}]},
    }
    fields = [w.split(":")[0] for w in warn(journey)]
    assert fields == [
        "filter.type",
        "stages[0].when.any[1].not.type",
        "exclusions[0].when.type",
        "exit_when.all[1].type",
    ]


def test_as_of_and_date_range_outside_the_data() -> None:
    span = "the data runs from 2025-01-01 00:00:00 to 2025-06-30 12:00:00"
    early = ReportOptions(as_of=datetime(2024, 12, 1))
    assert warn(one_stage({"type": "$pageview"}), early) == [
        f"as_of: 2024-12-01 00:00:00 is before the data starts ({span})"
    ]
    after = ReportOptions(as_of=END, date_range=DateWindow(datetime(2025, 7, 1), None))
    assert warn(one_stage({"type": "$pageview"}), after) == [
        f"date_range: it starts after the data ends ({span})"
    ]
    journey = {**one_stage({"type": "$pageview"}), "date_range": {"to": "2024-06-30"}}
    assert warn(journey, ReportOptions(as_of=END)) == [
        f"date_range: it ends before the data starts ({span})"
    ]
    inside = ReportOptions(as_of=END, date_range=DateWindow(None, datetime(2025, 2, 1)))
    assert warn(one_stage({"type": "$pageview"}), inside) == []


def test_an_empty_database_gives_one_warning() -> None:
    empty = Catalog({}, {}, {})
    found = journey_warnings(parse_journey(one_stage({"type": "a"})), empty, None)
    assert [str(w) for w in found] == ["the database holds no activities yet"]


def test_headway_warnings_read_the_stores_catalogue(store: Store) -> None:
    load(
        store,
        [
            ("ann", "Order Completed", "0s", {"plan": "pro"}),
            ("bob", "Order Completed", "1d", {"plan": "free"}),
        ],
    )
    found = Headway(store).warnings(
        one_stage({"type": "Order Completed", "where": {"plan": "Pro"}})
    )
    assert [w.to_dict() for w in found] == [
        {
            "kind": "unknown_value",
            "field": "stages[0].when.where.plan",
            "message": "'Pro' was never seen in 'plan' of 'Order Completed' activities;"
            " did you mean 'pro'?",
        }
    ]


@pytest.mark.parametrize("name", ["$pageview", "[Amplitude] Page Viewed", "Página vista", "a.b"])
def test_names_are_shown_verbatim(store: Store, name: str) -> None:
    load(store, [("ann", name, "0s", {name: "v"})])
    assert Headway(store).warnings(one_stage({"type": name})) == []
    found = Headway(store).warnings(one_stage({"type": name + "x"}))
    assert repr(name) in found[0].message
    # The values of a key with $, brackets, unicode or a dot are known too.
    where = {format_path((name,)): "w"}
    found = Headway(store).warnings(one_stage({"type": name, "where": where}))
    assert [w.kind for w in found] == ["unknown_value"]
    assert (
        Headway(store).warnings(one_stage({"type": name, "where": {where.popitem()[0]: "v"}})) == []
    )
