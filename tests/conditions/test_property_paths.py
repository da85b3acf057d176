"""Property paths (docs/journeys.md): parse/format round-trip, clear messages for malformed
paths, and exact addressing of hostile keys in real DuckDB (values and keys never break out
of their literals); string ranges compare strings with strings, never across types."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from condition_log import activity_table, condition, run_condition
from hypothesis import given, settings
from hypothesis import strategies as st

from headway.backends.duckdb_dialect import DUCKDB_SQL, json_pointer
from headway.conditions import Params, Scope, compile_condition
from headway.model.condition import Predicate, property_field, property_path
from headway.model.property_paths import PATH_PATTERN, format_path, parse_path, path_problem
from headway.store import Store

KEYS = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=200)
HOSTILE_KEYS = [
    'a"b', "it's", "back\\slash", 'x\\"y', "\\", '"', '"quoted"', "a.b", "$current_url",
    "[0]", "a]b", "*", "$", "$.x", "page url", "Página vista", "[Amplitude] Page Viewed",
    "~/x", "a/b", "/", "~", "~1", "'; DROP TABLE activities; --", "a..b", ".", "..",
    "contact", "source", "bot", "properties", "😀 emoji", " leading", "trailing ", "\u2028",
]  # fmt: skip


@given(st.lists(KEYS, min_size=1, max_size=4).map(tuple))
@settings(max_examples=300)
def test_format_then_parse_gives_the_keys_back(keys: tuple[str, ...]) -> None:
    text = format_path(keys)
    assert parse_path(text) == keys
    assert property_path(property_field(keys)) == keys
    import re

    assert re.search(PATH_PATTERN, text)


def test_keys_are_written_bare_unless_they_must_be_quoted() -> None:
    assert format_path(("$current_url",)) == "$current_url"
    assert format_path(("[Amplitude] Page Viewed",)) == "[Amplitude] Page Viewed"
    assert format_path(("context", "page.url")) == 'context."page.url"'
    assert format_path(("a.b",)) == '"a.b"'
    assert format_path(('"q"',)) == '"\\"q\\""'
    assert format_path(('say "hi"',)) == 'say "hi"'
    assert parse_path("Página vista.utm source") == ("Página vista", "utm source")
    assert parse_path('context."page.url".x') == ("context", "page.url", "x")


def test_special_fields_and_the_properties_prefix() -> None:
    assert property_path("contact") is None
    assert property_path("properties.contact") == ("contact",)
    assert property_path('"contact"') == ("contact",)
    assert property_field(("contact",)) == "properties.contact"
    assert property_field(("properties", "x")) == "properties.properties.x"
    assert property_field(("utm", "source")) == "utm.source"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "is empty"),
        (".a", "starts with '.' (a key is missing)"),
        ("a.", "ends with '.' (a key is missing after it)"),
        ("a..b", "has '..' at position 2 (a key is missing)"),
        ('"abc', "has a quoted key at position 1 that is not a JSON string"),
        ('"a"b', "has 'b' at position 4 after a quoted key (expected '.' or the end)"),
        ('x."a".', "ends with '.' (a key is missing after it)"),
        ('""', 'has key 1 ("") that must not be empty'),
        ('"a\\tb"', 'has key 1 ("a\\tb") that contains a control character (U+0009) at position 2'),
        ("a\u0085b", 'has key 1 ("a\u0085b") that contains a control character (U+0085)'),
        ("x." + "k" * 201, 'has key 2 ("' + "k" * 57 + '...") that is longer than 200'),
        ("k" * 2001, "is longer than 2000 characters"),
    ],
)
def test_malformed_paths_say_what_is_wrong(text: str, reason: str) -> None:
    why = path_problem(text)
    assert why is not None and why.startswith(reason), why


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Per hostile key i: ``hit-i`` has it (top level and nested under ``n``), ``near-i`` has
    similar keys (and the key as a value), ``miss-i`` has neither."""
    rows: dict[str, tuple[str, str, str, bool, Any]] = {}
    for i, key in enumerate(HOSTILE_KEYS):
        rows[f"hit-{i}"] = ("a", "t", "api", False, {key: "v", "n": {key: 5}})
        near = {key + " ": "v", "n": {key + "x": 5}, "v": key}
        rows[f"near-{i}"] = ("b", "t", "api", False, near)
        rows[f"miss-{i}"] = ("c", "t", "api", False, {"other": "v"})
    with Store(tmp_path_factory.mktemp("hostile-keys") / "h.duckdb") as store:
        store.append_activities(activity_table(rows))
        yield store


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_the_json_pointer_addresses_any_key_exactly_in_duckdb(
    hostile_store: Store, key: str
) -> None:
    """Each hostile key, at the top level and nested under ``n``, is found by eq, exists,
    contains and ranges; no neighbour with a similar key is."""
    i = HOSTILE_KEYS.index(key)
    mine = {f"hit-{i}", f"near-{i}", f"miss-{i}"}
    top = property_field((key,))
    deep = property_field(("n", key))
    for where, expected in [
        ({top: "v"}, {"hit"}),
        ({top: {"exists": True}}, {"hit"}),
        ({top: {"contains": "v"}}, {"hit"}),
        ({top: {"gte": "v"}}, {"hit"}),
        ({top: {"neq": "v"}}, {"near", "miss"}),
        ({deep: 5}, {"hit"}),
        ({deep: {"gt": 4.5}}, {"hit"}),
        ({deep: {"exists": False}}, {"near", "miss"}),
    ]:
        found = run_condition(hostile_store, condition({"where": where})) & mine
        assert found == {f"{e}-{i}" for e in expected}, where
    assert hostile_store.execute("SELECT count(*) FROM activities").scalar() == 3 * len(
        HOSTILE_KEYS
    )


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_the_pointer_is_one_escaped_literal(key: str) -> None:
    params = Params()
    cond = condition({"where": {property_field(("ctx", key)): {"exists": True}}})
    sql = compile_condition(cond, Scope({}, sql=DUCKDB_SQL), params).sql(dialect="duckdb")
    pointer = json_pointer(("ctx", key))
    assert pointer == "/ctx/" + key.replace("~", "~0").replace("/", "~1")
    assert f"'{pointer.replace(chr(39), chr(39) * 2)}'" in sql
    assert params.values == {}  # the key is a path literal; no value was bound


