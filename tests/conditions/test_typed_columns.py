"""Typed property columns answer every condition exactly as the JSON does, row by row.

A differential test: the same condition compiled over the typed columns (``Scope.typed``) and
over the ``properties`` JSON alone gives the same flag on every activity, for random property
values (strings with quotes, escapes and any Unicode; integers beyond 2^53; floats; booleans;
null; objects; arrays; absent) and random predicates — on the columns a real store fills at
append and backfills when it adds them (store/property_columns.py).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from condition_log import activity_table, scope_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from headway.backends.duckdb_dialect import DUCKDB_SQL
from headway.backends.spark.sql import SparkSql
from headway.conditions import Params, Scope, compile_flag
from headway.conditions.typed import KINDS, TypedColumns
from headway.model.condition import AllOf, AnyOf, Condition, Match, Not, Predicate
from headway.store import Store, property_columns

OPERATORS = [
    "eq", "neq", "in", "not_in", "contains", "icontains", "starts_with", "regex",
    "lt", "lte", "gt", "gte", "exists",
]  # fmt: skip
FIELDS = ["a", "n.b", "late"]  # "n.b": the key b inside the object n
REGEXES = ["^x", "é", "[0-9]", "^$", "\\\\", '"', ".*", "^[a-z]+$", "(?i)X"]

texts = st.one_of(
    st.sampled_from(["", "x", "X", "5", "true", "null", '"', "\\", "é", "e\u0301", "a\nb", "\x00"]),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=6),
)
numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 5, -0.0, 0.5, 5.0, 1e308, -1e-308, 2**53 + 1]),
    st.floats(allow_nan=False, allow_infinity=False),
)
scalars = st.one_of(texts, numbers, st.booleans())
json_values = st.one_of(
    scalars, st.none(), st.lists(scalars, max_size=2), st.dictionaries(texts, scalars, max_size=2)
)


@st.composite
def property_dicts(draw: st.DrawFn) -> dict[str, Any] | None:
    """Properties with ``a`` and ``n.b`` absent, null, or any JSON value."""
    if draw(st.integers(0, 9)) == 0:
        return None  # no properties at all (SQL NULL)
    props: dict[str, Any] = {}
    if draw(st.booleans()):
        props["a"] = draw(json_values)
    if draw(st.booleans()):
        props["n"] = {"b": draw(json_values)} if draw(st.integers(0, 3)) else draw(json_values)
    return props


@st.composite
def predicates(draw: st.DrawFn, pool: list[Any]) -> Predicate:
    """A property predicate whose values are often ones the rows hold."""
    values = st.one_of(st.sampled_from(pool), scalars) if pool else scalars
    field, op = draw(st.sampled_from(FIELDS)), draw(st.sampled_from(OPERATORS))
    if op in ("in", "not_in"):
        return Predicate(field, op, tuple(draw(st.lists(values, min_size=1, max_size=3))))
    if op == "regex":
        return Predicate(field, op, draw(st.sampled_from(REGEXES)))
    if op in ("contains", "icontains", "starts_with"):
        text = [v for v in pool if isinstance(v, str)]
        return Predicate(field, op, draw(st.sampled_from(text) if text else texts))
    if op == "exists":
        return Predicate(field, op, draw(st.booleans()))
    if op in ("lt", "lte", "gt", "gte"):
        return Predicate(field, op, draw(st.one_of(numbers, texts)))
    return Predicate(field, op, draw(values))


def conditions(pool: list[Any]) -> st.SearchStrategy[Condition]:
    """Conditions made of the predicates above, combined with any/all/not."""
    leaf = st.lists(predicates(pool), min_size=1, max_size=2).map(lambda ps: Match(None, tuple(ps)))
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=2).map(lambda xs: AnyOf(tuple(xs))),
            st.lists(inner, min_size=1, max_size=2).map(lambda xs: AllOf(tuple(xs))),
            inner.map(Not),
        ),
        max_leaves=4,
    )


def scalar_pool(rows: list[dict[str, Any] | None]) -> list[Any]:
    """The scalar values the rows hold at ``a`` and ``n.b``."""
    out = []
    for props in rows:
        if not props:
            continue
        for value in (
            props.get("a"),
            props.get("n", {}).get("b") if isinstance(props.get("n"), dict) else None,
        ):
            if isinstance(value, str | int | float | bool):
                out.append(value)
    return out


def flags(conn: duckdb.DuckDBPyConnection, cond: Condition, scope: Scope) -> list[tuple[Any, ...]]:
    """Per row: the condition's flag over the JSON only, and over the typed columns."""
    params = Params()
    plain = compile_flag(cond, replace(scope, typed=replace(scope.typed, columns={})), params)
    typed = compile_flag(cond, scope, params)
    query = exp.select("a.id", plain.as_("plain"), typed.as_("typed")).from_("activities a")
    return conn.execute(query.order_by("a.id").sql("duckdb"), params.values).fetchall()


@pytest.fixture(scope="module")
def conn() -> duckdb.DuckDBPyConnection:
    """An in-memory log with a typed column of every kind at ``a`` and ``n.b``."""
    conn = duckdb.connect()
    for statement in property_columns.CREATE:
        conn.execute(statement)
    for keys in (["a"], ["n", "b"]):
        for kind in KINDS:
            name = property_columns._name(tuple(keys), kind, set())
            conn.execute(
                "INSERT INTO property_columns VALUES (?, ?, ?, now())",
                [json.dumps(keys), kind, name],
            )
    return conn


_FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=100, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(data=st.data(), rows=st.lists(property_dicts(), min_size=1, max_size=6))
def test_typed_columns_answer_as_the_json(
    conn: duckdb.DuckDBPyConnection, data: st.DataObject, rows: list[dict[str, Any] | None]
) -> None:
    """Random properties filled through the append's INSERT, random conditions: equal flags."""
    names, values = property_columns.insert_columns(conn, "properties")
    columns = ", ".join(f"{n} {property_columns.SQL_TYPES[k]}" for (_, k), n in _kinds(conn))
    conn.execute(f"CREATE OR REPLACE TABLE activities (id INTEGER, properties JSON, {columns})")
    src = pa.table(
        {"id": range(len(rows)), "properties": [None if r is None else json.dumps(r) for r in rows]}
    )
    conn.register("src", src)
    conn.execute(
        f"INSERT INTO activities (id, properties, {', '.join(names)}) "
        f"SELECT id, properties{values} FROM src"
    )
    conn.unregister("src")
    scope = Scope(
        {}, sql=DUCKDB_SQL, properties=exp.column("properties", "a"),
        typed=property_columns.load(conn),
    )  # fmt: skip
    cond = data.draw(conditions(scalar_pool(rows)))
    for _, plain, typed in flags(conn, cond, scope):
        assert plain == typed, cond


def _kinds(conn: duckdb.DuckDBPyConnection) -> list[tuple[tuple[Any, str], str]]:
    return list(property_columns.load(conn).columns.items())


# A store's log: typed columns added once the first rows are in (backfilled), then filled by
# later appends; "late" becomes common only with the second batch.
EARLY = [
    {"a": "x", "n": {"b": 5}},
    {"a": 5, "n": {"b": "5"}},
    {"a": True, "n": {"b": None}},
    {"a": None, "n": "b"},
    {"a": 'q"uote\\', "n": {"b": 2**60}},
    {"a": "café ☃ 𝄞", "n": {"b": -0.0}},
    {"a": [1], "n": {"b": {"c": 1}}},
    {},
    None,
]
LATE = [
    {"a": "x", "late": 1, "n": {"b": 10.5}},
    {"a": 5.0, "late": "1", "n": {"b": True}},
    {"a": "X", "late": 2, "n": {"b": "x"}},
    {"a": "e\u0301", "n": {}},
]


@pytest.fixture(scope="module")
def shredded(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store whose columns were backfilled over EARLY and filled at append for LATE."""
    path: Path = tmp_path_factory.mktemp("typed") / "headway.duckdb"
    store = Store(path)
    rows = {f"e{i}": ("c1", "page_visit", "api", False, p) for i, p in enumerate(EARLY)}
    store.append_activities(activity_table(rows))
    assert store.write(lambda c: property_columns.grow(c, 1))
    rows = {f"l{i}": ("c2", "page_visit", "api", False, p) for i, p in enumerate(LATE)}
    store.append_activities(activity_table(rows))
    store.write(lambda c: property_columns.grow(c, 2))  # "late" number: 2 rows
    return store


def test_the_store_adds_fills_and_backfills_columns(shredded: Store) -> None:
    """Columns of every kind seen, each holding exactly its kind's values."""
    typed = shredded.typed_columns()
    assert typed.column(("a",), "string") and typed.column(("n", "b"), "number")
    assert typed.column(("late",), "number") and not typed.column(("late",), "string")
    a_s, a_n, a_b = (typed.column(("a",), k) for k in KINDS)
    rows = dict(
        (r[0], r[1:])
        for r in shredded.execute(f"SELECT id, {a_s}, {a_n}, {a_b} FROM activities").rows
    )
    assert rows["e0"] == ("x", None, None)
    assert rows["e1"] == (None, 5.0, None)
    assert rows["e2"] == (None, None, True)
    assert rows["e3"] == rows["e6"] == rows["e7"] == rows["e8"] == (None, None, None)
    assert rows["e4"] == ('q"uote\\', None, None)
    assert rows["l1"] == (None, 5.0, None)
    late = typed.column(("late",), "number")
    assert shredded.execute(f"SELECT count({late}) FROM activities").scalar() == 2


@settings(max_examples=100, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(data=st.data())
def test_store_columns_answer_as_the_json(shredded: Store, data: st.DataObject) -> None:
    """On the store's own columns, random conditions: equal flags on every activity."""
    pool = [*scalar_pool(EARLY + LATE), 1, "1", 2]
    cond = data.draw(conditions(pool))
    scope = replace(scope_of(shredded), typed=shredded.typed_columns())
    cur = shredded.cursor()
    for _, plain, typed in flags(cur, cond, scope):
        assert plain == typed, cond


def test_spark_renders_the_typed_columns() -> None:
    """On Spark's dialect the same predicates read the typed columns and parse as Spark SQL;
    ``exists`` and kinds without a column still read the JSON."""
    sql = SparkSql()
    sql.typed = TypedColumns(
        {(("url",), "string"): "hw_p_url_s", (("value",), "number"): "hw_p_value_n"}
    )
    scope = Scope({"page_visit": 1}, sql=sql, properties=exp.column("properties", "a"))
    scope = replace(scope, typed=sql.typed)
    where = {
        "url": {"starts_with": "/blog"},
        "value": {"gte": 5},
        "link": {"icontains": "X"},
    }
    cond = Match(
        ("page_visit",), tuple(Predicate(f, *next(iter(o.items()))) for f, o in where.items())
    )
    params = Params()
    text = compile_flag(cond, scope, params).sql(dialect="spark")
    assert "hw_p_url_s" in text and "hw_p_value_n" in text
    assert "'$.link'" in text or "link" in text  # no column: read from the JSON
    assert sqlglot.parse_one(text, read="spark").sql(dialect="spark") == text
    exists = compile_flag(Match(None, (Predicate("url", "exists", True),)), scope, Params())
    assert "hw_p_url_s" not in exists.sql(dialect="spark")
