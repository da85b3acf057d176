"""DuckDB's dialects: condition values (a ``regex`` must compile in DuckDB's RE2) and the
JSON SQL that predicates render with (``DuckDBSql``, the backend's ``SqlDialect``).

The check asks DuckDB itself (``regexp_matches('', pattern)`` on a private in-memory
connection), so what is accepted at save time is exactly what the engine can run: RE2 as
DuckDB builds it, not Python's ``re``. The patterns of one definition are compiled in one
query (``TRY`` marks the ones that fail), and the first few that fail are compiled alone to
say why. DuckDB's terse RE2 errors are turned into sentences for the constructs people bring from other dialects (back-references, ``\\Z``,
look-around, ``(?<name>...)``, repetition counts over 1000).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import duckdb
from sqlglot import exp

from headway.conditions.predicates import is_number, typed_param
from headway.conditions.scope import Params
from headway.conditions.sql_dialect import Keys, Test
from headway.conditions.typed import NO_TYPED, TypedColumns

RE2 = "the engine's regex dialect (RE2)"
_CACHE_SIZE = 4096
_EXPLAINED = 10  # refused patterns compiled alone for DuckDB's reason; the others say less
_COMPILE_ALL = (
    "SELECT p, try(regexp_matches('', p)) IS NULL FROM unnest(CAST(? AS VARCHAR[])) AS t(p)"
)
_COMPILE_ONE = "SELECT regexp_matches('', ?)"


class DuckDBDialect:
    """Checks a condition's values the way the DuckDB backend will run them."""

    name = "DuckDB (RE2)"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._known: OrderedDict[str, str | None] = OrderedDict()  # pattern -> problem

    def regex_problem(self, pattern: str) -> str | None:
        """Why DuckDB cannot run ``pattern`` (a sentence), or None when it compiles."""
        return self.regex_problems([pattern]).get(pattern)

    def regex_problems(self, patterns: Iterable[str]) -> dict[str, str]:
        """The patterns DuckDB cannot run, each with why (compiled together, then cached)."""
        wanted = list(dict.fromkeys(patterns))
        with self._lock:
            new = [p for p in wanted if p not in self._known]
            if new:
                self._compile(new)
            return {p: why for p in wanted if (why := self._known.get(p)) is not None}

    def _compile(self, patterns: list[str]) -> None:
        text = [p for p in patterns if _unicode_problem(p) is None]
        for p in patterns:
            if p not in text:
                self._remember(p, _unicode_problem(p))
        if not text:
            return
        if self._connection is None:
            self._connection = duckdb.connect(":memory:")
        failed = dict(self._connection.execute(_COMPILE_ALL, [text]).fetchall())
        refused = [p for p in text if failed.get(p, True)]
        for p in text:
            if p not in refused:
                self._remember(p, None)
        for i, p in enumerate(refused):
            why = _reason(self._connection, p) if i < _EXPLAINED else f"does not compile in {RE2}"
            self._remember(p, why)

    def _remember(self, pattern: str, problem: str | None) -> None:
        self._known[pattern] = problem
        while len(self._known) > _CACHE_SIZE:
            self._known.popitem(last=False)


def _reason(connection: duckdb.DuckDBPyConnection, pattern: str) -> str:
    """DuckDB's own reason for refusing one pattern, as a sentence."""
    try:
        connection.execute(_COMPILE_ONE, [pattern]).fetchone()
    except duckdb.Error as err:
        return _explain(pattern, str(err).removeprefix("Invalid Input Error: "))
    return f"does not compile in {RE2}"


def _unicode_problem(pattern: str) -> str | None:
    try:
        pattern.encode("utf-8")
    except UnicodeEncodeError as err:
        return f"not valid Unicode text (a lone surrogate at character {err.start})"
    return None


def _explain(pattern: str, error: str) -> str:
    """A sentence for an RE2 compile error (DuckDB's own words when no better one)."""
    escape = re.match(r"invalid escape sequence: (\\.)", error)
    if escape and escape.group(1)[1] in "123456789":
        why = f"back-references ({escape.group(1)}) are not supported by {RE2}"
    elif escape and escape.group(1) == "\\Z":
        why = f"\\Z is not supported by {RE2} (use \\z, or $ for the end of the text)"
    elif escape:
        why = f"the escape {escape.group(1)} is not supported by {RE2}"
    elif error.startswith("invalid perl operator: (?<"):
        behind = "(?<=" in pattern or "(?<!" in pattern
        why = (
            f"look-behind ((?<=...), (?<!...)) is not supported by {RE2}"
            if behind
            else f"named groups are written (?P<name>...) in {RE2}"
        )
    elif error.startswith(("invalid perl operator: (?=", "invalid perl operator: (?!")):
        why = f"look-ahead ((?=...), (?!...)) is not supported by {RE2}"
    elif error.startswith("invalid perl operator: (?P"):
        why = f"named back-references ((?P=name)) are not supported by {RE2}"
    elif error.startswith("invalid repetition size"):
        why = f"repetition counts above 1000 are not supported by {RE2}"
    else:
        return f"does not compile in {RE2}: {error}"
    return why


DUCKDB_DIALECT = DuckDBDialect()