# --- string ranges: timeline style, which activities match --------------------------------

RANGE_LOG: dict[str, tuple[str, str, str, bool, Any]] = {
    "jan": ("a", "signup", "api", False, {"signup_date": "2025-01-15", "version": "1.9.0"}),
    "feb": ("b", "signup", "api", False, {"signup_date": "2025-02-01", "version": "1.10.0"}),
    "dec": ("c", "signup", "api", False, {"signup_date": "2024-12-31", "version": "2.0.0"}),
    "num": ("d", "signup", "api", False, {"signup_date": 20250301, "version": 2}),
    "null": ("e", "signup", "api", False, {"signup_date": None}),
    "none": ("f", "signup", "api", False, {}),
    "bool": ("g", "signup", "api", False, {"signup_date": True}),
    "upper": ("h", "signup", "api", False, {"plan": "Pro"}),
    "lower": ("i", "signup", "api", False, {"plan": "pro"}),
    "accent": ("j", "signup", "api", False, {"plan": "éclair"}),
}


@pytest.fixture(scope="module")
def range_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with Store(tmp_path_factory.mktemp("ranges") / "r.duckdb") as store:
        store.append_activities(activity_table(RANGE_LOG))
        yield store


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"signup_date": {"gte": "2025-01-01"}}, {"jan", "feb"}),
        ({"signup_date": {"lt": "2025-01-01"}}, {"dec"}),
        ({"signup_date": {"gt": "2025-01-15"}}, {"feb"}),
        ({"signup_date": {"lte": "2025-01-15"}}, {"jan", "dec"}),
        ({"signup_date": {"gte": "2025-01-01", "lt": "2025-02-01"}}, {"jan"}),
        # numbers with numbers only: the number 20250301 is no date string, and vice versa
        ({"signup_date": {"gt": 0}}, {"num"}),
        ({"signup_date": {"gt": "0"}}, {"jan", "feb", "dec"}),
        # code-point order: "1.10.0" < "1.9.0" as strings
        ({"version": {"gt": "1.9.0"}}, {"dec"}),
        ({"version": {"lt": "1.9.0"}}, {"feb"}),
        ({"version": {"gte": 2}}, {"num"}),
        # "Pro" < "pro" < "éclair" (U+0050 < U+0070 < U+00E9)
        ({"plan": {"lt": "pro"}}, {"upper"}),
        ({"plan": {"gt": "pro"}}, {"accent"}),
        ({"plan": {"gte": "P", "lt": "Q"}}, {"upper"}),
        # absent or null: ranges are false; under not, true
        ({"missing": {"lt": "z"}}, set()),
    ],
)
def test_string_ranges_compare_strings_with_strings(
    range_store: Store, where: dict[str, Any], expected: set[str]
) -> None:
    assert run_condition(range_store, condition({"where": where})) == expected


def test_a_negated_range_holds_for_absent_null_and_other_types(range_store: Store) -> None:
    cond = condition({"not": {"where": {"signup_date": {"gte": "2025-01-01"}}}})
    assert run_condition(range_store, cond) == set(RANGE_LOG) - {"jan", "feb"}


def test_a_string_bound_is_a_valid_definition() -> None:
    cond = condition({"type": "signup", "where": {"signup_date": {"gte": "2025-01-01"}}})
    assert cond.where == (Predicate("signup_date", "gte", "2025-01-01"),)
    assert json.loads(json.dumps({"gte": "2025-01-01"})) == {"gte": "2025-01-01"}
