"""Condition tree -> one SQLGlot boolean expression with bound parameters (pure, no I/O)."""

from __future__ import annotations

from sqlglot import exp

from headway.conditions.predicates import compile_predicate, false_if_null, negate
from headway.conditions.scope import Params, Scope
from headway.model.condition import AllOf, AnyOf, Condition, Match, Not


def compile_condition(cond: Condition, scope: Scope, params: Params) -> exp.Expr:
    """SQL that is TRUE for the activities ``cond`` matches, FALSE or NULL for the others.

    NULL-as-false suits ``WHERE``/``CASE WHEN``/``FILTER``; for a boolean column use
    ``compile_flag``. Values go to ``params``; type names are resolved through ``scope``.
    """
    if isinstance(cond, Match):
        return _match(cond, scope, params)
    if isinstance(cond, Not):
        return negate(compile_condition(cond.item, scope, params))
    parts = [compile_condition(c, scope, params) for c in cond.items]
    if isinstance(cond, AllOf):
        return exp.and_(*parts) if parts else exp.true()
    if isinstance(cond, AnyOf):
        return exp.or_(*parts) if parts else exp.false()
    raise TypeError(f"not a condition: {cond!r}")


def compile_flag(cond: Condition, scope: Scope, params: Params) -> exp.Expr:
    """Like ``compile_condition`` but never NULL (for a TRUE/FALSE column)."""
    return false_if_null(compile_condition(cond, scope, params))


def _match(match: Match, scope: Scope, params: Params) -> exp.Expr:
    # The type test comes first: it is a cheap column filter DuckDB can push into the scan.
    tests = [] if match.types is None else [type_test(match.types, scope)]
    tests += [compile_predicate(p, scope, params) for p in match.where]
    return exp.and_(*tests) if tests else exp.true()


def type_test(types: tuple[str, ...], scope: Scope) -> exp.Expr:
    """``type_code IN (...)`` for the known types; an unknown type name matches nothing."""
    # Codes come from our own dictionary (never user text), so literals are safe here and
    # let DuckDB use them for zone-map pruning.
    codes = sorted({scope.type_codes[t] for t in types if t in scope.type_codes})
    if not codes:
        return exp.false()
    literals = [exp.Literal.number(c) for c in codes]
    if len(literals) == 1:
        return exp.EQ(this=scope.type_code.copy(), expression=literals[0])
    return scope.type_code.copy().isin(*literals)
