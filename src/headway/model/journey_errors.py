"""Turn problems in a journey definition into sentences that point at the place.

Every problem becomes a ``Detail(reason, field)`` where ``field`` is the path in the
definition (``stages[2].when.where.url``); jsonschema's own texts are never shown.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from jsonschema.exceptions import ValidationError

from headway.errors import Detail, InvalidJourney
from headway.model.names import name_problem
from headway.model.property_paths import SYNTAX, path_problem

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}


def field_path(parts: Iterable[str | int]) -> str:
    """``['stages', 2, 'when']`` -> ``stages[2].when``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def show(value: Any) -> str:
    """A value as a user wrote it: strings quoted ``'10x'``, others as JSON."""
    if isinstance(value, str):
        return repr(value)
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)


def kind_of(value: Any) -> str:
    """The JSON kind of a value in words ("a list", "null")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return json.dumps(value)
    for py, name in ((dict, "object"), (list, "array"), (str, "string"), (int, "integer")):
        if isinstance(value, py):
            return _TYPE_NAMES[name]
    return "a number"


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a choice is close to ``word``, else ``''``."""
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""


def problem(path: Sequence[str | int] | str, reason: str) -> Detail:
    """One problem at a path in the definition."""
    field = path if isinstance(path, str) else field_path(path)
    return Detail(reason=reason, field=field or None)


def sentence(detail: Detail) -> str:
    """``field: reason`` (or just the reason at the top level)."""
    return f"{detail.field}: {detail.reason}" if detail.field else detail.reason


def invalid(details: Sequence[Detail]) -> InvalidJourney:
    """The error for a list of problems: the first one is the message."""
    message = sentence(details[0])
    more = len(details) - 1
    last = details[-1].reason
    if more and last.endswith(f"(at most {MAX_LISTED} are)"):  # see schema_problems
        more += int(last.split(" ", 1)[0].replace(",", "")) - 1
    if more:
        message += f" (and {more:,} more problem{'s' if more > 1 else ''})"
    return InvalidJourney(message, tuple(details))


# Problems worded and listed at most; beyond, they are only counted ("and 950 more").
MAX_LISTED = 100


def schema_problems(errors: Iterable[ValidationError], data: Any) -> list[Detail]:
    """Sentences for jsonschema errors, in document order, without repeats.

    At most ``MAX_LISTED`` are worded; one more detail then says how many are left, so a
    definition with 20,000 unknown keys costs no more than one with 100 (linear time).
    """
    out: dict[Detail, None] = {}
    unlisted = 0
    indexes: dict[int, dict[Any, int]] = {}  # id(mapping) -> key -> its place
    for error in sorted(errors, key=lambda e: _position(e, data, indexes)):
        if len(out) >= MAX_LISTED:
            unlisted += _count(error)
            continue
        for detail in _translate(error):
            out.setdefault(detail)
    details = list(out)
    if len(details) > MAX_LISTED:
        unlisted += len(details) - MAX_LISTED
        details = details[:MAX_LISTED]
    if unlisted:
        reason = f"{unlisted:,} more problem{'s' if unlisted > 1 else ''} not listed"
        details.append(Detail(reason=f"{reason} (at most {MAX_LISTED} are)"))
    return details


def _count(error: ValidationError) -> int:
    """How many problems an error stands for, without wording them."""
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        return sum(1 for key in instance if key not in known)
    if error.validator == "required" and isinstance(instance, dict):
        return sum(1 for key in error.validator_value if key not in instance)
    return 1


