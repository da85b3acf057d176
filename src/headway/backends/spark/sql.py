"""Spark's dialects: the JSON SQL of condition predicates and Java's regex check.

``SparkSql`` (the Spark backend's ``SqlDialect``) reads a property out of the
``properties`` JSON text with Spark 4's VARIANT: ``try_parse_json`` (NULL for text that is
not JSON, never an error), ``try_variant_get`` at a ``$["key"]`` path, and
``schema_of_variant`` for the JSON type, so values compare with their JSON types exactly as
on DuckDB (docs/journeys.md):

- strings: ``try_variant_get(.., 'string')`` compared with the value, and the type
  ``STRING`` (a number cast to text never equals ``"5"``);
- numbers: ``try_variant_get(.., 'double')`` (what DuckDB compares too) and a type that is
  neither ``STRING`` nor ``BOOLEAN`` (both of which cast to DOUBLE; objects, arrays and
  JSON null do not);
- booleans: ``try_variant_get(.., 'boolean')`` and the type ``BOOLEAN``;
- present: extracted, and not a variant null (``is_variant_null``).

Addressing keys exactly. Spark's variant path has no escapes: ``$["k"]`` holds any key
without ``"``, ``$['k']`` any key without ``'``; a key with both is read from the object as
a ``map<string, variant>`` (``try_element_at`` with the key as a string literal). Keys are
string literals SQLGlot escapes for Spark, from a parsed property path, never values. As a
JSON Pointer on DuckDB, a key that is an array index (``0``, ``12``; no sign, no leading
zero) also steps into an array.

The text pre-check. Parsing the JSON of every candidate row is Spark's bottleneck. A
property that equals, contains or starts with a text ``t`` occurs in the raw JSON with ``t``
verbatim unless the raw JSON holds an escape (every escape in JSON starts with a
backslash): so ``contains(properties, t) OR contains(properties, '\\')`` is true for every
row that can match, and the JSON is parsed only on those. It is exact, not a heuristic.

Parsing once. Spark does not share a common subexpression inside ``CASE`` branches or right
of ``AND``, so ``parse_once`` gives the matcher-input query a lower projected column holding
``try_parse_json(properties)`` and a ``SparkSql`` whose tests over that ``properties`` read
the column (any other text is still parsed in place). The column is computed only on rows
where some test can use it: ``parse_gate`` is the OR of the pre-checks of the tests that read
it (none when a test reads it without one), so rows that fail every pre-check are not parsed.

``SparkDialect`` checks a ``regex`` at save time with ``java.util.regex.Pattern`` in the
running JVM — the same compiler Spark's ``RLIKE`` uses (partial match, no flags).

Known differences from DuckDB, all outside what docs/journeys.md promises: ``regex`` is Java's
dialect (``$`` also matches before a final line break); JSON text with a duplicate key is
not JSON to Spark (the row's properties read as absent); ``json_text`` (breakdowns,
touchpoints) prints numbers as Spark does (``1E2`` as ``100.0``).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from headway.conditions.predicates import is_number, typed_param
from headway.conditions.sql_dialect import Keys, Test
from headway.conditions.typed import NO_TYPED, TypedColumns

if TYPE_CHECKING:
    from headway.conditions.scope import Params

_INDEX = re.compile(r"0|[1-9][0-9]{0,8}")  # an array index Spark's path parser reads as int
_NOT_NUMBERS = ("STRING", "BOOLEAN")  # JSON types that cast to DOUBLE but are not numbers
_PRECHECK_MAX = 8  # string values of an ``in`` list that are searched for in the raw JSON


class SparkSql:
    """Spark 4 SQL for condition predicates over ``properties`` JSON text (``SqlDialect``)."""

    name = "spark"
    typed: TypedColumns = NO_TYPED  # typed property columns (none until exports carry them)

    def __init__(self, parsed: tuple[exp.Expr, exp.Expr] | None = None) -> None:
        self._parsed = parsed  # (properties text, the column holding its parsed variant)
        # What the tests compiled so far need the parsed column for: the raw-text pre-checks
        # that guard them, or always (a test without one).
        self._gates: list[exp.Expr] = []
        self._always = False

    def parse_once(self, props: exp.Expr, column: exp.Expr) -> tuple[exp.Expr, SparkSql] | None:
        """``try_parse_json(props)`` to project as ``column``, and a dialect whose tests over
        ``props`` read that column: Spark does not share a parse between the tests of a row
        (no common subexpressions inside ``CASE`` branches or right of ``AND``)."""
        # spark_partition_id() makes the column non-deterministic, which keeps Spark from
        # pushing a filter over the conditions below it (with the parse inlined into it).
        barrier = exp.GTE(
            this=exp.Anonymous(this="spark_partition_id"), expression=exp.Literal.number(0)
        )
        once = exp.Case(ifs=[exp.If(this=barrier, true=_parse(props))])
        return once, SparkSql((props.copy(), column.copy()))

    def parse_gate(self) -> exp.Expr | None:
        """When a row's parse is needed by the tests compiled so far: the OR of their text
        pre-checks (a test whose pre-check is false is false whatever the parse gives), FALSE
        when no test reads it (typed columns answered them all), or None when some test reads
        the parse unguarded."""
        if self._always:
            return None
        if not self._gates:
            return exp.false()
        tests: dict[str, exp.Expr] = {}
        for gate in self._gates:  # each an OR of text searches: the distinct searches, ORed
            for test in gate.unnest().flatten():
                tests.setdefault(test.sql(dialect="spark"), test)
        return exp.paren(exp.or_(*(t.copy() for t in tests.values())), copy=False)

    def _json(self, props: exp.Expr, gate: exp.Expr | None = None) -> exp.Expr:
        """The parsed variant of ``props``: the projected column when there is one (a test
        reading it under the pre-check ``gate`` says so, any other read needs it always)."""
        if self._parsed is not None and props == self._parsed[0]:
            if gate is None:
                self._always = True
            else:
                self._gates.append(gate.copy())
            return self._parsed[1].copy()
        return _parse(props)

    def json_eq(self, props: exp.Expr, keys: Keys, value: Any, params: Params) -> exp.Expr:
        """Equal with the JSON type of ``value``."""
        return self.json_in(props, keys, (value,), params)

    def json_in(
        self, props: exp.Expr, keys: Keys, values: tuple[Any, ...], params: Params
    ) -> exp.Expr:
        """Equal to one of ``values``: strings, numbers and booleans tested by type."""
        strings = [v for v in values if isinstance(v, str)]
        numbers = [v for v in values if is_number(v)]
        booleans = [v for v in values if isinstance(v, bool)]
        tests: list[exp.Expr] = []
        if strings:
            needles = [typed_param(v, params) for v in strings]
            # A long list costs more text searches than the one parse they would save.
            gate = _precheck(props, needles) if len(needles) <= _PRECHECK_MAX else None
            found = _isin(_get(self._json(props, gate), keys, "string"), needles)
            checks = [gate] if gate is not None else []
            tests.append(exp.and_(*checks, found, _is_type(self._json(props, gate), keys)))
        if numbers:
            found = _isin(
                _get(self._json(props), keys, "double"), [typed_param(v, params) for v in numbers]
            )
            tests.append(exp.and_(found, _is_number(self._json(props), keys)))
        if booleans:
            found = _isin(
                _get(self._json(props), keys, "boolean"), [typed_param(v, params) for v in booleans]
            )
            tests.append(exp.and_(found, _is_type(self._json(props), keys, "BOOLEAN")))
        return exp.or_(*tests) if len(tests) > 1 else tests[0]

    def json_number_test(self, props: exp.Expr, keys: Keys, test: Test) -> exp.Expr:
        """``test`` over the value as DOUBLE, for JSON numbers only."""
        return exp.and_(
            test(_get(self._json(props), keys, "double")), _is_number(self._json(props), keys)
        )

    def json_string_test(
        self, props: exp.Expr, keys: Keys, test: Test, needle: exp.Expr | None = None
    ) -> exp.Expr:
        """The raw-text pre-check (with a needle), the test, then the type check."""
        gate = None if needle is None else _precheck(props, [needle])
        tests = [] if gate is None else [gate]
        parsed = self._json(props, gate)
        tests += [test(_get(parsed, keys, "string")), _is_type(parsed, keys)]
        return exp.and_(*tests)

    def json_exists(self, props: exp.Expr, keys: Keys) -> exp.Expr:
        """Extracted and not a JSON null."""
        node = _get(self._json(props), keys, "variant")
        null = exp.Anonymous(this="is_variant_null", expressions=[node.copy()])
        return exp.and_(exp.Not(this=exp.Is(this=node, expression=exp.Null())), exp.not_(null))

    def json_text(self, props: exp.Expr, keys: Keys) -> exp.Expr:
        """Strings unescaped, other values as JSON text; NULL when absent."""
        return _get(self._json(props), keys, "string")

    def regex_like(self, text: exp.Expr, pattern: exp.Expr) -> exp.Expr:
        """``RLIKE``: java.util.regex, partial match."""
        return exp.RegexpLike(this=text, expression=pattern)

    def lower(self, text: exp.Expr) -> exp.Expr:
        """Spark's ``lower`` made per code point, as DuckDB's: Java lower-cases ``İ`` to two
        code points and a final ``Σ`` to ``ς``; both are replaced first."""
        for capital, small in (("İ", "I"), ("Σ", "σ")):
            text = exp.Anonymous(
                this="replace",
                expressions=[text, exp.Literal.string(capital), exp.Literal.string(small)],
            )
        return exp.Lower(this=text)


def _parse(props: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="try_parse_json", expressions=[props.copy()])


def _get(parsed: exp.Expr, keys: Keys, kind: str) -> exp.Expr:
    """``try_variant_get`` of the property at ``keys`` as ``kind`` (NULL if absent/other)."""
    node: exp.Expr = parsed.copy()
    path = "$"
    for key in keys:
        if _INDEX.fullmatch(key):
            # As a JSON Pointer: the key of an object or the index of an array.
            by_key = _variant_get(node, path + _segment(key), "variant")
            by_index = _variant_get(node, f"{path}[{key}]", "variant")
            node, path = exp.Coalesce(this=by_key, expressions=[by_index]), "$"
        elif '"' in key and "'" in key:
            fields = _variant_get(node, path, "map<string, variant>")
            node = exp.Anonymous(
                this="try_element_at", expressions=[fields, exp.Literal.string(key)]
            )
            path = "$"
        else:
            path += _segment(key)
    return _variant_get(node, path, kind)


def _segment(key: str) -> str:
    return f'["{key}"]' if '"' not in key else f"['{key}']"


def _variant_get(node: exp.Expr, path: str, kind: str) -> exp.Expr:
    args = [node.copy(), exp.Literal.string(path), exp.Literal.string(kind)]
    return exp.Anonymous(this="try_variant_get", expressions=args)


def _schema(parsed: exp.Expr, keys: Keys) -> exp.Expr:
    return exp.Anonymous(this="schema_of_variant", expressions=[_get(parsed, keys, "variant")])


def _is_type(parsed: exp.Expr, keys: Keys, kind: str = "STRING") -> exp.Expr:
    return exp.EQ(this=_schema(parsed, keys), expression=exp.Literal.string(kind))


def _is_number(parsed: exp.Expr, keys: Keys) -> exp.Expr:
    others = [exp.Literal.string(k) for k in _NOT_NUMBERS]
    return exp.not_(_schema(parsed, keys).isin(*others))


def _isin(value: exp.Expr, options: list[exp.Expr]) -> exp.Expr:
    if len(options) == 1:
        return exp.EQ(this=value, expression=options[0].copy())
    return value.isin(*(o.copy() for o in options))


def _precheck(props: exp.Expr, needles: list[exp.Expr]) -> exp.Expr:
    """True on every row whose property can equal/contain a needle (see the module doc)."""
    tests = [exp.Contains(this=props.copy(), expression=n.copy()) for n in needles]
    tests.append(exp.Contains(this=props.copy(), expression=exp.Literal.string("\\")))
    return exp.paren(exp.or_(*tests), copy=False)


# -- Java's regex dialect --------------------------------------------------------------------

JAVA = "the Spark engine's regex dialect (java.util.regex)"
_CACHE_SIZE = 4096


class SparkDialect:
    """Checks a condition's values the way Spark will run them (``model.dialect.Dialect``).

    A ``regex`` is compiled by ``java.util.regex.Pattern`` in the JVM of the active Spark
    session (or, without one, a JVM started for the check), as ``RLIKE`` compiles it.
    """

    name = "Spark (java.util.regex)"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: OrderedDict[str, str | None] = OrderedDict()  # pattern -> problem
        self._gateway: Any = None

    def regex_problem(self, pattern: str) -> str | None:
        """Why Java cannot compile ``pattern`` (a sentence), or None when it compiles."""
        return self.regex_problems([pattern]).get(pattern)

    def regex_problems(self, patterns: Iterable[str]) -> dict[str, str]:
        """The patterns Java cannot compile, each with why (compiled, then remembered)."""
        wanted = list(dict.fromkeys(patterns))
        with self._lock:
            new = [p for p in wanted if p not in self._known]
            if new:
                pattern_class = self._jvm().java.util.regex.Pattern
                for p in new:
                    self._remember(p, _compile(pattern_class, p))
            return {p: why for p in wanted if (why := self._known.get(p)) is not None}

    def _jvm(self) -> Any:
        from pyspark import SparkContext

        context = SparkContext._active_spark_context
        if context is not None and context._jvm is not None:
            return context._jvm
        if self._gateway is None:
            from pyspark.java_gateway import launch_gateway

            self._gateway = launch_gateway()
        return self._gateway.jvm

    def _remember(self, pattern: str, problem: str | None) -> None:
        self._known[pattern] = problem
        while len(self._known) > _CACHE_SIZE:
            self._known.popitem(last=False)


def _compile(pattern_class: Any, pattern: str) -> str | None:
    """None when Java compiles ``pattern``; otherwise Java's reason as a sentence."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import IllegalArgumentException

    try:
        pattern.encode("utf-8")
    except UnicodeEncodeError as err:
        return f"not valid Unicode text (a lone surrogate at character {err.start})"
    try:
        pattern_class.compile(pattern)
    except (Py4JJavaError, IllegalArgumentException) as err:
        # PatternSyntaxException: "<description> near index <i>", the pattern, a caret.
        java = getattr(err, "java_exception", None)
        text = str(java.getMessage()) if java is not None else str(err)
        return f"does not compile in {JAVA}: {text.splitlines()[0]}"
    return None


SPARK_SQL = SparkSql()
SPARK_DIALECT = SparkDialect()
