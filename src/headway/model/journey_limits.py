"""Hard limits on a journey definition, checked before any deep work.

Every way in (REST API, dashboard editor, CLI, Python API) goes through ``parse_journey``,
which checks these first: the size of the text, then one linear walk over the parsed values
(depth, keys per mapping, items per list, string lengths, values in all, stages and
conditions). Only a definition within every limit reaches the JSON Schema and the checks
after it, so no input can make validation slow. The limits are far beyond any real journey
(docs/journeys.md, "Limits"); each refusal names the limit and where it was exceeded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from headway.errors import Detail, InvalidJourney
from headway.model.journey_errors import field_path
from headway.model.journey_schema import MAX_STAGES

MAX_DEFINITION_BYTES = 256 * 1024  # UTF-8 bytes of the text
MAX_DEPTH = 32  # levels of mappings and lists
MAX_KEYS = 200  # keys in one mapping
MAX_ITEMS = 2_000  # items in one list
MAX_STRING = 10_000  # characters in one string or key
MAX_VALUES = 5_000  # values in all: keys, strings, numbers, mappings, lists...
MAX_CONDITIONS = 1_000  # conditions and predicates in all
MAX_REGEXES = 100  # regex operators in all (each is compiled by the engine to be checked)
MAX_DIGITS = 1_000  # characters of a number (Python refuses ints of over 4300 digits)
# The keys whose value is a condition, and those whose items are conditions.
_CONDITION_KEYS = ("when", "filter", "exit_when", "not")
_CONDITION_LISTS = ("any", "all")

LIMITS = {
    "bytes": MAX_DEFINITION_BYTES,
    "depth": MAX_DEPTH,
    "stages": MAX_STAGES,
    "conditions": MAX_CONDITIONS,
    "regexes": MAX_REGEXES,
    "keys per mapping": MAX_KEYS,
    "items per list": MAX_ITEMS,
    "characters per string": MAX_STRING,
    "values": MAX_VALUES,
    "characters per number": MAX_DIGITS,
}


def refuse(reason: str, field: str | None = None) -> InvalidJourney:
    """The error for an exceeded limit: ``field: reason`` with one detail."""
    message = f"{field}: {reason}" if field else reason
    return InvalidJourney(message, (Detail(reason=reason, field=field),))


def check_size(text: str | bytes, source_name: str | None = None) -> None:
    """InvalidJourney when the text is over ``MAX_DEFINITION_BYTES`` (UTF-8 bytes)."""
    if isinstance(text, bytes) or len(text) * 4 <= MAX_DEFINITION_BYTES:
        size: int | None = len(text)  # bytes, or characters that fit whatever their UTF-8
    elif len(text) > 64 * MAX_DEFINITION_BYTES:
        size = None  # far too large: refused without encoding it to count its bytes
    else:
        size = len(text.encode("utf-8", "surrogatepass"))
    if size is None or size > MAX_DEFINITION_BYTES:
        where = f"{source_name}: " if source_name else ""
        raise refuse(f"{where}{too_large(size)}")


def too_large(size: int | None) -> str:
    """The sentence for a definition over the size limit (``size`` bytes when known)."""
    given = f"is {size:,} bytes" if size is not None else "is over 16 MiB"
    limit = f"{MAX_DEFINITION_BYTES:,} bytes ({MAX_DEFINITION_BYTES // 1024} KiB)"
    return f"the journey definition {given}; the limit is {limit}"


_MAX_BITS = int(MAX_DIGITS * 3.3219)  # log2(10): the bits of a MAX_DIGITS-digit number


def long_number(length: int | None) -> str:
    """The sentence for a number written with more than ``MAX_DIGITS`` characters."""
    given = f"of {length:,} characters" if length is not None else "this long"
    return f"a number {given}; the limit is {MAX_DIGITS:,} characters"


def depth_reason() -> str:
    """The sentence for nesting beyond ``MAX_DEPTH``."""
    return f"nested more than {MAX_DEPTH} levels deep (the limit)"


class _Node:
    """A value being walked, with the way back to the top (for the field path)."""

    __slots__ = ("condition", "depth", "key", "parent", "value")

    def __init__(
        self, parent: _Node | None, key: str | int, value: Any, depth: int, condition: bool
    ) -> None:
        self.parent, self.key, self.value = parent, key, value
        self.depth, self.condition = depth, condition

    def path(self) -> str:
        parts: list[str | int] = []
        node: _Node | None = self
        while node is not None and node.parent is not None:
            parts.append(node.key)
            node = node.parent
        return field_path(reversed(parts))


def check_structure(data: Any) -> bool:
    """InvalidJourney naming the first limit the parsed definition exceeds (one linear walk).

    The answer says whether the definition holds NaN, an infinity or a string that is not
    valid Unicode (a lone surrogate), which the JSON Schema pass must not see as they are
    (see ``schema_view``); the checks after it say what is wrong with them.
    """
    stages = data.get("stages") if isinstance(data, Mapping) else None
    if isinstance(stages, list) and len(stages) > MAX_STAGES:
        raise refuse(f"needs 1 to {MAX_STAGES} stages (got {len(stages):,})", "stages")
    values = conditions = regexes = 0
    odd = False  # NaN, infinities, lone surrogates
    stack = [_Node(None, "", data, 1, False)]
    while stack:
        node = stack.pop()
        values += 1
        if values > MAX_VALUES:
            reason = f"the journey definition has more than {MAX_VALUES:,} values (the limit)"
            raise refuse(reason, node.path() or None)
        value = node.value
        if node.condition:
            conditions += 1 + (len(value["where"]) if _is_where(value) else 0)
            if conditions > MAX_CONDITIONS:
                reason = f"more than {MAX_CONDITIONS:,} conditions in the journey (the limit)"
                raise refuse(reason, node.path() or None)
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise refuse(_long("a string", len(value)), node.path() or None)
            odd = odd or not _is_unicode(value)
        elif isinstance(value, float):
            odd = odd or not math.isfinite(value)
        elif isinstance(value, int) and value.bit_length() > _MAX_BITS:
            raise refuse(long_number(None), node.path() or None)
        elif isinstance(value, Mapping | list):
            if node.depth > MAX_DEPTH:
                raise refuse(depth_reason(), node.path() or None)
            if isinstance(value, Mapping):
                values += len(value)  # its keys count too, as in the YAML reader
                if "regex" in value:
                    regexes += 1
                    if regexes > MAX_REGEXES:
                        reason = f"more than {MAX_REGEXES} regexes in the journey (the limit)"
                        raise refuse(reason, node.path() or None)
            odd = odd or (isinstance(value, Mapping) and not all(map(_is_unicode, value)))
            _push_children(node, stack)
    return odd


def _is_unicode(text: object) -> bool:
    if not isinstance(text, str):
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def schema_view(data: Any) -> Any:
    """``data`` as the JSON Schema pass sees it: NaN and infinities as 0.0 (they are numbers;
    jsonschema-rs would read them as null) and lone surrogates as U+FFFD (it cannot take
    them). The definition itself is checked as written, after the schema."""
    if isinstance(data, float) and not math.isfinite(data):
        return 0.0
    if isinstance(data, str):
        return data if _is_unicode(data) else data.encode("utf-8", "replace").decode()
    if isinstance(data, Mapping):
        return {schema_view(key): schema_view(value) for key, value in data.items()}
    if isinstance(data, list):
        return [schema_view(value) for value in data]
    return data


def _push_children(node: _Node, stack: list[_Node]) -> None:
    value, depth = node.value, node.depth + 1
    if isinstance(value, list):
        if len(value) > MAX_ITEMS:
            reason = f"has {len(value):,} items; the limit is {MAX_ITEMS:,} per list"
            raise refuse(reason, node.path() or None)
        items = node.key in _CONDITION_LISTS and node.parent is not None and node.parent.condition
        for i in range(len(value) - 1, -1, -1):
            stack.append(_Node(node, i, value[i], depth, items))
        return
    if len(value) > MAX_KEYS:
        reason = f"has {len(value):,} keys; the limit is {MAX_KEYS:,} per mapping"
        raise refuse(reason, node.path() or None)
    children = []
    for key, child in value.items():
        if not isinstance(key, str):
            raise refuse(f"has a key that is not a string ({key!r})", node.path() or None)
        if len(key) > MAX_STRING:
            raise refuse(_long("a key", len(key)), node.path() or None)
        is_condition = key in _CONDITION_KEYS and _holds_conditions(node)
        children.append(_Node(node, key, child, depth, is_condition))
    stack.extend(reversed(children))


def _holds_conditions(node: _Node) -> bool:
    """Whether ``when``/``filter``/``exit_when``/``not`` keys of this mapping are conditions."""
    if node.condition:
        return True  # 'not' inside a condition
    parent = node.parent
    if parent is None:
        return True  # the top: filter, exit_when
    # A stage (stages[i]) or an exclusion (exclusions[i]): their 'when'.
    return parent.key in ("stages", "exclusions") and parent.parent is not None


def _is_where(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("where"), Mapping)


def _long(what: str, length: int) -> str:
    return f"{what} of {length:,} characters; the limit is {MAX_STRING:,}"
