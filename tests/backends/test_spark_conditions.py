"""Every condition operator on real local Spark gives DuckDB's answer (DESIGN §4).

One table of activities whose ``properties`` cover every JSON type at every tested path
(absent, null, strings — with escapes, unicode, case traps — numbers, booleans, objects,
arrays) and hostile keys; every operator × value × path is compiled once per backend, all
in a few queries, and the sets of matching activities must be equal. DuckDB's answers are
themselves checked against a Python reading of §4 in ``tests/conditions``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from headway.backends.duckdb_dialect import DUCKDB_SQL
from headway.backends.spark.sql import SPARK_DIALECT, SPARK_SQL
from headway.conditions import Params, Scope, compile_flag
from headway.conditions.sql_dialect import SqlDialect
from headway.model.condition import AllOf, AnyOf, Condition, Match, Not, Predicate, property_field
from headway.model.dialect import checking_with
from headway.model.journey import InvalidJourney, parse_journey

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ABSENT = object()
# Every value a property takes somewhere in the table (each path sees each of them).
VALUES: list[Any] = [
    ABSENT, None, "5", 5, 5.0, 0.5, -3, 10.5, True, False, "", "café", "/pricing",
    "/PRICING/x", 'a"b', "x\\y", "line\nbreak", "☃", "İstanbul", "ΑΣ", "ας", "a.b", "m",
    {"k": "v"}, [1, "5"], 12345678901234567890, 100.0, "1e2", "true", "null", "z", "Ünïcode",
    "$", "\U0001f600",
]  # fmt: skip
MAIN = [("v",), ("n", "k"), ("arr", "1"), ("obj", "0")]
HOSTILE = [("a.b",), ('k"q',), ("k'q",), ("k'\"both",), ("back\\slash",), ("$",), ("[0]",),
           ("☃ key",), ("x", "y.z", 'q"')]  # fmt: skip
TYPES = {"page_visit": 1, "email_click": 2}
SOURCES = ["api", "tracking", "SendGrid", "İmport", None]

TEXTS = ["", "5", "pric", "PRIC", "é", "É", "i", "İ", "σ", "Σ", "ς", "\\", '"', "a.b", "☃", "/"]
GRID: list[tuple[str, Any]] = (
    [("eq", v) for v in ["5", 5, 5.0, 0.5, True, False, "", "café", 'a"b', "x\\y", "☃"]]
    + [("eq", v) for v in ["line\nbreak", 12345678901234567890, -0.0, 100, "true", "null"]]
    + [("neq", v) for v in ["5", 5, True, ""]]
    + [("in", v) for v in [("5", 5), (True, "true"), ("a", "/pricing", 10.5), (False, 0.5)]]
    + [("in", ("5", "café", "a", "b", "c", "d", "e", "f", "☃", True))]  # no text pre-check
    + [("not_in", v) for v in [("5", 5), ("café", True)]]
    + [(op, v) for op in ("lt", "lte", "gt", "gte") for v in [5, 0.5, -3, "m", "café", "☃", ""]]
    + [(op, t) for op in ("contains", "icontains", "starts_with") for t in TEXTS]
    + [("regex", r) for r in ["^/", "[0-9]", "^$", "☃", "pric|news", "\\d+", "^a.b$", "(?i)PRIC"]]
    + [("exists", True), ("exists", False)]
)
# Enough to show a path addresses its value exactly, whatever the value's type.
PATH_GRID: list[tuple[str, Any]] = [
    ("eq", "5"), ("eq", 5), ("exists", True), ("contains", "a"), ("gt", 0), ("eq", True),
    ("lt", "n"),
]  # fmt: skip
COLUMN_PREDICATES = [
    Predicate("source", "eq", "api"),
    Predicate("source", "in", ("api", "tracking")),
    Predicate("source", "neq", "api"),
    Predicate("source", "icontains", "import"),
    Predicate("source", "icontains", "GRID"),
    Predicate("source", "starts_with", "Send"),
    Predicate("source", "regex", "^[a-z]+$"),
    Predicate("bot", "eq", True),
    Predicate("bot", "neq", True),
    Predicate("contact", "in", ("c1", "c3")),
]


def _set(doc: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    for key in keys[:-1]:
        doc = doc.setdefault(key, {})
    doc[keys[-1]] = value


def _documents() -> list[str]:
    """The ``properties`` texts: row i gives path j the value ``VALUES[i + j]``."""
    texts = []
    for i in range(len(VALUES)):
        doc: dict[str, Any] = {}
        for j, keys in enumerate(MAIN + HOSTILE):
            value = VALUES[(i + 3 * j) % len(VALUES)]
            if value is ABSENT:
                continue
            if keys == ("arr", "1"):
                value = ["first", value]
            elif keys == ("obj", "0"):
                value = {"0": value}
            _set(doc, keys[:1] if keys[0] in ("arr", "obj") else keys, value)
        # Half the rows escape every non-ASCII character (the pre-check's other branch).
        texts.append(json.dumps(doc, ensure_ascii=i % 2 == 0))
    # JSON the writers above never produce: exponents, escapes of plain letters, spacing.
    texts += [
        '{"v": 1E2, "n": {"k": 5e0}}',
        '{"v": "\\u0035", "n": {"k": "caf\\u00e9"}}',
        '{ "v" : "5" , "arr" : [ 0 , 5 ] }',
        '{"v": -0.0, "arr": {"1": "5"}, "obj": [1]}',
        '{"v": "/pric\\u0069ng"}',
        "null",
        "[]",
        '"5"',
    ]
    return texts


DOCS = _documents()


Row = tuple[int, int, str | None, bool | None, str, str | None]


def _rows() -> list[Row]:
    rows: list[Row] = []
    for i, doc in enumerate(DOCS):
        source = SOURCES[i % len(SOURCES)]
        bot = None if i % 7 == 6 else i % 3 == 0
        rows.append((i, 1 + i % 2, source, bot, f"c{i % 4}", doc))
    rows.append((len(DOCS), 1, "api", False, "c0", None))  # SQL NULL properties
    return rows


ROWS = _rows()


def _predicates(paths: list[tuple[str, ...]], grid: list[tuple[str, Any]]) -> list[Predicate]:
    return [Predicate(property_field(keys), op, v) for keys in paths for op, v in grid]


# Every operator and value type once (on one key), every path once: the quick lane.
PREDICATES = (
    _predicates(MAIN[:1], GRID) + _predicates(MAIN[1:] + HOSTILE, PATH_GRID) + COLUMN_PREDICATES
)
# Every operator and value at every path of MAIN that the quick lane leaves out.
MORE_PREDICATES = _predicates(MAIN[1:], GRID)


def _scope(sql: SqlDialect) -> Scope:
    return Scope(
        TYPES,
        sql=sql,
        properties=exp.column("properties"),
        type_code=exp.column("type_code"),
        source=exp.column("source"),
        bot=exp.column("bot"),
        contact=exp.column("contact"),
    )


def _query(
    conds: Sequence[Condition], sql: SqlDialect, table: str = "t"
) -> tuple[str, dict[str, Any]]:
    """One query: the id and one never-NULL flag per condition."""
    params = Params()
    scope = _scope(sql)
    flags = [compile_flag(c, scope, params).as_(f"f{i}") for i, c in enumerate(conds)]
    select = exp.select(exp.column("id"), *flags).from_(table).order_by("id")
    return select.sql(dialect=sql.name), dict(params.values)


def _matches(rows: list[tuple[Any, ...]], n: int) -> list[frozenset[int]]:
    return [frozenset(r[0] for r in rows if r[i + 1]) for i in range(n)]


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (id INT, type_code INT, source VARCHAR, bot BOOLEAN, contact VARCHAR,"
        " properties JSON)"
    )
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", ROWS)
    yield con
    con.close()


@pytest.fixture(scope="module")
def table(spark: SparkSession) -> Iterator[str]:
    schema = "id INT, type_code INT, source STRING, bot BOOLEAN, contact STRING, properties STRING"
    spark.createDataFrame(ROWS, schema).coalesce(1).createOrReplaceTempView("t")
    yield "t"
    spark.catalog.dropTempView("t")


def both(
    duck: duckdb.DuckDBPyConnection,
    spark: SparkSession,
    conds: Sequence[Condition],
    table: str = "t",
) -> tuple[list[frozenset[int]], list[frozenset[int]]]:
    """Matching ids per condition on DuckDB and on Spark."""
    text, params = _query(conds, DUCKDB_SQL, table)
    on_duckdb = _matches(duck.execute(text, params).fetchall(), len(conds))
    text, params = _query(conds, SPARK_SQL, table)
    on_spark = _matches([tuple(r) for r in spark.sql(text, args=params).collect()], len(conds))
    return on_duckdb, on_spark


def _disagreements(
    conds: Sequence[Condition], on_duckdb: list[frozenset[int]], on_spark: list[frozenset[int]]
) -> list[str]:
    out = []
    for cond, d, s in zip(conds, on_duckdb, on_spark, strict=True):
        if d != s:
            extra = {i: DOCS[i] if i < len(DOCS) else None for i in sorted(d ^ s)}
            out.append(f"{cond}: duckdb {sorted(d)} spark {sorted(s)} differ on {extra}")
    return out


def check_predicates(
    duck: duckdb.DuckDBPyConnection, spark: SparkSession, predicates: list[Predicate]
) -> None:
    """Each predicate alone matches the same activities on both backends."""
    conds = [Match(None, (p,)) for p in predicates]
    on_duckdb: list[frozenset[int]] = []
    for start in range(0, len(conds), 200):
        d, s = both(duck, spark, conds[start : start + 200])
        assert _disagreements(conds[start : start + 200], d, s) == []
        on_duckdb += d
    # The table exercises what it claims: nearly every predicate splits the rows.
    assert sum(1 for d in on_duckdb if 0 < len(d) < len(ROWS)) > 0.8 * len(conds)


def test_every_operator_value_type_and_key_agrees_with_duckdb(
    duck: duckdb.DuckDBPyConnection, spark: SparkSession, table: str
) -> None:
    check_predicates(duck, spark, PREDICATES)


@pytest.mark.slow
def test_every_operator_at_every_path_agrees_with_duckdb(
    duck: duckdb.DuckDBPyConnection, spark: SparkSession, table: str
) -> None:
    check_predicates(duck, spark, MORE_PREDICATES)


def test_json_types_and_null_rules_hold_on_spark(
    duck: duckdb.DuckDBPyConnection, spark: SparkSession, table: str
) -> None:
    """Spot checks with known answers, so the comparison cannot pass by both being wrong."""
    docs = {i: json.loads(d) if d is not None else None for i, d in enumerate(DOCS)}
    v = {i: d.get("v", ABSENT) if isinstance(d, dict) else ABSENT for i, d in docs.items()}
    conds = [
        Match(None, (Predicate("v", "eq", "5"),)),
        Match(None, (Predicate("v", "eq", 5),)),
        Match(None, (Predicate("v", "neq", 5),)),
        Match(None, (Predicate("v", "exists", False),)),
    ]
    _, (eq_text, eq_number, neq_number, missing) = both(duck, spark, conds)
    every = set(range(len(ROWS)))
    assert eq_text == {i for i, x in v.items() if x == "5" and isinstance(x, str)}
    assert eq_number == {i for i, x in v.items() if type(x) in (int, float) and x == 5}
    assert neq_number == every - eq_number
    assert missing == every - {i for i, x in v.items() if x is not ABSENT and x is not None}


leaves = st.sampled_from(
    [Match(None, (p,)) for p in PREDICATES[::7]] + [Match(("email_click",), ())]
)
conditions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: AnyOf(tuple(xs))),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: AllOf(tuple(xs))),
        inner.map(Not),
    ),
    max_leaves=5,
)


@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(conditions, min_size=40, max_size=40))
def test_combined_conditions_agree_with_duckdb(
    duck: duckdb.DuckDBPyConnection, spark: SparkSession, table: str, batch: list[Condition]
) -> None:
    on_duckdb, on_spark = both(duck, spark, batch)
    assert _disagreements(batch, on_duckdb, on_spark) == []


def test_regexes_are_checked_in_javas_dialect(spark: SparkSession) -> None:
    assert SPARK_DIALECT.regex_problem("(?<=a)b\\1?") is None  # look-behind: Java, not RE2
    assert SPARK_DIALECT.regex_problem("(?P<x>a)") is not None  # Python/RE2 only
    why = SPARK_DIALECT.regex_problem("a(b")
    assert why is not None and "java.util.regex" in why and "near index 3" in why
    journey = {
        "name": "j",
        "stages": [{"name": "s", "when": {"where": {"url": {"regex": "(?<=/)p"}}}}],
    }
    with checking_with(SPARK_DIALECT):
        assert parse_journey(journey).stages[0].name == "s"
    with pytest.raises(InvalidJourney):
        parse_journey(journey)  # DuckDB's RE2 has no look-behind


key_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")) | st.sampled_from("\"'.[]$\\"),
    min_size=1,
    max_size=6,
)


@pytest.mark.slow
@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(keys=st.lists(key_text, min_size=12, max_size=12, unique=True))
def test_any_key_is_addressed_exactly(spark: SparkSession, keys: list[str]) -> None:
    """Generated keys (quotes, dots, brackets, ``$``, backslashes, any unicode) each find
    exactly their own value, alone and one level down, on both backends."""
    docs = []
    for i in range(len(keys)):
        doc: dict[str, Any] = {k: j if (i + j) % 3 else str(j) for j, k in enumerate(keys)}
        doc[keys[i]] = None if i % 4 == 0 else doc[keys[i]]
        inner = {k: j for j, k in enumerate(keys) if j != i}
        docs.append(json.dumps({**doc, "in": inner}, ensure_ascii=i % 2 == 0))
    paths = [(k,) for k in keys] + [("in", k) for k in keys]
    conds: list[Condition] = []
    for path in paths:
        field = property_field(path)
        conds += [Match(None, (Predicate(field, op, v),)) for op, v in KEY_GRID]
    con = duckdb.connect()
    con.execute("CREATE TABLE k (id INT, properties JSON)")
    con.executemany("INSERT INTO k VALUES (?, ?)", list(enumerate(docs)))
    spark.createDataFrame(list(enumerate(docs)), "id INT, properties STRING").coalesce(
        1
    ).createOrReplaceTempView("k")
    try:
        on_duckdb, on_spark = both(con, spark, conds, "k")
    finally:
        spark.catalog.dropTempView("k")
        con.close()
    assert _disagreements(conds, on_duckdb, on_spark) == []
    assert any(on_duckdb)


KEY_GRID: list[tuple[str, Any]] = [("eq", 1), ("eq", "2"), ("exists", True), ("gte", 5)]
