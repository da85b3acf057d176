"""One ``where`` predicate -> a SQL expression: TRUE when it holds, FALSE or NULL when not.

Properties are DuckDB JSON. Each predicate extracts its property once per row
(``properties -> '/url'``, the JSON text of the value) and compares it by JSON type:

- strings and booleans: the extracted JSON text equals ``to_json(value)`` (one writer,
  yyjson, produces both sides, so escapes agree; ``"5"`` never equals ``5``);
- numbers: ``TRY_CAST(CAST(json AS VARCHAR) AS DOUBLE)`` — JSON strings keep their quotes
  in that text, so only JSON numbers cast;
- text operators: ``json_extract_string`` (unescaped), then a ``json_type = 'VARCHAR'`` check
  that only runs on rows the cheap test kept.

Measured on 1M rows (see docs/journeys.md) these beat a type check before every comparison
by 1.5-2x. NULL results stand for false; they are not wrapped in ``COALESCE`` because DuckDB
only short-circuits ``AND``/``OR`` at the top of a filter, and a wrapped conjunction ran 1.6x
slower. Negations (``neq``, ``not_in``, ``exists: false``, ``not``) coalesce what they negate,
so absent/null properties follow DESIGN §4. Range operators compare numbers with numbers and
strings with strings (code-point order, as DuckDB compares VARCHARs); a bound of one type
never matches a value of the other.

A property is addressed by a JSON Pointer (RFC 6901: ``/context/page.url``, with ``~`` and
``/`` escaped as ``~0`` and ``~1``), not by a ``$.a.b`` path: a pointer addresses every key
exactly, whatever characters it holds (quotes, backslashes, dots, brackets, ``$``, ``*``),
where SQLGlot's rendering of ``$."key"`` paths is wrong for keys with a backslash. The
pointer is a string literal that SQLGlot escapes for the dialect; keys come from a parsed
property path, never from a value.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from headway.conditions.scope import Params, Scope
from headway.model.condition import Predicate, property_path

_RANGES = {"lt": exp.LT, "lte": exp.LTE, "gt": exp.GT, "gte": exp.GTE}


def compile_predicate(pred: Predicate, scope: Scope, params: Params) -> exp.Expr:
    """SQL for one predicate; absent or null properties follow DESIGN §4."""
    parts = property_path(pred.field)
    if parts is None:
        return _column_predicate(pred, getattr(scope, pred.field), params)
    return _property_predicate(pred, scope.properties, json_path(parts), params)


def json_path(parts: tuple[str, ...]) -> exp.Literal:
    """The JSON Pointer of a property's keys, as an escaped SQL string literal."""
    return exp.Literal.string(json_pointer(parts))


def json_pointer(parts: tuple[str, ...]) -> str:
    """RFC 6901: ``("context", "page/url")`` -> ``/context/page~1url``."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _property_predicate(
    pred: Predicate, props: exp.Expr, path: exp.Literal, params: Params
) -> exp.Expr:
    raw = exp.JSONExtract(this=props.copy(), expression=path.copy())
    op, value = pred.op, pred.value
    if op in ("eq", "neq"):
        found = _json_equals(raw, value, params)
        return found if op == "eq" else negate(found)
    if op in ("in", "not_in"):
        found = _json_in(raw, value, params)
        return found if op == "in" else negate(found)
    if op in _RANGES:
        return _range(op, raw, props, path, value, params)
    if op == "exists":
        kind = _json_type(props, path)
        present = exp.NEQ(this=kind, expression=exp.Literal.string("NULL"))
        return present if value else negate(present)
    text = exp.JSONExtractScalar(this=props.copy(), expression=path.copy())
    is_string = exp.EQ(this=_json_type(props, path), expression=exp.Literal.string("VARCHAR"))
    # The text test first: the type check then runs only on the rows it kept.
    return exp.and_(_text_test(op, text, value, params), is_string)


def _range(
    op: str, raw: exp.Expr, props: exp.Expr, path: exp.Literal, value: Any, params: Params
) -> exp.Expr:
    """Numbers with numbers; strings with strings (JSON strings only, unescaped text)."""
    if _is_number(value):
        return _RANGES[op](this=_number(raw), expression=_param(value, params))
    text = exp.JSONExtractScalar(this=props.copy(), expression=path.copy())
    test = _RANGES[op](this=text, expression=_param(value, params))
    is_string = exp.EQ(this=_json_type(props, path), expression=exp.Literal.string("VARCHAR"))
    return exp.and_(test, is_string)


def _column_predicate(pred: Predicate, column: exp.Expr, params: Params) -> exp.Expr:
    op, value, col = pred.op, pred.value, column.copy()
    if op in ("eq", "neq"):
        found: exp.Expr = exp.EQ(this=col, expression=_param(value, params))
        return found if op == "eq" else negate(found)
    if op in ("in", "not_in"):
        found = col.isin(*(_param(v, params) for v in value))
        return found if op == "in" else negate(found)
    return _text_test(op, col, value, params)


def _text_test(op: str, text: exp.Expr, value: str, params: Params) -> exp.Expr:
    needle = _param(value, params)
    if op == "contains":
        return exp.Contains(this=text, expression=needle)
    if op == "icontains":
        return exp.Contains(this=exp.Lower(this=text), expression=exp.Lower(this=needle))
    if op == "starts_with":
        return exp.StartsWith(this=text, expression=needle)
    if op == "regex":
        return exp.RegexpLike(this=text, expression=needle)
    raise ValueError(f"unknown operator {op!r}")


def _json_equals(raw: exp.Expr, value: Any, params: Params) -> exp.Expr:
    if _is_number(value):
        return exp.EQ(this=_number(raw), expression=_param(value, params))
    return exp.EQ(this=raw, expression=_to_json(value, params))


def _json_in(raw: exp.Expr, values: tuple[Any, ...], params: Params) -> exp.Expr:
    numbers = [v for v in values if _is_number(v)]
    others = [v for v in values if not _is_number(v)]
    tests = []
    if others:
        tests.append(raw.copy().isin(*(_to_json(v, params) for v in others)))
    if numbers:
        tests.append(_number(raw).isin(*(_param(v, params) for v in numbers)))
    return exp.or_(*tests) if len(tests) > 1 else tests[0]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(raw: exp.Expr) -> exp.Expr:
    text = exp.cast(raw.copy(), exp.DataType.Type.VARCHAR)
    return exp.TryCast(this=text, to=exp.DataType.build("DOUBLE"))


def _param(value: Any, params: Params) -> exp.Expr:
    """A typed placeholder: the cast fixes the parameter's SQL type at prepare time."""
    if isinstance(value, bool):
        kind = exp.DataType.Type.BOOLEAN
    elif isinstance(value, int | float):
        kind = exp.DataType.Type.DOUBLE
        value = float(value)
    else:
        kind = exp.DataType.Type.VARCHAR
    return exp.cast(params.add(value), kind)


def _to_json(value: Any, params: Params) -> exp.Expr:
    return exp.Anonymous(this="to_json", expressions=[_param(value, params)])


def _json_type(props: exp.Expr, path: exp.Literal) -> exp.Expr:
    return exp.Anonymous(this="json_type", expressions=[props.copy(), path.copy()])


def false_if_null(test: exp.Expr) -> exp.Expr:
    """``COALESCE(test, FALSE)``: a two-valued boolean."""
    return exp.Coalesce(this=test, expressions=[exp.false()])


def negate(test: exp.Expr) -> exp.Expr:
    """``NOT COALESCE(test, FALSE)``: absent or null (NULL) becomes true, as §4 says."""
    return exp.not_(false_if_null(test))
