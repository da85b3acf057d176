"""One ``where`` predicate -> a SQL expression: TRUE when it holds, FALSE or NULL when not.

This module says what each operator of docs/journeys.md means; the backend's ``SqlDialect``
(``scope.sql``) says how its SQL reads a property out of the ``properties`` JSON text
(``backends/duckdb_dialect.py``, ``backends/spark/sql.py``). Values compare with their JSON
types: numbers with numbers, strings with strings (code-point order), booleans with booleans;
``"5"`` never equals ``5`` and a bound of one type never matches a value of the other.

NULL results stand for false; they are not wrapped in ``COALESCE`` because DuckDB only
short-circuits ``AND``/``OR`` at the top of a filter, and a wrapped conjunction ran 1.6x
slower. Negations (``neq``, ``not_in``, ``exists: false``, ``not``) coalesce what they negate,
so absent/null properties follow docs/journeys.md. A property with a typed column of the
value's JSON kind (``scope.typed``, conditions/typed.py) is read from that column instead of
the JSON, with the same results row by row. Keys come from a parsed property path, never
from a value; values are typed placeholders, never SQL text.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from headway.conditions.scope import Params, Scope
from headway.conditions.sql_dialect import SqlDialect
from headway.conditions.typed import TypedColumns, kind_of
from headway.model.condition import Predicate, property_path

_RANGES = {"lt": exp.LT, "lte": exp.LTE, "gt": exp.GT, "gte": exp.GTE}


def compile_predicate(pred: Predicate, scope: Scope, params: Params) -> exp.Expr:
    """SQL for one predicate; absent or null properties follow docs/journeys.md."""
    keys = property_path(pred.field)
    if keys is None:
        return _column_predicate(pred, getattr(scope, pred.field), scope.sql, params)
    props = scope.properties
    if scope.typed and isinstance(props, exp.Column) and props.name == scope.typed.source:
        typed = _typed_predicate(pred, props, keys, scope.typed, scope.sql, params)
        if typed is not None:
            return typed
    return _property_predicate(pred, props, keys, scope.sql, params)


def _typed_predicate(
    pred: Predicate,
    props: exp.Column,
    keys: tuple[str, ...],
    typed: TypedColumns,
    sql: SqlDialect,
    params: Params,
) -> exp.Expr | None:
    """The predicate over typed columns (conditions/typed.py), or None where they cannot
    say it exactly (no column of the value's kind, ``exists``, a ``null`` value).

    A kind's column holds exactly the values of that JSON kind (NULL for absent, null and
    other kinds), so comparing it with a value of the same kind is the JSON test itself."""
    op, value = pred.op, pred.value

    def column(kind: str | None) -> exp.Expr | None:
        name = typed.column(keys, kind) if kind is not None else None
        return None if name is None else exp.column(name, table=props.table or None)

    if op in ("eq", "neq"):
        col = column(kind_of(value))
        if col is None:
            return None
        found: exp.Expr = exp.EQ(this=col, expression=typed_param(value, params))
        return found if op == "eq" else negate(found)
    if op in ("in", "not_in"):
        kinds: dict[str | None, list[Any]] = {}
        for v in value:
            kinds.setdefault(kind_of(v), []).append(v)
        if not kinds or None in kinds or all(column(k) is None for k in kinds):
            return None
        parts = []
        for kind, values in kinds.items():
            col = column(kind)
            parts.append(
                sql.json_in(props, keys, tuple(values), params)
                if col is None
                else col.isin(*(typed_param(v, params) for v in values))
            )
        found = exp.or_(*parts) if len(parts) > 1 else parts[0]
        return found if op == "in" else negate(found)
    if op in _RANGES:
        kind = "number" if is_number(value) else "string" if isinstance(value, str) else None
        col = column(kind)
        if col is None:
            return None
        return _RANGES[op](this=col, expression=typed_param(value, params))
    if op in ("contains", "icontains", "starts_with", "regex") and isinstance(value, str):
        col = column("string")
        return None if col is None else _text_test(op, col, value, sql, params)
    return None  # exists: presence of any kind is the JSON's to say


def _property_predicate(
    pred: Predicate, props: exp.Expr, keys: tuple[str, ...], sql: SqlDialect, params: Params
) -> exp.Expr:
    op, value = pred.op, pred.value
    if op in ("eq", "neq"):
        found = sql.json_eq(props, keys, value, params)
        return found if op == "eq" else negate(found)
    if op in ("in", "not_in"):
        found = sql.json_in(props, keys, value, params)
        return found if op == "in" else negate(found)
    if op in _RANGES:
        bound = _RANGES[op]
        if is_number(value):
            return sql.json_number_test(
                props, keys, lambda n: bound(this=n, expression=typed_param(value, params))
            )
        return sql.json_string_test(
            props, keys, lambda t: bound(this=t, expression=typed_param(value, params))
        )
    if op == "exists":
        present = sql.json_exists(props, keys)
        return present if value else negate(present)
    # Every value that contains, starts with or equals the needle contains it.
    needle = typed_param(value, params) if op in ("contains", "starts_with") else None
    return sql.json_string_test(
        props, keys, lambda t: _text_test(op, t, value, sql, params), needle
    )


def _column_predicate(
    pred: Predicate, column: exp.Expr, sql: SqlDialect, params: Params
) -> exp.Expr:
    op, value, col = pred.op, pred.value, column.copy()
    if op in ("eq", "neq"):
        found: exp.Expr = exp.EQ(this=col, expression=typed_param(value, params))
        return found if op == "eq" else negate(found)
    if op in ("in", "not_in"):
        found = col.isin(*(typed_param(v, params) for v in value))
        return found if op == "in" else negate(found)
    return _text_test(op, col, value, sql, params)


def _text_test(op: str, text: exp.Expr, value: str, sql: SqlDialect, params: Params) -> exp.Expr:
    needle = typed_param(value, params)
    if op == "contains":
        return exp.Contains(this=text, expression=needle)
    if op == "icontains":
        return exp.Contains(this=sql.lower(text), expression=sql.lower(needle))
    if op == "starts_with":
        return exp.StartsWith(this=text, expression=needle)
    if op == "regex":
        return sql.regex_like(text, needle)
    raise ValueError(f"unknown operator {op!r}")


def is_number(value: Any) -> bool:
    """A JSON number (``True``/``False`` are booleans, not numbers)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def typed_param(value: Any, params: Params) -> exp.Expr:
    """A typed placeholder: the cast fixes the parameter's SQL type at prepare time."""
    if isinstance(value, bool):
        kind = exp.DataType.Type.BOOLEAN
    elif isinstance(value, int | float):
        kind = exp.DataType.Type.DOUBLE
        value = float(value)
    else:
        kind = exp.DataType.Type.VARCHAR
    return exp.cast(params.add(value), kind)


def false_if_null(test: exp.Expr) -> exp.Expr:
    """``COALESCE(test, FALSE)``: a two-valued boolean."""
    return exp.Coalesce(this=test, expressions=[exp.false()])


def negate(test: exp.Expr) -> exp.Expr:
    """``NOT COALESCE(test, FALSE)``: absent or null (NULL) becomes true, as §4 says."""
    return exp.not_(false_if_null(test))
