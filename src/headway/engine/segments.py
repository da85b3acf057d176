"""Segment filters: whom a report counts, typed as short texts (one per removable chip).

A filter is one of

- ``attributes.PATH OP VALUE``: a contact attribute (``attributes.plan=pro``);
- ``entry.PATH OP VALUE``: a property of the activity that enters the journey
  (``entry.utm_source=google``);
- ``cohort=NAME``: the contacts of a saved cohort.

``OP`` is ``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=`` or ``~`` (contains). ``VALUE`` is read
as JSON when it is a JSON number, ``true``/``false`` or a quoted string, else as text: so
``attributes.seats>=5`` compares numbers and ``attributes.zip="02139"`` a string. Filters of
one kind are ANDed; the conditions compile with the journey conditions' compiler
(``conditions/``), applied once in the matcher-input query (``kernel/inputs.py``), so every
report of a segmented view counts the same contacts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from headway.engine.options import Segment
from headway.errors import Detail, InvalidInput
from headway.model.condition import Match, Predicate, parse_condition

KINDS = ("attributes", "entry", "cohort")
_OPS = {"!=": "neq", ">=": "gte", "<=": "lte", "=": "eq", ">": "gt", "<": "lt", "~": "contains"}
_FILTER = re.compile(
    r"^(?P<kind>attributes|entry)\.(?P<path>[^=!<>~]+?)\s*(?P<op>!=|>=|<=|=|>|<|~)(?P<value>.*)$"
)
_COHORT = re.compile(r"^cohort\s*=\s*(?P<name>.+)$")
SYNTAX = "use attributes.PATH=VALUE, entry.PATH=VALUE or cohort=NAME (operators = != > >= < <= ~)"


def parse_segment(
    filters: Sequence[str], cohort_keys: Callable[[str], frozenset[int]]
) -> Segment | None:
    """The segment of ``filters`` (None when there are none); ``cohort_keys`` names a cohort's
    contacts. A malformed filter raises ``InvalidInput`` naming it."""
    texts = [f.strip() for f in filters if f and f.strip()]
    if not texts:
        return None
    by_kind: dict[str, list[Predicate]] = {"attributes": [], "entry": []}
    keys: frozenset[int] | None = None
    for text in dict.fromkeys(texts):
        cohort = _COHORT.match(text)
        if cohort is not None:
            members = cohort_keys(cohort.group("name").strip())
            keys = members if keys is None else keys & members
            continue
        kind, pred = _predicate(text)
        by_kind[kind].append(pred)
    return Segment(
        attributes=_condition(by_kind["attributes"], "attributes"),
        entry=_condition(by_kind["entry"], "entry"),
        contact_keys=keys,
        labels=tuple(dict.fromkeys(texts)),
    )


def _predicate(text: str) -> tuple[str, Predicate]:
    found = _FILTER.match(text)
    if found is None:
        raise _invalid(text, SYNTAX)
    path, value = found.group("path").strip(), found.group("value").strip()
    if not path:
        raise _invalid(text, "the filter names no path")
    pred = Predicate("properties." + path, _OPS[found.group("op")], _value(value))
    problems: list[Detail] = []
    data = {"where": {pred.field: {pred.op: pred.value}}}
    parse_condition(data, found.group("kind"), problems)  # the journey language's own checks
    if problems:
        raise _invalid(text, "; ".join(p.reason for p in problems))
    return found.group("kind"), pred


def _value(text: str) -> Any:
    """A JSON number, boolean or quoted string as such; any other text as a string."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (str, int, float, bool)) else text


def _condition(preds: list[Predicate], kind: str) -> Match | None:
    return Match(None, tuple(preds)) if preds else None


def _invalid(text: str, why: str) -> InvalidInput:
    return InvalidInput(
        f"segment: {text!r} is not a filter: {why}", [Detail(why, field="segment", record=text)]
    )
