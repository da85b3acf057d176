"""Condition values the engine can run: checked at save time, in the engine's dialect.

The JSON Schema fixes each operator's value kinds (``in`` a list of scalars, ``regex`` a
string, ``exists`` true/false, ...); this module refuses the values of those kinds that
would still fail or mislead at run time:

- a ``regex`` that does not compile in the engine's dialect (``model.dialect``: RE2 in DuckDB);
- numbers that are not finite (NaN, Infinity: YAML ``.nan``/``.inf``, JSON ``NaN``) or too
  large for a double (``1e400`` written as an integer): numbers compare as doubles;
- text that is not valid Unicode (a lone surrogate such as JSON ``"\\ud800"``): it cannot be
  sent to the database;
- ``in``/``not_in`` lists longer than ``MAX_IN_VALUES`` (each value is a bound parameter;
  a longer list is better written as a ``regex`` or ``starts_with``).
"""

from __future__ import annotations

import math
from typing import Any

from headway.errors import Detail
from headway.model.dialect import engine_dialect
from headway.model.journey_errors import problem, show

MAX_IN_VALUES = 1000


def value_problems(op: str, value: Any, path: str) -> list[Detail]:
    """What is wrong with the value of operator ``op`` at ``path`` (nothing when it can run)."""
    values = value if isinstance(value, tuple | list) else (value,)
    where = f"{path}.{op}"
    if op in ("in", "not_in") and len(values) > MAX_IN_VALUES:
        reason = (
            f"takes at most {MAX_IN_VALUES} values (got {len(values)}); "
            "a longer list is better written as a regex or starts_with"
        )
        return [problem(where, reason)]
    for item in values:
        why = scalar_problem(item)
        if why is not None:
            return [problem(where, why)]
    if op == "regex" and isinstance(value, str):
        why = engine_dialect().regex_problem(value)
        if why is not None:
            return [problem(where, f"{why} (in {show(value)})")]
    return []


def check_regexes(data: Any) -> None:
    """Check every ``regex`` value of a definition at once (one round trip to the engine).

    The answers are remembered by the dialect, so the per-predicate checks that follow cost
    nothing; a linear walk, done after the definition limits have bounded its size.
    """
    found, stack = [], [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            pattern = item.get("regex")
            if isinstance(pattern, str):
                found.append(pattern)
            stack.extend(reversed(item.values()))  # document order: the first are explained
        elif isinstance(item, list):
            stack.extend(reversed(item))
    if found:
        engine_dialect().regex_problems(found)


def scalar_problem(value: Any) -> str | None:
    """Why one scalar of a condition cannot be compared in the engine, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"{show(value)} is not a finite number (NaN and Infinity compare with nothing)"
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            return "has a number too large to compare (numbers compare as doubles, to ~1.8e308)"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as err:
            return f"has text that is not valid Unicode (a lone surrogate at character {err.start})"
    return None