def _position(
    error: ValidationError, data: Any, indexes: dict[int, dict[Any, int]]
) -> tuple[int, ...]:
    """Where an error sits in the document: key/item indexes along its path."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        path += [k for k in error.instance if k not in known][:1]
    out = []
    for part in path:
        if isinstance(data, dict):
            places = indexes.get(id(data))
            if places is None:
                places = indexes[id(data)] = {key: i for i, key in enumerate(data)}
            out.append(places.get(part, len(places)))
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            out.append(part)
            data = data[part]
        else:
            out.append(0)
    return tuple(out)


def _translate(error: ValidationError) -> list[Detail]:
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    handler = _HANDLERS.get(str(error.validator), _generic)
    return handler(error, path, schema)


def _unknown_keys(error: ValidationError, path: list[Any], schema: dict[str, Any]) -> list[Detail]:
    known = list(schema.get("properties", {}))
    title = schema.get("x-name", "key")
    extra = [k for k in error.instance if k not in known]
    return [problem(path, f"unknown {title} {show(k)}{_hint(str(k), known)}") for k in extra]


def _hint(word: str, known: list[str]) -> str:
    return suggest(word, known) or f" (use {', '.join(known)})"


def _required(error: ValidationError, path: list[Any], schema: dict[str, Any]) -> list[Detail]:
    missing = [k for k in error.validator_value if k not in error.instance]
    return [problem(path, f"missing required key {k!r}") for k in missing]


def _type(error: ValidationError, path: list[Any], schema: dict[str, Any]) -> list[Detail]:
    if "x-type-message" in schema:
        return [problem(path, _custom(schema, error.instance, "x-type-message") or "")]
    wanted = error.validator_value
    names = [_TYPE_NAMES[t] for t in ([wanted] if isinstance(wanted, str) else wanted)]
    expected = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return [problem(path, f"expected {expected}, got {kind_of(error.instance)}")]


def _enum(error: ValidationError, path: list[Any], schema: dict[str, Any]) -> list[Detail]:
    choices = [c if isinstance(c, str) else json.dumps(c) for c in error.validator_value]
    choices = list(dict.fromkeys(choices))
    value = error.instance
    title = schema.get("x-name", "value")
    hint = suggest(value, choices) if isinstance(value, str) else ""
    hint = hint or f" (use {', '.join(choices)})"
    return [problem(path, f"unknown {title} {show(value)}{hint}")]


def _any_of(error: ValidationError, path: list[Any], schema: dict[str, Any]) -> list[Detail]:
    # Follow the branch written for this kind of value (a mapping -> the operators).
    if isinstance(error.instance, dict):
        same_level = list(error.absolute_path)
        deeper = [
            e
            for e in error.context
            if not (e.validator == "type" and list(e.absolute_path) == same_level)
        ]
        if deeper:
            return [d for e in deeper for d in _translate(e)]
    reason = (
        _custom(schema, error.instance)
        or f"expected another kind of value, got {show(error.instance)}"
    )
    if isinstance(error.instance, list):
        reason += " (use {in: [...]} for a list of values)"
    elif error.instance is None:
        reason += " (use {exists: false} for an absent property)"
    return [problem(path, reason)]


def _generic(error: ValidationError, path: list[Any], schema: dict[str, Any]) -> list[Detail]:
    reason = _explain(schema, error.instance) or _custom(schema, error.instance) or _fallback(error)
    return [problem(path, reason)]


def _explain(schema: dict[str, Any], value: Any) -> str | None:
    """The exact reason a type name or property path is refused (``x-explain``)."""
    kind = schema.get("x-explain")
    if kind == "type":
        why = name_problem(value) if isinstance(value, str) else None
        return f"{show(value)} is not an activity type: {why}" if why else "needs an activity type"
    if kind == "path" and isinstance(value, str):
        why = path_problem(value) or "is not valid"
        return f"{show(value)} is not a property path: it {why} ({SYNTAX})"
    return None


def _custom(schema: dict[str, Any], value: Any, key: str = "x-message") -> str | None:
    template = schema.get(key)
    if not template:
        return None
    count = len(value) if isinstance(value, list | dict | str) else 0
    operators = ", ".join(schema.get("properties", {}))
    return str(template).format(
        value=show(value), count=count, type=kind_of(value), operators=operators
    )


def _fallback(error: ValidationError) -> str:
    limits = {
        "minimum": "must be at least {v}",
        "minLength": "must not be empty",
        "minItems": "needs at least {v} item(s)",
        "maxItems": "takes at most {v} item(s)",
        "maxLength": "is longer than {v} characters",
    }
    template = limits.get(str(error.validator), "is not valid here")
    return template.format(v=error.validator_value)


_HANDLERS = {
    "additionalProperties": _unknown_keys,
    "required": _required,
    "type": _type,
    "enum": _enum,
    "anyOf": _any_of,
}
