"""The condition language of journeys: typed tree, parsing from a mapping, and back.

A condition mapping's keys must all hold: ``type`` and ``where`` form one ``Match``; ``any``,
``all`` and ``not`` add ``AnyOf``/``AllOf``/``Not`` parts; several parts become an ``AllOf``.
Input has already passed the JSON Schema; this module adds the checks a schema cannot make.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from headway.errors import Detail
from headway.model.condition_values import value_problems
from headway.model.journey_errors import problem, show, suggest
from headway.model.journey_schema import SPECIAL_FIELDS, TEXT_OPERATORS
from headway.model.names import name_problem
from headway.model.property_paths import SYNTAX, format_path, parse_path, path_problem

PROPERTY_PREFIX = "properties."
_STRING_FIELD_OPS = ("eq", "neq", "in", "not_in", *TEXT_OPERATORS)
_BOOL_FIELD_OPS = ("eq", "neq")


@dataclass(frozen=True)
class Predicate:
    """``field op value``: field is a property path or ``contact``/``source``/``bot``."""

    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Match:
    """Activities of one of ``types`` (None: any type) passing every ``where`` predicate."""

    types: tuple[str, ...] | None = None
    where: tuple[Predicate, ...] = ()


@dataclass(frozen=True)
class AnyOf:
    """At least one of the items holds."""

    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AllOf:
    """Every item holds."""

    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """The item does not hold."""

    item: Condition


Condition = Match | AnyOf | AllOf | Not


def property_path(field: str) -> tuple[str, ...] | None:
    """The keys of a property field; None for ``contact``/``source``/``bot``.

    ``properties.<path>`` always names a property (a property called ``contact`` is
    ``properties.contact``); ValueError when the path is malformed (see ``property_paths``).
    """
    if field in SPECIAL_FIELDS:
        return None
    if field.startswith(PROPERTY_PREFIX):
        field = field[len(PROPERTY_PREFIX) :]
    return parse_path(field)


def property_field(keys: tuple[str, ...]) -> str:
    """The ``where`` key that names the property at ``keys`` (``property_path`` reads it)."""
    text = format_path(keys)
    if text in SPECIAL_FIELDS or keys[0] + "." == PROPERTY_PREFIX:
        return PROPERTY_PREFIX + text
    return text


def parse_condition(data: Mapping[str, Any], path: str, problems: list[Detail]) -> Condition:
    """The typed condition of a schema-valid mapping; problems found are appended."""
    parts: list[Condition] = []
    if "type" in data or "where" in data or not data:
        parts.append(_match(data, path, problems))
    for key, cls in (("any", AnyOf), ("all", AllOf)):
        if key in data:
            items = data[key]
            parsed = (
                parse_condition(c, f"{path}.{key}[{i}]", problems) for i, c in enumerate(items)
            )
            parts.append(cls(tuple(parsed)))
    if "not" in data:
        parts.append(Not(parse_condition(data["not"], f"{path}.not", problems)))
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def _match(data: Mapping[str, Any], path: str, problems: list[Detail]) -> Match:
    raw = data.get("type")
    types = None if raw is None else tuple(dict.fromkeys([raw] if isinstance(raw, str) else raw))
    for name in types or ():
        why = name_problem(name)
        if why is not None:
            problems.append(problem(f"{path}.type", f"{show(name)} is not an activity type: {why}"))
    where = data.get("where") or {}
    predicates: list[Predicate] = []
    for field, spec in where.items():
        why = None if field in SPECIAL_FIELDS else path_problem(_strip_prefix(field))
        if why is not None:
            reason = f"{show(field)} is not a property path: it {why} ({SYNTAX})"
            problems.append(problem(f"{path}.where", reason))
            continue
        ops = spec if isinstance(spec, dict) else {"eq": spec}
        for op, value in ops.items():
            pred = Predicate(field, op, tuple(value) if isinstance(value, list) else value)
            _check(pred, f"{path}.where.{field}", problems)
            predicates.append(pred)
    return Match(types, tuple(predicates))


def _strip_prefix(field: str) -> str:
    return field[len(PROPERTY_PREFIX) :] if field.startswith(PROPERTY_PREFIX) else field


def _check(pred: Predicate, path: str, problems: list[Detail]) -> None:
    # Checked in the dialect of the engine that runs it (RE2 for DuckDB), not Python's.
    problems.extend(value_problems(pred.op, pred.value, path))
    if pred.field in ("contact", "source"):
        _check_special(pred, path, problems, _STRING_FIELD_OPS, str, "a string")
    elif pred.field == "bot":
        _check_special(pred, path, problems, _BOOL_FIELD_OPS, bool, "true or false")


def _check_special(
    pred: Predicate, path: str, problems: list[Detail], ops: tuple[str, ...], kind: type, word: str
) -> None:
    if pred.op not in ops:
        hint = suggest(pred.op, ops) or f" (use {', '.join(ops)})"
        problems.append(
            problem(path, f"operator {pred.op!r} does not apply to {pred.field!r}{hint}")
        )
        return
    values = pred.value if isinstance(pred.value, tuple) else (pred.value,)
    if not all(isinstance(v, kind) and (kind is bool or not isinstance(v, bool)) for v in values):
        problems.append(
            problem(path, f"{pred.field!r} is compared with {word}, got {show(pred.value)}")
        )


def condition_to_dict(cond: Condition) -> dict[str, Any]:
    """The canonical mapping of a condition (``parse_condition`` gives it back)."""
    if isinstance(cond, AnyOf):
        return {"any": [condition_to_dict(c) for c in cond.items]}
    if isinstance(cond, AllOf):
        return {"all": [condition_to_dict(c) for c in cond.items]}
    if isinstance(cond, Not):
        return {"not": condition_to_dict(cond.item)}
    out: dict[str, Any] = {}
    if cond.types is not None:
        out["type"] = cond.types[0] if len(cond.types) == 1 else list(cond.types)
    if cond.where:
        out["where"] = _where_to_dict(cond.where)
    return out


def _where_to_dict(where: tuple[Predicate, ...]) -> dict[str, Any]:
    grouped: dict[str, dict[str, Any]] = {}
    for pred in where:
        grouped.setdefault(pred.field, {})[pred.op] = (
            list(pred.value) if isinstance(pred.value, tuple) else pred.value
        )
    # A lone equality is written as the bare value.
    return {f: ops["eq"] if list(ops) == ["eq"] else ops for f, ops in grouped.items()}


def walk(cond: Condition) -> list[Match]:
    """Every ``Match`` inside a condition, depth first."""
    if isinstance(cond, Match):
        return [cond]
    if isinstance(cond, Not):
        return walk(cond.item)
    return [m for item in cond.items for m in walk(item)]


__all__ = [
    "AllOf",
    "AnyOf",
    "Condition",
    "Match",
    "Not",
    "Predicate",
    "condition_to_dict",
    "parse_condition",
    "property_field",
    "property_path",
    "walk",
]
