"""Every operator of DESIGN §4 against a real DuckDB: absent/null rules and JSON types."""

from __future__ import annotations

from typing import Any

import pytest
from condition_log import ALL_IDS, Runner, condition
from sqlglot import exp

from headway.backends.duckdb_dialect import DUCKDB_SQL
from headway.conditions import Params, Scope, compile_condition
from headway.model.condition import Match, Predicate

CASES: list[tuple[dict[str, Any], set[str]]] = [
    # bare value = eq; numbers as numbers (5 == 5.0), strings as strings ("5" != 5)
    ({"where": {"value": 5}}, {"a1", "a3"}),
    ({"where": {"value": "5"}}, {"a2"}),
    ({"where": {"value": {"eq": 5.0}}}, {"a1", "a3"}),
    ({"where": {"flag": True}}, {"a1"}),
    ({"where": {"flag": "true"}}, {"a2"}),
    ({"where": {"flag": False}}, {"a8"}),
    ({"where": {"url": "/pricing"}}, {"a1"}),
    ({"where": {"url": "café ☃ 𝄞"}}, {"a8"}),
    # neq: absent and null are "not equal"
    ({"where": {"url": {"neq": "/pricing"}}}, ALL_IDS - {"a1"}),
    ({"where": {"value": {"neq": 5}}}, ALL_IDS - {"a1", "a3"}),
    # in / not_in, mixed types
    ({"where": {"value": {"in": [5, "x"]}}}, {"a1", "a3"}),
    ({"where": {"value": {"in": ["5", 10.5]}}}, {"a2", "a6"}),
    ({"where": {"url": {"not_in": ["/pricing", "/home"]}}}, ALL_IDS - {"a1", "a2"}),
    ({"where": {"flag": {"in": [True, False]}}}, {"a1", "a8"}),
    # text operators: strings only (the number 7 is not the text "7")
    ({"where": {"url": {"contains": "pric"}}}, {"a1"}),
    ({"where": {"url": {"icontains": "PRIC"}}}, {"a1", "a6"}),
    ({"where": {"url": {"contains": "7"}}}, set()),
    ({"where": {"url": {"starts_with": "/"}}}, {"a1", "a2", "a6"}),
    ({"where": {"url": {"regex": "^/(home|pricing)$"}}}, {"a1", "a2"}),
    ({"where": {"url": {"regex": "☃"}}}, {"a8"}),
    ({"where": {"value": {"contains": "5"}}}, {"a2"}),
    # ranges: numbers only ("5" is a string)
    ({"where": {"value": {"gt": 4}}}, {"a1", "a3", "a6"}),
    ({"where": {"value": {"gte": 5, "lt": 10.5}}}, {"a1", "a3"}),
    ({"where": {"value": {"lte": 5}}}, {"a1", "a3", "a8"}),
    ({"where": {"value": {"lt": 0}}}, {"a8"}),
    # exists: null counts as absent
    ({"where": {"url": {"exists": True}}}, {"a1", "a2", "a6", "a7", "a8"}),
    ({"where": {"url": {"exists": False}}}, {"a3", "a4", "a5"}),
    ({"where": {"tags": {"exists": True}}}, {"a7"}),
    # nested properties with dots, and the explicit properties. prefix
    ({"where": {"utm.source": "news"}}, {"a7"}),
    ({"where": {"properties.utm.source": "news"}}, {"a7"}),
    ({"where": {"utm.medium": {"exists": False}}}, ALL_IDS),
    ({"where": {"x-y": 1, "2nd": "b"}}, {"a7"}),
    # objects and arrays equal nothing scalar
    ({"where": {"utm": "news"}}, set()),
    ({"where": {"tags": {"contains": "a"}}}, set()),
    # special fields
    ({"where": {"contact": "bob"}}, {"a3", "a4"}),
    ({"where": {"contact": {"in": ["ann", "dan"]}}}, {"a1", "a2", "a7", "a8"}),
    ({"where": {"source": {"starts_with": "send"}}}, {"a3", "a4"}),
    ({"where": {"source": {"neq": "api"}}}, {"a2", "a3", "a4", "a7"}),
    ({"where": {"bot": True}}, {"a3", "a4"}),
    ({"where": {"bot": {"neq": True}}}, ALL_IDS - {"a3", "a4"}),
    # types
    ({"type": "page_visit"}, {"a1", "a2", "a6", "a8"}),
    ({"type": ["email_open", "email_click"]}, {"a3", "a4"}),
    ({"type": "never_seen"}, set()),
    ({"type": ["never_seen", "purchase"]}, {"a7"}),
    ({}, ALL_IDS),
    ({"type": "page_visit", "where": {"url": {"icontains": "pricing"}}}, {"a1", "a6"}),
    # combinators; not(absent-sensitive) follows the absent rules
    ({"any": [{"type": "purchase"}, {"where": {"value": 5}}]}, {"a1", "a3", "a7"}),
    ({"all": [{"type": "page_visit"}, {"where": {"value": {"gt": 0}}}]}, {"a1", "a6"}),
    ({"not": {"where": {"url": {"contains": "pric"}}}}, ALL_IDS - {"a1"}),
    ({"not": {"where": {"value": {"gt": 4}}}}, ALL_IDS - {"a1", "a3", "a6"}),
    ({"not": {"not": {"where": {"value": {"gt": 4}}}}}, {"a1", "a3", "a6"}),
    ({"type": "page_visit", "not": {"where": {"url": {"exists": True}}}}, set()),
    (
        {"type": "page_visit", "any": [{"where": {"flag": True}}, {"where": {"value": -3}}]},
        {"a1", "a8"},
    ),
]


