"""Generated conditions: DuckDB agrees with a Python reading of DESIGN §4, Spark SQL parses."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlglot
from condition_log import ACTIVITIES, Runner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headway.backends.spark.sql import SPARK_SQL
from headway.conditions import Params, Scope, compile_condition
from headway.model.condition import AllOf, AnyOf, Condition, Match, Not, Predicate, property_path

TYPES = ["page_visit", "email_click", "email_open", "purchase", "form_submission", "unknown"]
PROPERTIES = ["url", "value", "flag", "tags", "utm", "utm.source", "missing", "link"]
WORDS = ["/pricing", "/home", "5", "true", "pric", "PRIC", "/", "news", "l1", "", "café", "☃"]
REGEXES = ["^/", "pric", "[0-9]", "^$", "home|news", "☃", ".*", "^/[a-z]+$"]
ABSENT = object()

strings = st.one_of(st.sampled_from(WORDS), st.text(alphabet="abcx/ 5", max_size=4))
numbers = st.one_of(st.integers(-5, 12), st.sampled_from([5.0, 10.5, -3.0, 0.5]))
scalars = st.one_of(strings, numbers, st.booleans())


@st.composite
def property_predicates(draw: st.DrawFn) -> Predicate:
    field = draw(st.sampled_from(PROPERTIES))
    op = draw(
        st.sampled_from(
            [
                "eq",
                "neq",
                "in",
                "not_in",
                "contains",
                "icontains",
                "starts_with",
                "regex",
                "lt",
                "lte",
                "gt",
                "gte",
                "exists",
            ]
        )
    )
    if op in ("eq", "neq"):
        value: Any = draw(scalars)
    elif op in ("in", "not_in"):
        value = tuple(draw(st.lists(scalars, min_size=1, max_size=3)))
    elif op == "regex":
        value = draw(st.sampled_from(REGEXES))
    elif op in ("contains", "icontains", "starts_with"):
        value = draw(strings)
    elif op == "exists":
        value = draw(st.booleans())
    else:
        value = draw(st.one_of(numbers, strings))
    return Predicate(field, op, value)


@st.composite
def column_predicates(draw: st.DrawFn) -> Predicate:
    field = draw(st.sampled_from(["contact", "source", "bot"]))
    if field == "bot":
        return Predicate(field, draw(st.sampled_from(["eq", "neq"])), draw(st.booleans()))
    op = draw(st.sampled_from(["eq", "neq", "in", "not_in", "contains", "starts_with", "regex"]))
    pool = ["ann", "bob", "api", "sendgrid", "send", "a", "tracking", "zed"]
    if op in ("in", "not_in"):
        return Predicate(
            field, op, tuple(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3)))
        )
    return Predicate(field, op, draw(st.sampled_from(REGEXES if op == "regex" else pool)))


matches = st.builds(
    Match,
    st.one_of(st.none(), st.lists(st.sampled_from(TYPES), min_size=1, max_size=3).map(tuple)),
    st.lists(st.one_of(property_predicates(), column_predicates()), max_size=3).map(tuple),
)
conditions: st.SearchStrategy[Condition] = st.recursive(
    matches,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: AnyOf(tuple(xs))),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: AllOf(tuple(xs))),
        inner.map(Not),
    ),
    max_leaves=6,
)


def holds(cond: Condition, activity: tuple[str, str, str, bool, Any]) -> bool:
    """DESIGN §4 read literally, in Python."""
    if isinstance(cond, AnyOf):
        return any(holds(c, activity) for c in cond.items)
    if isinstance(cond, AllOf):
        return all(holds(c, activity) for c in cond.items)
    if isinstance(cond, Not):
        return not holds(cond.item, activity)
    if cond.types is not None and activity[1] not in cond.types:
        return False
    return all(_predicate(p, activity) for p in cond.where)


def _predicate(pred: Predicate, activity: tuple[str, str, str, bool, Any]) -> bool:
    contact, _, source, bot, props = activity
    path = property_path(pred.field)
    value = (
        {"contact": contact, "source": source, "bot": bot}[pred.field]
        if path is None
        else _get(props, path)
    )
    op, arg = pred.op, pred.value
    if op == "neq":
        return not _equal(value, arg)
    if op == "not_in":
        return not any(_equal(value, a) for a in arg)
    if op == "exists":
        return (value is not ABSENT and value is not None) == arg
    if op == "eq":
        return _equal(value, arg)
    if op == "in":
        return any(_equal(value, a) for a in arg)
    if op in ("lt", "lte", "gt", "gte"):
        # Numbers with numbers, strings with strings (code-point order); never across types.
        if not (_is_number(value) and _is_number(arg)) and not (
            isinstance(value, str) and isinstance(arg, str)
        ):
            return False
        return {"lt": value < arg, "lte": value <= arg, "gt": value > arg, "gte": value >= arg}[op]
    if not isinstance(value, str):
        return False
    if op == "contains":
        return arg in value
    if op == "icontains":
        return arg.lower() in value.lower()
    if op == "starts_with":
        return value.startswith(arg)
    return re.search(arg, value) is not None


def _get(props: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(props, dict) or key not in props:
            return ABSENT
        props = props[key]
    return props


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(value: Any, arg: Any) -> bool:
    if _is_number(arg):
        return _is_number(value) and float(value) == float(arg)
    return type(value) is type(arg) and value == arg


def check_duckdb(run: Runner, cond: Condition) -> None:
    """The store's answer equals the Python reading of the condition."""
    expected = {i for i, activity in ACTIVITIES.items() if holds(cond, activity)}
    assert run(cond) == expected


def check_spark(cond: Condition) -> None:
    """Compiled for Spark, the condition renders as Spark SQL that parses back to the same text
    and holds no value (tests/backends/test_spark_conditions.py runs it on Spark)."""
    params = Params()
    expr = compile_condition(
        cond, Scope({t: i for i, t in enumerate(TYPES[:-1])}, sql=SPARK_SQL), params
    )
    spark = expr.sql(dialect="spark")
    again = sqlglot.parse_one(spark, read="spark").sql(dialect="spark")
    assert sqlglot.parse_one(again, read="spark").sql(dialect="spark") == again
    for value in params.values.values():
        if isinstance(value, str) and len(value) > 2:
            assert repr(value) not in spark


_FIXTURE_OK = [HealthCheck.function_scoped_fixture]


@settings(max_examples=20, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(cond=conditions)
def test_duckdb_agrees_with_the_python_reading(matching: Runner, cond: Condition) -> None:
    check_duckdb(matching, cond)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(cond=conditions)
def test_duckdb_agrees_with_the_python_reading_many(matching: Runner, cond: Condition) -> None:
    check_duckdb(matching, cond)


@settings(max_examples=40, deadline=None)
@given(cond=conditions)
def test_every_condition_transpiles_to_spark(cond: Condition) -> None:
    check_spark(cond)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None)
@given(cond=conditions)
def test_every_condition_transpiles_to_spark_many(cond: Condition) -> None:
    check_spark(cond)
