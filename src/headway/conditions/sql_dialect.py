"""How a backend's SQL tests a JSON property: the dialect-specific half of a predicate.

``predicates`` decides *what* a ``where`` operator means (docs/journeys.md: JSON types, null rules,
negations); a ``SqlDialect`` says *how* the backend's SQL reads one property out of the
``properties`` JSON text: the value as a number, as a string, its JSON text, whether it is
there. A backend supplies its dialect (``Backend.sql``); the conditions never name one.
Every builder returns a SQLGlot expression that is TRUE when the test holds and FALSE or
NULL otherwise (absent, JSON null, or a value of another JSON type all give FALSE/NULL).
``keys`` is a parsed property path (``model.condition.property_path``), never user SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from sqlglot import exp

if TYPE_CHECKING:
    from headway.conditions.scope import Params
    from headway.conditions.typed import TypedColumns

Keys = tuple[str, ...]
Test = Callable[[exp.Expr], exp.Expr]  # builds a test over a value expression


class SqlDialect(Protocol):
    """The SQL a backend renders JSON property tests and text functions with."""

    name: str  # the SQLGlot dialect queries are rendered in ("duckdb", "spark")
    typed: TypedColumns  # the typed property columns of the backend's data (conditions/typed.py)

    def json_eq(self, props: exp.Expr, keys: Keys, value: Any, params: Params) -> exp.Expr:
        """The property equals ``value`` with its JSON type (``"5"`` never equals ``5``)."""
        ...

    def json_in(
        self, props: exp.Expr, keys: Keys, values: tuple[Any, ...], params: Params
    ) -> exp.Expr:
        """The property equals one of ``values`` (each compared with its JSON type)."""
        ...

    def json_number_test(self, props: exp.Expr, keys: Keys, test: Test) -> exp.Expr:
        """``test`` over the property as a DOUBLE; FALSE/NULL unless it is a JSON number."""
        ...

    def json_string_test(
        self, props: exp.Expr, keys: Keys, test: Test, needle: exp.Expr | None = None
    ) -> exp.Expr:
        """``test`` over the property's (unescaped) text; FALSE/NULL unless a JSON string.

        ``needle``, when given, is a text every matching value contains: a dialect may test
        the raw JSON for it first (only where that is exact) to skip parsing most rows.
        """
        ...

    def json_exists(self, props: exp.Expr, keys: Keys) -> exp.Expr:
        """The property is present and not JSON null."""
        ...

    def json_text(self, props: exp.Expr, keys: Keys) -> exp.Expr:
        """The property as text (strings unescaped, other values as JSON), NULL if absent."""
        ...

    def parse_once(self, props: exp.Expr, column: exp.Expr) -> tuple[exp.Expr, SqlDialect] | None:
        """Parsing ``props`` once per row: the expression a lower projection computes as
        ``column``, and a dialect whose tests over ``props`` read it; None to parse in place."""
        ...

    def parse_gate(self) -> exp.Expr | None:
        """After the tests are compiled with ``parse_once``'s dialect: a condition true on
        every row whose tests can use the parsed column (the column is computed only there),
        or None to compute it on every row."""
        ...

    def regex_like(self, text: exp.Expr, pattern: exp.Expr) -> exp.Expr:
        """``pattern`` (in the backend's regex dialect) matches somewhere in ``text``."""
        ...

    def lower(self, text: exp.Expr) -> exp.Expr:
        """``text`` lower-cased code point by code point (simple Unicode case mapping)."""
        ...