@pytest.mark.parametrize(("data", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_operator_semantics(matching: Runner, data: dict[str, Any], expected: set[str]) -> None:
    assert matching(condition(data)) == expected


def test_values_are_parameters_and_keys_are_json_paths() -> None:
    params = Params()
    cond = condition({"type": "t", "where": {"utm.source": {"in": ["a", "b"]}, "n": {"gt": 3}}})
    sql = compile_condition(cond, Scope({"t": 4}, sql=DUCKDB_SQL), params).sql(dialect="duckdb")
    assert "'/utm/source'" in sql and "'/n'" in sql
    assert "'a'" not in sql and "3" not in sql.replace("$p", "")
    assert sorted(params.values.values(), key=str) == [3.0, "a", "b"]
    assert "type_code = 4" in sql


def test_equal_values_share_a_placeholder() -> None:
    params = Params()
    cond = condition({"any": [{"where": {"x": "v"}}, {"where": {"y": "v"}}]})
    compile_condition(cond, Scope({}, sql=DUCKDB_SQL), params)
    assert params.values == {"p0": "v"}


def test_placeholders_render_per_dialect() -> None:
    params = Params(prefix="q")
    expr = compile_condition(condition({"where": {"x": "v"}}), Scope({}, sql=DUCKDB_SQL), params)
    assert "$q0" in expr.sql(dialect="duckdb") and ":q0" in expr.sql(dialect="spark")


def test_scope_columns_are_used_as_given() -> None:
    scope = Scope(
        {"t": 1}, sql=DUCKDB_SQL, type_code=exp.column("tc", table="z"), source=exp.column("src")
    )
    cond = Match(("t",), (Predicate("source", "eq", "api"),))
    sql = compile_condition(cond, scope, Params()).sql(dialect="duckdb")
    assert sql == "z.tc = 1 AND src = CAST($p0 AS TEXT)"


SNAPSHOTS = [
    ({"where": {"url": "x"}}, "(properties -> '/url') = TO_JSON(CAST($p0 AS TEXT))"),
    (
        {"where": {"n": 5}},
        "TRY_CAST(CAST(properties -> '/n' AS TEXT) AS DOUBLE) = CAST($p0 AS DOUBLE)",
    ),
    (
        {"where": {"url": {"neq": "x"}}},
        "NOT COALESCE((properties -> '/url') = TO_JSON(CAST($p0 AS TEXT)), FALSE)",
    ),
    (
        {"where": {"url": {"contains": "x"}}},
        "CONTAINS(properties ->> '/url', CAST($p0 AS TEXT)) AND JSON_TYPE(properties, '/url') = 'VARCHAR'",
    ),
    (
        {"where": {"url": {"exists": False}}},
        "NOT COALESCE(JSON_TYPE(properties, '/url') <> 'NULL', FALSE)",
    ),
    ({"where": {"a-b.c": {"exists": True}}}, "JSON_TYPE(properties, '/a-b/c') <> 'NULL'"),
    (
        {"where": {'context."it\'s/a.b~"': {"exists": True}}},
        "JSON_TYPE(properties, '/context/it''s~1a.b~0') <> 'NULL'",
    ),
    (
        {"where": {"signup_date": {"gte": "2025-01-01"}}},
        "(properties ->> '/signup_date') >= CAST($p0 AS TEXT)"
        " AND JSON_TYPE(properties, '/signup_date') = 'VARCHAR'",
    ),
    (
        {"type": ["a", "b"], "where": {"bot": True}},
        "type_code IN (3, 4) AND bot = CAST($p0 AS BOOLEAN)",
    ),
]


@pytest.mark.parametrize(("data", "sql"), SNAPSHOTS, ids=[s for _, s in SNAPSHOTS])
def test_generated_sql_snapshots(data: dict[str, Any], sql: str) -> None:
    expr = compile_condition(condition(data), Scope({"a": 3, "b": 4}, sql=DUCKDB_SQL), Params())
    assert expr.sql(dialect="duckdb") == sql
