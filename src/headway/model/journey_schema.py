"""The one JSON Schema of journey definitions (YAML and JSON are both validated by it).

Annotations of our own steer the error messages (see ``journey_errors.py``): ``x-name``
names what a mapping's keys or an enum's values are ("operator", "order"), and
``x-message`` is the sentence for a failed ``pattern``/``minItems``/``maxItems``/``minimum``
check (``x-type-message`` for a value of the wrong type), formatted with ``{value}`` (the offending value) and ``{count}`` (its length);
``x-explain`` (``type``, ``path``) asks for the exact reason a type name or property path is
refused.
"""

from __future__ import annotations

import copy
from typing import Any

from headway.model.duration import DURATION_PATTERN, UNIT_LIST
from headway.model.names import NAME_PATTERN, NAME_RULE
from headway.model.property_paths import MAX_PATH_LENGTH, PATH_PATTERN, SYNTAX

MAX_STAGES = 63
ORDERS = ("ordered", "strict", "unordered")
FIRST_TIME = ("false", "event", "matching")
SPECIAL_FIELDS = ("contact", "source", "bot")
TEXT_OPERATORS = ("contains", "icontains", "starts_with", "regex")
RANGE_OPERATORS = ("lt", "lte", "gt", "gte")
OPERATORS = ("eq", "neq", "in", "not_in", *TEXT_OPERATORS, *RANGE_OPERATORS, "exists")
# A contact attribute name (``--by`` of breakdowns): letters, digits, '_' and '-' in parts.
PROPERTY_PATTERN = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$"

_SCALAR = {"type": ["string", "number", "boolean"]}
_DURATION = {
    "type": "string",
    "pattern": DURATION_PATTERN,
    "x-message": f"{{value}} is not a duration (use {UNIT_LIST})",
    "x-type-message": f"{{value}} is not a duration (use {UNIT_LIST}; e.g. '30d')",
}
_DATE = {
    "type": "string",
    "pattern": DATE_PATTERN,
    "x-message": "{value} is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)",
    "x-type-message": "{value} is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)",
}


def _operators() -> dict[str, Any]:
    values = {"type": "array", "items": _SCALAR, "minItems": 1, "x-message": "needs a value"}
    props: dict[str, Any] = {"eq": _SCALAR, "neq": _SCALAR, "in": values, "not_in": values}
    props |= {op: {"type": "string"} for op in TEXT_OPERATORS}
    # A number compares with numbers, a string with strings (code-point order).
    props |= {op: {"type": ["number", "string"]} for op in RANGE_OPERATORS}
    props["exists"] = {"type": "boolean"}
    return {
        "x-name": "operator",
        "type": "object",
        "properties": props,
        "additionalProperties": False,
        "minProperties": 1,
        "x-message": "needs at least one operator ({operators})",
    }


def _condition() -> dict[str, Any]:
    conditions = {"type": "array", "items": {"$ref": "#/$defs/condition"}, "minItems": 1}
    conditions["x-message"] = "needs at least one condition"
    return {
        "x-name": "condition key",
        "type": "object",
        "properties": {
            "type": {
                "description": "An activity type, or a list of them, written exactly as it"
                f" comes in the data ({NAME_RULE}).",
                "type": ["string", "array"],
                "items": {"type": "string", "pattern": NAME_PATTERN, "x-explain": "type"},
                "pattern": NAME_PATTERN,
                "minItems": 1,
                "x-explain": "type",
            },
            "where": {"$ref": "#/$defs/where"},
            "any": conditions,
            "all": copy.deepcopy(conditions),
            "not": {"$ref": "#/$defs/condition"},
        },
        "additionalProperties": False,
    }


def _where() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Property paths (or contact, source, bot) and what they must hold."
        f" A property path is {SYNTAX}; 'properties.<path>' always names a property.",
        "propertyNames": {
            "pattern": PATH_PATTERN,
            "maxLength": MAX_PATH_LENGTH,
            "x-explain": "path",
        },
        "additionalProperties": {
            "anyOf": [_SCALAR, {"$ref": "#/$defs/operators"}],
            "x-message": "expected a value (string, number or boolean) or a mapping of"
            " operators, got {type}",
        },
    }


def _stage() -> dict[str, Any]:
    return {
        "x-name": "key",
        "type": "object",
        "required": ["name", "when"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "x-message": "must not be empty"},
            "when": {"$ref": "#/$defs/condition"},
            "first_time": {"x-name": "first_time", "enum": [False, *FIRST_TIME]},
            "kpi": {"type": "integer", "minimum": 1, "x-message": "must be at least 1"},
            "description": {"type": "string"},
        },
        "additionalProperties": False,
    }


def _exclusion() -> dict[str, Any]:
    return {
        "x-name": "key",
        "type": "object",
        "required": ["when", "between"],
        "properties": {
            "when": {"$ref": "#/$defs/condition"},
            "between": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 2,
                "maxItems": 2,
                "x-message": "needs two stage names, [from, to]",
            },
        },
        "additionalProperties": False,
    }


def _journey() -> dict[str, Any]:
    return {
        "x-name": "key",
        "type": "object",
        "required": ["name", "stages"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "x-message": "must not be empty"},
            "description": {"type": "string"},
            "order": {"x-name": "order", "enum": list(ORDERS)},
            "window": _DURATION,
            "date_range": {
                "x-name": "key",
                "type": "object",
                "properties": {"from": _DATE, "to": _DATE},
                "additionalProperties": False,
            },
            "filter": {"$ref": "#/$defs/condition"},
            "stages": {
                "type": "array",
                "items": {"$ref": "#/$defs/stage"},
                "minItems": 1,
                "maxItems": MAX_STAGES,
                "x-message": f"needs 1 to {MAX_STAGES} stages (got {{count}})",
            },
            "exclusions": {"type": "array", "items": {"$ref": "#/$defs/exclusion"}},
            "exit_when": {"$ref": "#/$defs/condition"},
            "stall_after": copy.deepcopy(_DURATION),
        },
        "additionalProperties": False,
    }


_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://headway.dev/schema/journey.json",
    "title": "Headway journey definition",
    **_journey(),
    "$defs": {
        "condition": _condition(),
        "where": _where(),
        "operators": _operators(),
        "stage": _stage(),
        "exclusion": _exclusion(),
    },
}


def journey_schema() -> dict[str, Any]:
    """The JSON Schema of a journey definition (a fresh copy)."""
    return copy.deepcopy(_SCHEMA)
