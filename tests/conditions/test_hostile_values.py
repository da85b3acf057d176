"""Hostile values are matched literally and never reach the SQL text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from condition_log import activity_table, condition, run_condition, scope_of

from headway.conditions import Params, compile_condition
from headway.store import Store

HOSTILE = [
    "it's",
    'say "hi"',
    "'; DROP TABLE activities; --",
    "x' OR '1'='1",
    "-- comment",
    "/* c */",
    "a;b",
    "$p1",
    ":p0",
    "?",
    "back\\slash\\",
    "tab\there\nnewline",
    "nul\x00byte",
    "Zürich ☃ 𝄞 مرحبا",
    "\u202eRTL",
    ".*[(+?{",
    "%_%",
    "x" * 100_000,
]


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(tmp_path_factory.mktemp("hostile") / "headway.duckdb")
    rows = {f"h{i}": ("c", "page_visit", "api", False, {"v": v}) for i, v in enumerate(HOSTILE)}
    rows["plain"] = ("c", "page_visit", "api", False, {"v": "plain", "other": "$p1"})
    store.append_activities(activity_table(rows))
    yield store
    store.close()


@pytest.mark.parametrize("value", HOSTILE, ids=[repr(v[:20]) for v in HOSTILE])
@pytest.mark.parametrize("op", ["eq", "contains", "starts_with", "icontains", "in"])
def test_hostile_value_matches_literally(hostile_store: Store, value: str, op: str) -> None:
    spec = [value] if op == "in" else value
    cond = condition({"type": "page_visit", "where": {"v": {op: spec}}})
    found = run_condition(hostile_store, cond)
    index = HOSTILE.index(value)
    literal = {f"h{i}" for i, v in enumerate(HOSTILE) if _holds(op, v, value)}
    assert f"h{index}" in found
    assert found == literal
    sql = compile_condition(cond, scope_of(hostile_store), Params()).sql(dialect="duckdb")
    assert value not in sql
    assert "activities" not in sql.lower()


def test_dollar_placeholder_text_is_a_value_not_a_reference(hostile_store: Store) -> None:
    cond = condition({"where": {"v": "plain", "other": "$p1"}})
    assert run_condition(hostile_store, cond) == {"plain"}


def test_store_still_whole_after_hostile_queries(hostile_store: Store) -> None:
    count = hostile_store.execute("SELECT count(*) FROM activities").scalar()
    assert count == len(HOSTILE) + 1


def _holds(op: str, stored: str, value: str) -> bool:
    if op in ("eq", "in"):
        return stored == value
    if op == "contains":
        return value in stored
    if op == "icontains":
        return value.lower() in stored.lower()
    return stored.startswith(value)