class DuckDBSql:
    """DuckDB's JSON SQL for condition predicates (``SqlDialect``).

    Properties are DuckDB JSON. Each predicate extracts its property once per row
    (``properties -> '/url'``, the JSON text of the value) and compares it by JSON type:

    - strings and booleans: the extracted JSON text equals ``to_json(value)`` (one writer,
      yyjson, produces both sides, so escapes agree; ``"5"`` never equals ``5``);
    - numbers: ``TRY_CAST(CAST(json AS VARCHAR) AS DOUBLE)`` — JSON strings keep their quotes
      in that text, so only JSON numbers cast;
    - text operators: ``json_extract_string`` (unescaped), then a ``json_type = 'VARCHAR'``
      check that only runs on rows the cheap test kept.

    Measured on 1M rows (see docs/journeys.md) these beat a type check before every
    comparison by 1.5-2x. A property is addressed by a JSON Pointer (RFC 6901:
    ``/context/page.url``, with ``~`` and ``/`` escaped as ``~0`` and ``~1``), not by a
    ``$.a.b`` path: a pointer addresses every key exactly, whatever characters it holds
    (quotes, backslashes, dots, brackets, ``$``, ``*``), where SQLGlot's rendering of
    ``$."key"`` paths is wrong for keys with a backslash. The pointer is a string literal that
    SQLGlot escapes; keys come from a parsed property path, never from a value.
    """

    name = "duckdb"

    def __init__(self, typed: TypedColumns = NO_TYPED) -> None:
        self.typed = typed  # the store's typed property columns (store/property_columns.py)

    def json_eq(self, props: exp.Expr, keys: Keys, value: Any, params: Params) -> exp.Expr:
        """JSON text equality (strings, booleans) or DOUBLE equality (numbers)."""
        raw = _raw(props, keys)
        if is_number(value):
            return exp.EQ(this=_number(raw), expression=typed_param(value, params))
        return exp.EQ(this=raw, expression=_to_json(value, params))

    def json_in(
        self, props: exp.Expr, keys: Keys, values: tuple[Any, ...], params: Params
    ) -> exp.Expr:
        """``IN`` over JSON texts for strings/booleans, over DOUBLEs for numbers."""
        raw = _raw(props, keys)
        numbers = [v for v in values if is_number(v)]
        others = [v for v in values if not is_number(v)]
        tests = []
        if others:
            tests.append(raw.copy().isin(*(_to_json(v, params) for v in others)))
        if numbers:
            tests.append(_number(raw).isin(*(typed_param(v, params) for v in numbers)))
        return exp.or_(*tests) if len(tests) > 1 else tests[0]

    def json_number_test(self, props: exp.Expr, keys: Keys, test: Test) -> exp.Expr:
        """``test`` over the JSON text cast to DOUBLE (JSON strings keep quotes: no cast)."""
        return test(_number(_raw(props, keys)))

    def json_string_test(
        self, props: exp.Expr, keys: Keys, test: Test, needle: exp.Expr | None = None
    ) -> exp.Expr:
        """The text test first: the type check then runs only on the rows it kept."""
        text = exp.JSONExtractScalar(this=props.copy(), expression=json_path(keys))
        is_string = exp.EQ(this=_json_type(props, keys), expression=exp.Literal.string("VARCHAR"))
        return exp.and_(test(text), is_string)

    def json_exists(self, props: exp.Expr, keys: Keys) -> exp.Expr:
        """``json_type`` is NULL when absent and ``'NULL'`` for JSON null."""
        return exp.NEQ(this=_json_type(props, keys), expression=exp.Literal.string("NULL"))

    def json_text(self, props: exp.Expr, keys: Keys) -> exp.Expr:
        """``json_extract_string``: strings unescaped, other values as JSON text."""
        return exp.JSONExtractScalar(this=props.copy(), expression=json_path(keys))

    def parse_once(self, props: exp.Expr, column: exp.Expr) -> None:
        """None: DuckDB's JSON functions read the text where they are (nothing projected)."""
        return None

    def parse_gate(self) -> None:
        """None: nothing is projected, so nothing to gate."""
        return None

    def regex_like(self, text: exp.Expr, pattern: exp.Expr) -> exp.Expr:
        """RE2, partial match (``regexp_matches``)."""
        return exp.RegexpLike(this=text, expression=pattern)

    def lower(self, text: exp.Expr) -> exp.Expr:
        """DuckDB's ``lower`` (per code point)."""
        return exp.Lower(this=text)


def json_path(keys: Keys) -> exp.Literal:
    """The JSON Pointer of a property's keys, as an escaped SQL string literal."""
    return exp.Literal.string(json_pointer(keys))


def json_pointer(keys: Keys) -> str:
    """RFC 6901: ``("context", "page/url")`` -> ``/context/page~1url``."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in keys)


def _raw(props: exp.Expr, keys: Keys) -> exp.Expr:
    return exp.JSONExtract(this=props.copy(), expression=json_path(keys))


def _number(raw: exp.Expr) -> exp.Expr:
    text = exp.cast(raw.copy(), exp.DataType.Type.VARCHAR)
    return exp.TryCast(this=text, to=exp.DataType.build("DOUBLE"))


def _to_json(value: Any, params: Params) -> exp.Expr:
    return exp.Anonymous(this="to_json", expressions=[typed_param(value, params)])


def _json_type(props: exp.Expr, keys: Keys) -> exp.Expr:
    return exp.Anonymous(this="json_type", expressions=[props.copy(), json_path(keys)])


DUCKDB_SQL = DuckDBSql()
